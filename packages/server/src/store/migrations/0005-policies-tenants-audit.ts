/**
 * Policy versions (AWS's five per policy, one default), the policy change feed, tenant records and
 * the audit log. Each existing policy's one document becomes its default and only version, numbered
 * as its `version` column said.
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../sql/schema.js';

/** Tenants are paged by id in SQL, so ids compare bytewise on both dialects (as 0002 does for certificate ids). */
function bytewiseText(dialect: SqlDialectName) {
  return dialect === 'postgres' ? sql`text COLLATE "C"` : sql`text`;
}

/**
 * A generated id that only grows: SQLite's AUTOINCREMENT never hands out an id again, even after the
 * newest rows are pruned (a plain rowid could), so a feed reader's `afterId` never skips a new entry.
 */
function serialId(db: Kysely<unknown>, dialect: SqlDialectName, table: string) {
  const create = db.schema.createTable(table);
  return dialect === 'postgres'
    ? create.addColumn('id', 'bigserial', (c) => c.primaryKey())
    : create.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

export function policiesTenantsAuditMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('policies').addColumn('last_version_id', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await sql`UPDATE policies SET last_version_id = version`.execute(db);

      await db.schema
        .createTable('policy_versions')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('policy_name', 'text', (c) => c.notNull())
        .addColumn('version_id', 'integer', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('policy_versions_pk', ['tenant', 'policy_name', 'version_id'])
        .addForeignKeyConstraint('policy_versions_policy_fk', ['tenant', 'policy_name'], 'policies', ['tenant', 'name'], (fk) => fk.onDelete('cascade'))
        .execute();
      await sql`INSERT INTO policy_versions (tenant, policy_name, version_id, document, created_at)
                SELECT tenant, name, version, document, updated_at FROM policies`.execute(db);

      // Read by `at` (then id) every half second by every node; pruned by `at` on every write.
      await serialId(db, dialect, 'policy_changes')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('target_kind', 'text')
        .addColumn('target_id', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('policy_changes_at').on('policy_changes').columns(['at', 'id']).execute();

      await db.schema
        .createTable('tenants')
        .addColumn('id', bytewiseText(dialect), (c) => c.primaryKey())
        .addColumn('name', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await serialId(db, dialect, 'audit_log')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('source_ip', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('tenant', 'text')
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      // A tenant's entries newest first; the whole log pages on the primary key.
      await db.schema.createIndex('audit_log_tenant').on('audit_log').columns(['tenant', 'id']).execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['audit_log', 'tenants', 'policy_changes', 'policy_versions']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
      await db.schema.alterTable('policies').dropColumn('last_version_id').execute();
    },
  };
}
