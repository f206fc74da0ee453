/**
 * An index for the certificate change feed (`listCertificateChanges`): every node reads the certificates
 * changed in the last few seconds, twice a second, so the read must not scan the table.
 */
import type { Kysely, Migration } from 'kysely';

/**
 * `(updated_at, id)` rather than `updated_at` alone: the feed orders by both, so the index hands rows
 * over already in page order, and resuming after the last id of a full page stays an index range.
 */
export function certificateChangesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('device_certificates_updated_at').on('device_certificates').columns(['updated_at', 'id']).execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('device_certificates_updated_at').ifExists().execute();
    },
  };
}
