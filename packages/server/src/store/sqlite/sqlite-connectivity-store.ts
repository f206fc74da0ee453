/**
 * Builds the SQLite ConnectivityStore on the broker store's database file, on a connection of its own
 * with the broker store's pragmas; WAL lets the connections share the file, and the migrations are shared.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { ConnectivityStoreBackend } from '../index.js';
import { SqlConnectivityStore, type ConnectivityDatabase } from '../sql/index.js';
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
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const dialect = new SqliteDialect({
    database: async () => {
      if (options.path !== ':memory:') await mkdir(dirname(options.path), { recursive: true });
      const database = new Database(options.path, { timeout: busyTimeoutMs });
      // The broker store's settings (sqlite-store.ts says why).
      database.pragma('journal_mode = WAL');
      database.pragma('synchronous = NORMAL');
      database.pragma(`busy_timeout = ${busyTimeoutMs}`);
      database.pragma('foreign_keys = ON');
      return database;
    },
  });
  return new SqlConnectivityStore({ db: new Kysely<ConnectivityDatabase>({ dialect }), dialect: 'sqlite' });
}
