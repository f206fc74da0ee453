/**
 * Device shadows: one row per (tenant, thing, shadow name) with its state, metadata and version (kept after delete, as a tombstone, so a shadow recreated within 48 h continues its version).
 */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../sql/schema.js';

export function shadowsMigration(_dialect: SqlDialectName): Migration {
  return {
    async up(_db: Kysely<unknown>): Promise<void> {
      // Filled in by the change that introduces these tables.
    },
    async down(_db: Kysely<unknown>): Promise<void> {},
  };
}
