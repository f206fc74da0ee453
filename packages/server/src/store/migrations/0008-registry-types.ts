/**
 * The registry grown for issue 7: thing types, billing groups, thing group attributes and versions,
 * per-tenant registry event settings, and two tables that let `listThings` filter by attribute and
 * by thing group in SQL (the things' JSON columns stay the records' own copy).
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../sql/schema.js';

/** Names are paged and compared with `things.name` (bytewise since 0003), so they compare bytewise too. */
function bytewiseText(dialect: SqlDialectName) {
  return dialect === 'postgres' ? sql`text COLLATE "C"` : sql`text`;
}

interface LegacyThingRow {
  tenant: string;
  name: string;
  attributes: string;
  thing_groups: string;
}

export function registryTypesMigration(dialect: SqlDialectName): Migration {
  const nameText = bytewiseText(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // SQLite adds one column per ALTER TABLE.
      await db.schema.alterTable('things').addColumn('thing_id', 'text').execute();
      await db.schema.alterTable('things').addColumn('billing_group', 'text').execute();
      await db.schema.createIndex('things_thing_type').on('things').columns(['tenant', 'thing_type', 'name']).execute();
      await db.schema.createIndex('things_billing_group').on('things').columns(['tenant', 'billing_group', 'name']).execute();

      // One row per attribute and per membership; the cascade is the safety net under deleteThing.
      await db.schema
        .createTable('thing_attributes')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('thing', nameText, (c) => c.notNull())
        .addColumn('name', nameText, (c) => c.notNull())
        .addColumn('value', nameText, (c) => c.notNull())
        .addPrimaryKeyConstraint('thing_attributes_pk', ['tenant', 'thing', 'name'])
        .addForeignKeyConstraint('thing_attributes_thing_fk', ['tenant', 'thing'], 'things', ['tenant', 'name'], (fk) => fk.onDelete('cascade'))
        .execute();
      // `attributeName=x&attributeValue=y` (or a value prefix: a range on `value`) walks this index.
      await db.schema.createIndex('thing_attributes_value').on('thing_attributes').columns(['tenant', 'name', 'value', 'thing']).execute();
      await db.schema
        .createTable('thing_group_members')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('thing_group', 'text', (c) => c.notNull())
        .addColumn('thing', nameText, (c) => c.notNull())
        .addPrimaryKeyConstraint('thing_group_members_pk', ['tenant', 'thing_group', 'thing'])
        .addForeignKeyConstraint('thing_group_members_thing_fk', ['tenant', 'thing'], 'things', ['tenant', 'name'], (fk) => fk.onDelete('cascade'))
        .execute();
      await db.schema.createIndex('thing_group_members_thing').on('thing_group_members').columns(['tenant', 'thing']).execute();

      await db.schema.alterTable('thing_groups').addColumn('attributes', 'text').execute();
      await db.schema.alterTable('thing_groups').addColumn('thing_group_id', 'text').execute();
      await db.schema.alterTable('thing_groups').addColumn('version', 'integer').execute();

      await db.schema
        .createTable('thing_types')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('name', nameText, (c) => c.notNull())
        .addColumn('thing_type_id', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        // JSON array of attribute names.
        .addColumn('searchable_attributes', 'text', (c) => c.notNull())
        .addColumn('deprecated', 'integer', (c) => c.notNull())
        .addColumn('deprecated_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('thing_types_pk', ['tenant', 'name'])
        .execute();

      await db.schema
        .createTable('billing_groups')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('name', nameText, (c) => c.notNull())
        .addColumn('billing_group_id', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('billing_groups_pk', ['tenant', 'name'])
        .execute();

      await db.schema
        .createTable('registry_event_configurations')
        .addColumn('tenant', 'text', (c) => c.primaryKey())
        // JSON array of the enabled event types.
        .addColumn('enabled', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await backfillThings(db as Kysely<MigrationDatabase>);
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['registry_event_configurations', 'billing_groups', 'thing_types', 'thing_group_members', 'thing_attributes']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
      await db.schema.dropIndex('things_billing_group').ifExists().execute();
      await db.schema.dropIndex('things_thing_type').ifExists().execute();
      for (const column of ['version', 'thing_group_id', 'attributes']) await db.schema.alterTable('thing_groups').dropColumn(column).execute();
      for (const column of ['billing_group', 'thing_id']) await db.schema.alterTable('things').dropColumn(column).execute();
    },
  };
}

interface MigrationDatabase {
  things: LegacyThingRow & { thing_id: string | null };
  thing_attributes: { tenant: string; thing: string; name: string; value: string };
  thing_group_members: { tenant: string; thing_group: string; thing: string };
}

/** Things made before this migration get a thingId, and their attributes and groups the new tables' rows. */
async function backfillThings(db: Kysely<MigrationDatabase>): Promise<void> {
  const pageSize = 500;
  for (let cursor: { tenant: string; name: string } | undefined; ;) {
    let select = db.selectFrom('things').select(['tenant', 'name', 'attributes', 'thing_groups']);
    if (cursor !== undefined) {
      const after = cursor;
      select = select.where((eb) => eb.or([eb('tenant', '>', after.tenant), eb.and([eb('tenant', '=', after.tenant), eb('name', '>', after.name)])]));
    }
    const rows = await select.orderBy('tenant').orderBy('name').limit(pageSize).execute();
    for (const row of rows) {
      await db.updateTable('things').set({ thing_id: randomUUID() }).where('tenant', '=', row.tenant).where('name', '=', row.name).execute();
      const attributes = Object.entries(JSON.parse(row.attributes) as Record<string, string>);
      if (attributes.length > 0) await db.insertInto('thing_attributes').values(attributes.map(([name, value]) => ({ tenant: row.tenant, thing: row.name, name, value }))).execute();
      const groups = [...new Set(JSON.parse(row.thing_groups) as string[])];
      if (groups.length > 0) await db.insertInto('thing_group_members').values(groups.map((group) => ({ tenant: row.tenant, thing_group: group, thing: row.name }))).execute();
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < pageSize) return;
    cursor = { tenant: last.tenant, name: last.name };
  }
}
