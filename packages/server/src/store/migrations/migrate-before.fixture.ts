/** Test support for the upgrade tests: a database migrated only up to (not including) one migration, as an older release left it. Not used at run time. */
import { Migrator, type Kysely } from 'kysely';
import type { SqlDialectName } from '../sql/schema.js';
import { brokerStoreMigrations } from './index.js';

/**
 * Runs the migrations whose names sort before `first`, with the bookkeeping tables migrateToLatest uses.
 *
 * @example
 * await migrateBefore(db, { dialect: 'sqlite' }, '0008');
 */
export async function migrateBefore(db: Kysely<unknown>, options: { readonly dialect: SqlDialectName; readonly schema?: string }, first: string): Promise<void> {
  const migrations = Object.fromEntries(Object.entries(brokerStoreMigrations(options.dialect)).filter(([name]) => name < first));
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'gatehouse_migration',
    migrationLockTableName: 'gatehouse_migration_lock',
    ...(options.schema === undefined ? {} : { migrationTableSchema: options.schema }),
  });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;
}
