/** The Kysely dialect every SQLite store but the broker's writer opens its connection with: the broker store's pragmas. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import type { SqliteStoreOptions } from './sqlite-store.js';

/**
 * A dialect opening its own connection to `options.path` (creating the folder) with WAL,
 * `synchronous = NORMAL` (a commit survives kill -9; sqlite-store.ts says why), the busy timeout and
 * foreign keys on, so several connections and processes share one file.
 *
 * @example
 * const db = new Kysely<ShadowDatabase>({ dialect: createSqliteDialect({ path: '/var/lib/gatehouse/broker.db' }) });
 */
export function createSqliteDialect(options: SqliteStoreOptions): SqliteDialect {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  return new SqliteDialect({
    database: async () => {
      if (options.path !== ':memory:') await mkdir(dirname(options.path), { recursive: true });
      const database = new Database(options.path, { timeout: busyTimeoutMs });
      database.pragma('journal_mode = WAL');
      database.pragma('synchronous = NORMAL');
      // Another connection's write holds the lock for one statement or transaction: wait for it.
      database.pragma(`busy_timeout = ${busyTimeoutMs}`);
      database.pragma('foreign_keys = ON');
      return database;
    },
  });
}
