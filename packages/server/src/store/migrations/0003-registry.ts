/**
 * The registry tables: things, IoT policies and what they are attached to, and role aliases; and an
 * index for finding CAs by subject (just-in-time provisioning looks one up for each unknown certificate).
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../sql/schema.js';

/** Things are paged by name in SQL, so names compare bytewise on both dialects (as 0002 does for certificate ids). */
function bytewiseText(dialect: SqlDialectName) {
  return dialect === 'postgres' ? sql`text COLLATE "C"` : sql`text`;
}

export function registryMigration(dialect: SqlDialectName): Migration {
  const nameText = bytewiseText(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('things')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('name', nameText, (c) => c.notNull())
        .addColumn('thing_type', 'text')
        // Attribute map and sorted group list as JSON text.
        .addColumn('attributes', 'text', (c) => c.notNull())
        .addColumn('thing_groups', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('things_pk', ['tenant', 'name'])
        .execute();

      await db.schema
        .createTable('policies')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('policies_pk', ['tenant', 'name'])
        .execute();

      // The foreign key is the safety net under deletePolicy, which also deletes the attachments itself:
      // an attach racing a delete on PostgreSQL fails instead of leaving an attachment to nothing.
      await db.schema
        .createTable('policy_attachments')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('policy_name', 'text', (c) => c.notNull())
        .addColumn('target_kind', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('policy_attachments_pk', ['tenant', 'policy_name', 'target_kind', 'target_id'])
        .addForeignKeyConstraint('policy_attachments_policy_fk', ['tenant', 'policy_name'], 'policies', ['tenant', 'name'], (fk) => fk.onDelete('cascade'))
        .execute();
      // The policies of one target are read on every connect.
      await db.schema.createIndex('policy_attachments_target').on('policy_attachments').columns(['tenant', 'target_kind', 'target_id']).execute();

      await db.schema
        .createTable('role_aliases')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('role_arn', 'text', (c) => c.notNull())
        .addColumn('credential_duration_seconds', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('role_aliases_pk', ['tenant', 'alias'])
        .execute();

      await db.schema.createIndex('ca_certificates_subject').on('ca_certificates').column('subject').execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('ca_certificates_subject').ifExists().execute();
      for (const table of ['role_aliases', 'policy_attachments', 'policies', 'things']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
