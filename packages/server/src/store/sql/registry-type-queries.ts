/**
 * SqlIdentityStore's thing type, billing group, thing group version and registry event setting verbs
 * (migration 0008) as plain queries on a Kysely or a transaction. Pages are cut in SQL on names that
 * compare bytewise on both dialects.
 */
import type { Kysely } from 'kysely';
import type { BillingGroupRecord, EventConfigurationRecord, NamePageQuery, ThingTypeRecord } from '../registry-ports.js';
import { thingTypeInUse } from '../registry-ports.js';
import type { ThingGroupRecord } from '../thing-group-ports.js';
import type { IdentityDatabase } from './identity-rows.js';
import { billingGroupFromRow, billingGroupToRow, eventConfigurationFromRow, thingTypeFromRow, thingTypeToRow } from './registry-type-rows.js';
import type { SqlDialectName } from './schema.js';
import { lockTenantGroups, putThingGroup } from './thing-group-queries.js';

type Db = Kysely<IdentityDatabase>;

function cut<T extends { readonly name: string }>(items: T[], limit: number): { items: T[]; nextCursor?: string } {
  const page = items.slice(0, limit);
  const last = page.at(-1);
  return items.length > limit && last !== undefined ? { items: page, nextCursor: last.name } : { items: page };
}

export async function createThingType(db: Db, type: ThingTypeRecord): Promise<boolean> {
  const result = await db.insertInto('thing_types').values(thingTypeToRow(type)).onConflict((oc) => oc.columns(['tenant', 'name']).doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function getThingType(db: Db, tenant: string, name: string): Promise<ThingTypeRecord | undefined> {
  const row = await db.selectFrom('thing_types').selectAll().where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : thingTypeFromRow(row);
}

/** The caller checks `limit`. */
export async function listThingTypes(db: Db, tenant: string, query: NamePageQuery): Promise<{ items: ThingTypeRecord[]; nextCursor?: string }> {
  let select = db.selectFrom('thing_types').selectAll().where('tenant', '=', tenant);
  if (query.cursor !== undefined) select = select.where('name', '>', query.cursor);
  return cut((await select.orderBy('name').limit(query.limit + 1).execute()).map(thingTypeFromRow), query.limit);
}

export async function setThingTypeDeprecated(db: Db, tenant: string, name: string, deprecated: boolean, at: number): Promise<ThingTypeRecord | undefined> {
  // Only a change writes, so deprecating twice keeps the first date.
  const row = await db.updateTable('thing_types')
    .set({ deprecated: deprecated ? 1 : 0, deprecated_at: deprecated ? at : null, updated_at: at })
    .where('tenant', '=', tenant).where('name', '=', name).where('deprecated', '=', deprecated ? 0 : 1)
    .returningAll().executeTakeFirst();
  return row === undefined ? getThingType(db, tenant, name) : thingTypeFromRow(row);
}

/** Several statements: run it in a transaction. */
export async function deleteThingType(db: Db, tenant: string, name: string): Promise<boolean> {
  const type = await getThingType(db, tenant, name);
  if (type === undefined) return false;
  // Counted with the (tenant, thing_type, name) index of migration 0008.
  const counted = await db.selectFrom('things').select((eb) => eb.fn.countAll().as('things')).where('tenant', '=', tenant).where('thing_type', '=', name).executeTakeFirst();
  const things = Number(counted?.things ?? 0);
  if (!type.deprecated || things > 0) throw thingTypeInUse(name, { deprecated: type.deprecated, things });
  const result = await db.deleteFrom('thing_types').where('tenant', '=', tenant).where('name', '=', name).where('deprecated', '=', 1).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function createBillingGroup(db: Db, group: BillingGroupRecord): Promise<boolean> {
  const result = await db.insertInto('billing_groups').values(billingGroupToRow(group)).onConflict((oc) => oc.columns(['tenant', 'name']).doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function replaceBillingGroup(db: Db, group: BillingGroupRecord, expectedVersion: number): Promise<boolean> {
  const { tenant, name, ...rest } = billingGroupToRow(group);
  const result = await db.updateTable('billing_groups').set(rest).where('tenant', '=', tenant).where('name', '=', name).where('version', '=', expectedVersion).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function getBillingGroup(db: Db, tenant: string, name: string): Promise<BillingGroupRecord | undefined> {
  const row = await db.selectFrom('billing_groups').selectAll().where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : billingGroupFromRow(row);
}

/** The caller checks `limit`. */
export async function listBillingGroups(db: Db, tenant: string, query: NamePageQuery): Promise<{ items: BillingGroupRecord[]; nextCursor?: string }> {
  let select = db.selectFrom('billing_groups').selectAll().where('tenant', '=', tenant);
  if (query.cursor !== undefined) select = select.where('name', '>', query.cursor);
  return cut((await select.orderBy('name').limit(query.limit + 1).execute()).map(billingGroupFromRow), query.limit);
}

/** Two statements: run it in a transaction. */
export async function deleteBillingGroup(db: Db, tenant: string, name: string): Promise<boolean> {
  const result = await db.deleteFrom('billing_groups').where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) return false;
  await db.updateTable('things').set({ billing_group: null }).where('tenant', '=', tenant).where('billing_group', '=', name).execute();
  return true;
}

/** Reads the version and puts under the tenant's tree lock (PostgreSQL), so two updates from one version cannot both win. Run it in a transaction. */
export async function replaceThingGroup(db: Db, dialect: SqlDialectName, group: ThingGroupRecord, expectedVersion: number): Promise<boolean> {
  await lockTenantGroups(db, dialect, group.tenant);
  const row = await db.selectFrom('thing_groups').select('version').where('tenant', '=', group.tenant).where('name', '=', group.name).executeTakeFirst();
  if (row === undefined || (row.version ?? 1) !== expectedVersion) return false;
  await putThingGroup(db, dialect, group);
  return true;
}

export async function getEventConfigurations(db: Db, tenant: string): Promise<EventConfigurationRecord | undefined> {
  const row = await db.selectFrom('registry_event_configurations').selectAll().where('tenant', '=', tenant).executeTakeFirst();
  return row === undefined ? undefined : eventConfigurationFromRow(row);
}

export async function putEventConfigurations(db: Db, record: EventConfigurationRecord): Promise<void> {
  const row = { tenant: record.tenant, enabled: JSON.stringify(record.enabled), created_at: record.createdAt, updated_at: record.updatedAt };
  await db.insertInto('registry_event_configurations').values(row)
    .onConflict((oc) => oc.column('tenant').doUpdateSet({ enabled: row.enabled, created_at: row.created_at, updated_at: row.updated_at })).execute();
}
