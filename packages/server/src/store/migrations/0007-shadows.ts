/**
 * Device shadows: one row per (tenant, thing, shadow name) with its state, metadata and version (kept after delete, as a tombstone, so a shadow recreated within 48 h continues its version).
 */
import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../sql/schema.js';

/** Named shadows are listed in pages cut in SQL on the name, so names compare bytewise on both dialects (as 0003 does). */
function bytewiseText(dialect: SqlDialectName) {
  return dialect === 'postgres' ? sql`text COLLATE "C"` : sql`text`;
}

export function shadowsMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('shadows')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('thing', 'text', (c) => c.notNull())
        // '' is the classic shadow.
        .addColumn('name', bytewiseText(dialect), (c) => c.notNull())
        // JSON text the store never reads.
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .addPrimaryKeyConstraint('shadows_pk', ['tenant', 'thing', 'name'])
        .execute();
      // The tombstone purge finds its rows without reading every live shadow.
      await db.schema.createIndex('shadows_deleted_at').on('shadows').column('deleted_at').where(sql.ref('deleted_at'), 'is not', null).execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('shadows_deleted_at').ifExists().execute();
      await db.schema.dropTable('shadows').ifExists().execute();
    },
  };
}
