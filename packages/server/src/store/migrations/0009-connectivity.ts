/**
 * Per-thing connectivity (connected, since, last disconnect reason), written by the presence service.
 */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../sql/schema.js';

export function connectivityMigration(_dialect: SqlDialectName): Migration {
  return {
    async up(_db: Kysely<unknown>): Promise<void> {
      // Filled in by the change that introduces these tables.
    },
    async down(_db: Kysely<unknown>): Promise<void> {},
  };
}
