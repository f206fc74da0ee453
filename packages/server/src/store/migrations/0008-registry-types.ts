/**
 * The registry grown for issue 7: thing types, billing groups, thing group attributes, and per-tenant registry event settings.
 */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../sql/schema.js';

export function registryTypesMigration(_dialect: SqlDialectName): Migration {
  return {
    async up(_db: Kysely<unknown>): Promise<void> {
      // Filled in by the change that introduces these tables.
    },
    async down(_db: Kysely<unknown>): Promise<void> {},
  };
}
