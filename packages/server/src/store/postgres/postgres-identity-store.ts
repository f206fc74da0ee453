/**
 * Builds the PostgreSQL IdentityStore in the broker store's database and schema. It keeps its own small
 * pool (createPostgresStore does not hand its Kysely out), on the same tables and migrations.
 */
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { GatehouseError } from '../../core/index.js';
import type { IdentityStoreBackend } from '../index.js';
import { SqlIdentityStore, type IdentityDatabase } from '../sql/index.js';
import type { PostgresStoreOptions } from './postgres-store.js';

/** Plain identifiers only, so the schema name can go into SQL without quoting surprises. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * An IdentityStore in PostgreSQL: pass the broker store's options (its `maxConnections` defaults to 4
 * here, identity traffic being light). Nothing connects until `open()`.
 *
 * @example
 * const identity = createPostgresIdentityStore({ url: 'postgres://gatehouse@db/gatehouse', schema: 'gatehouse' });
 * await identity.open();
 */
export function createPostgresIdentityStore(options: PostgresStoreOptions): IdentityStoreBackend {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new GatehouseError('CONFIG_INVALID', { reason: `PostgreSQL schema "${schema}" must be a plain identifier (letters, digits, _)` });
  }
  const pool = new pg.Pool({
    ...options.connection,
    ...(options.url === undefined ? {} : { connectionString: options.url }),
    max: options.maxConnections ?? 4,
  });
  // Without a listener, an idle client's error (PostgreSQL restarted) would be an uncaught 'error' event.
  pool.on('error', (error) => options.logger?.warn({ err: error }, 'PostgreSQL connection of the identity store failed while idle'));
  const dialect = new PostgresDialect({
    pool,
    ...(schema === undefined
      ? {}
      : { onCreateConnection: async (connection) => void (await connection.executeQuery(CompiledQuery.raw(`SET search_path TO "${schema}"`))) }),
  });
  return new SqlIdentityStore({
    db: new Kysely<IdentityDatabase>({ dialect }),
    dialect: 'postgres',
    ...(schema === undefined ? {} : { schema }),
  });
}
