/** The identity tables: registered CAs, device certificates, registration tokens and provisioning templates. */
import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../sql/schema.js';

/**
 * Certificates are paged by id in SQL, so ids must compare bytewise on both dialects: SQLite's default
 * collation is BINARY already; PostgreSQL's follows the database locale unless told "C".
 */
function bytewiseText(dialect: SqlDialectName) {
  return dialect === 'postgres' ? sql`text COLLATE "C"` : sql`text`;
}

export function identityMigration(dialect: SqlDialectName): Migration {
  const idText = bytewiseText(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('ca_certificates')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('certificate_pem', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('auto_registration', 'integer', (c) => c.notNull())
        .addColumn('provisioning_template', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('not_after', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('ca_certificates_pk', ['tenant', 'id'])
        .execute();

      await db.schema
        .createTable('device_certificates')
        .addColumn('id', idText, (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('thing', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('certificate_pem', 'text', (c) => c.notNull())
        .addColumn('ca_id', 'text', (c) => c.notNull())
        .addColumn('serial_number', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('not_before', 'bigint', (c) => c.notNull())
        .addColumn('not_after', 'bigint', (c) => c.notNull())
        .addColumn('issued_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      // Listing pages a tenant's certificates by id; the CRL reads one CA's revoked ones.
      await db.schema.createIndex('device_certificates_tenant_id').on('device_certificates').columns(['tenant', 'id']).execute();
      await db.schema.createIndex('device_certificates_tenant_thing').on('device_certificates').columns(['tenant', 'thing']).execute();
      await db.schema.createIndex('device_certificates_tenant_ca_status').on('device_certificates').columns(['tenant', 'ca_id', 'status']).execute();

      await db.schema
        .createTable('registration_tokens')
        .addColumn('jti', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('thing', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('consumed_at', 'bigint')
        .execute();

      await db.schema
        .createTable('provisioning_templates')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('pre_provisioning_hook', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('provisioning_templates_pk', ['tenant', 'name'])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['provisioning_templates', 'registration_tokens', 'device_certificates', 'ca_certificates']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
