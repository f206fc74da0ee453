/**
 * Builds the SQLite ConnectivityStore on the broker store's database file, on a connection of its own
 * with the broker store's pragmas; WAL lets the connections share the file, and the migrations are shared.
 */
import { Kysely } from 'kysely';
import type { ConnectivityStoreBackend } from '../index.js';
import { SqlConnectivityStore, type ConnectivityDatabase } from '../sql/index.js';
import { createSqliteDialect } from './sqlite-dialect.js';
import type { SqliteStoreOptions } from './sqlite-store.js';

/**
 * A ConnectivityStore in the SQLite file the broker store uses (pass the same options). Nothing
 * touches the disk until `open()`. A `:memory:` path gives a private database.
 *
 * @example
 * const connectivity = createSqliteConnectivityStore({ path: '/var/lib/gatehouse/gatehouse.db' });
 * await connectivity.open();
 */
export function createSqliteConnectivityStore(options: SqliteStoreOptions): ConnectivityStoreBackend {
  return new SqlConnectivityStore({ db: new Kysely<ConnectivityDatabase>({ dialect: createSqliteDialect(options) }), dialect: 'sqlite' });
}
