/**
 * Builds the PostgreSQL ConnectivityStore in the broker store's database and schema, on a small pool
 * of its own (createPostgresStore does not hand its Kysely out), on the same tables and migrations.
 */
import { Kysely } from 'kysely';
import type { ConnectivityStoreBackend } from '../index.js';
import { SqlConnectivityStore, type ConnectivityDatabase } from '../sql/index.js';
import { createPostgresDialect, type PostgresStoreOptions } from './postgres-store.js';

/**
 * A ConnectivityStore in PostgreSQL: pass the broker store's options (`maxConnections` defaults to 2
 * here: one batch is written at a time). Nothing connects until `open()`.
 *
 * @example
 * const connectivity = createPostgresConnectivityStore({ url: 'postgres://gatehouse@db/gatehouse', schema: 'gatehouse' });
 * await connectivity.open();
 */
export function createPostgresConnectivityStore(options: PostgresStoreOptions): ConnectivityStoreBackend {
  const { schema } = options;
  return new SqlConnectivityStore({
    db: new Kysely<ConnectivityDatabase>({ dialect: createPostgresDialect({ ...options, maxConnections: options.maxConnections ?? 2 }, { defaultMaxConnections: 2, label: 'connectivity store' }) }),
    dialect: 'postgres',
    ...(schema === undefined ? {} : { schema }),
  });
}
