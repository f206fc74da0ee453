/**
 * Builds the SQLite ShadowStore on the broker store's database file, on a connection of its own with
 * the broker store's pragmas; WAL lets the connections share the file, and the migrations are shared.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { ShadowStoreBackend } from '../index.js';
import { SqlShadowStore, type ShadowDatabase } from '../sql/index.js';
import type { SqliteStoreOptions } from './sqlite-store.js';

/**
 * A ShadowStore in the SQLite file the broker store uses (pass the same options). Nothing touches the
 * disk until `open()`. A `:memory:` path gives a private database.
 *
 * Durability: WAL with `synchronous = NORMAL`, as the broker store (sqlite-store.ts says why): a
 * resolved `putShadow` is committed to the log in the OS page cache, so it survives `kill -9` of the
 * process; only an OS crash or power loss can lose the last commits.
 *
 * @example
 * const shadows = createSqliteShadowStore({ path: '/var/lib/gatehouse/broker.db' });
 * await shadows.open();
 */
export function createSqliteShadowStore(options: SqliteStoreOptions): ShadowStoreBackend {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const dialect = new SqliteDialect({
    database: async () => {
      if (options.path !== ':memory:') await mkdir(dirname(options.path), { recursive: true });
      const database = new Database(options.path, { timeout: busyTimeoutMs });
      database.pragma('journal_mode = WAL');
      database.pragma('synchronous = NORMAL');
      // Another process's compare-and-set holds the write lock for one statement: wait for it.
      database.pragma(`busy_timeout = ${busyTimeoutMs}`);
      database.pragma('foreign_keys = ON');
      return database;
    },
  });
  return new SqlShadowStore({ db: new Kysely<ShadowDatabase>({ dialect }), dialect: 'sqlite' });
}
