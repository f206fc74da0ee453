/** Runs the broker store's in-code migrations with Kysely's Migrator, on SQLite and PostgreSQL alike. */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { GatehouseError } from '../../core/index.js';
import type { SqlDialectName } from '../sql/schema.js';
import { initialMigration } from './0001-initial.js';
import { identityMigration } from './0002-identity.js';
import { registryMigration } from './0003-registry.js';
import { certificateChangesMigration } from './0004-certificate-changes.js';
import { policiesTenantsAuditMigration } from './0005-policies-tenants-audit.js';
import { thingGroupsMigration } from './0006-thing-groups.js';
import { shadowsMigration } from './0007-shadows.js';
import { registryTypesMigration } from './0008-registry-types.js';
import { connectivityMigration } from './0009-connectivity.js';

/** Our own bookkeeping tables, so a database shared with another Kysely app keeps the two apart. */
const MIGRATION_TABLE = 'gatehouse_migration';
const MIGRATION_LOCK_TABLE = 'gatehouse_migration_lock';

/** Every migration, keyed by a name that sorts in the order they must run. Append; never edit one that shipped. */
export function brokerStoreMigrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(dialect),
    '0002-identity': identityMigration(dialect),
    '0003-registry': registryMigration(dialect),
    '0004-certificate-changes': certificateChangesMigration(),
    '0005-policies-tenants-audit': policiesTenantsAuditMigration(dialect),
    '0006-thing-groups': thingGroupsMigration(),
    '0007-shadows': shadowsMigration(dialect),
    '0008-registry-types': registryTypesMigration(dialect),
    '0009-connectivity': connectivityMigration(dialect),
  };
}

export interface MigrateOptions {
  readonly dialect: SqlDialectName;
  /**
   * PostgreSQL schema that holds the tables. Kysely's Migrator decides whether its bookkeeping table
   * exists by looking across all schemas unless told which one, so PostgreSQL must always name it.
   */
  readonly schema?: string;
}

/**
 * Brings the database to the latest schema; safe on every start (a lock serializes concurrent nodes).
 *
 * @example
 * await migrateToLatest(db, { dialect: 'sqlite' });
 */
export async function migrateToLatest(db: Kysely<unknown>, options: MigrateOptions): Promise<void> {
  const migrations = brokerStoreMigrations(options.dialect);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(options.schema === undefined ? {} : { migrationTableSchema: options.schema }),
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's PostgreSQL introspector lists the tables of every schema in the database; when another
  // schema is dropped while it looks (another Gatehouse store, a test), PostgreSQL answers 3F000
  // "schema ... does not exist" about that schema. Nothing of ours changed: look again.
  for (let attempt = 1; attempt <= 5 && error !== undefined && isOtherSchemaDropped(error, options.schema); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    const reason = `migration ${failed ?? '(bookkeeping)'} failed: ${error instanceof Error ? error.message : String(error)}`;
    throw new GatehouseError('STORE_UNAVAILABLE', { reason }, { cause: error });
  }
}

function isOtherSchemaDropped(error: unknown, ours: string | undefined): boolean {
  if ((error as { code?: unknown }).code !== '3F000' || !(error instanceof Error)) return false;
  return ours === undefined || !error.message.includes(`"${ours}"`);
}
