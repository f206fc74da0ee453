/** Builds the PostgreSQL BrokerStore (pg Pool under Kysely), the store nodes of a cluster share. */
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { GatehouseError, type Logger } from '../../core/index.js';
import type { BrokerStore } from '../index.js';
import { SqlBrokerStore, type BrokerDatabase } from '../sql/index.js';

/** PostgreSQL's bound-parameter limit (the wire protocol counts them in 16 bits). */
const POSTGRES_MAX_PARAMETERS = 65535;

/** Plain identifiers only, so the schema name can go into SQL without quoting surprises. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export interface PostgresStoreOptions {
  /** `postgres://user@host:5432/db`; combined with `connection`, the URL wins where both say something. */
  readonly url?: string;
  readonly connection?: pg.PoolConfig;
  /** Schema for the tables (created if missing); default: the connection's current schema (`public`). */
  readonly schema?: string;
  /** Pool size; default 10. */
  readonly maxConnections?: number;
  /** Where errors of idle pooled connections go (a server restart, a dropped link); the next query reconnects. */
  readonly logger?: Logger;
}

/**
 * A BrokerStore in PostgreSQL. Nothing connects until `open()`.
 *
 * @example
 * const store = createPostgresStore({ url: 'postgres://gatehouse@db/gatehouse', schema: 'gatehouse' });
 * await store.open();
 */
export function createPostgresStore(options: PostgresStoreOptions): BrokerStore {
  const db = new Kysely<BrokerDatabase>({ dialect: createPostgresDialect(options, { defaultMaxConnections: 10, label: 'broker store' }) });
  const { schema } = options;
  return new SqlBrokerStore({ db, dialect: 'postgres', maxParameters: POSTGRES_MAX_PARAMETERS, ...(schema === undefined ? {} : { schema }) });
}

/**
 * A Kysely dialect on its own pg Pool, every connection resolving unqualified names in `schema`.
 * Shared by the broker store and the identity store (each keeps its own pool).
 */
export function createPostgresDialect(options: PostgresStoreOptions, pool: { readonly defaultMaxConnections: number; readonly label: string }): PostgresDialect {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new GatehouseError('CONFIG_INVALID', { reason: `PostgreSQL schema "${schema}" must be a plain identifier (letters, digits, _)` });
  }
  const pgPool = new pg.Pool({
    ...options.connection,
    ...(options.url === undefined ? {} : { connectionString: options.url }),
    max: options.maxConnections ?? options.connection?.max ?? pool.defaultMaxConnections,
  });
  // Without a listener, an idle client's error (PostgreSQL restarted) would be an uncaught 'error' event.
  pgPool.on('error', (error) => options.logger?.warn({ err: error }, `PostgreSQL connection of the ${pool.label} failed while idle`));
  return new PostgresDialect({
    pool: pgPool,
    // Every pooled connection resolves unqualified names in our schema, migrations included.
    ...(schema === undefined
      ? {}
      : { onCreateConnection: async (connection) => void (await connection.executeQuery(CompiledQuery.raw(`SET search_path TO "${schema}"`))) }),
  });
}
