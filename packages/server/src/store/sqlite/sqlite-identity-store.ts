/**
 * Builds the SQLite IdentityStore on the broker store's database file. better-sqlite3 connections
 * cannot be shared without changing createSqliteStore, so this one opens a second connection to the
 * same file, with the same pragmas; WAL lets both work on it, and the migrations are shared.
 */
import { Kysely } from 'kysely';
import type { IdentityStoreBackend } from '../index.js';
import { SqlIdentityStore, type IdentityDatabase } from '../sql/index.js';
import { createSqliteDialect } from './sqlite-dialect.js';
import type { SqliteStoreOptions } from './sqlite-store.js';

/**
 * An IdentityStore in the SQLite file the broker store uses (pass the same options). Nothing touches
 * the disk until `open()`. A `:memory:` path gives a private database, not the broker's.
 *
 * Concurrency: better-sqlite3 is synchronous, so a verb never yields the event loop while it holds
 * SQLite's write lock, and the broker's writer (on the other connection) never waits on it. A
 * `transaction` keeps the lock across awaits; its function must await only the store's own verbs.
 *
 * @example
 * const broker = createSqliteStore({ path: '/var/lib/gatehouse/broker.db' });
 * const identity = createSqliteIdentityStore({ path: '/var/lib/gatehouse/broker.db' });
 * await broker.open();
 * await identity.open();
 */
export function createSqliteIdentityStore(options: SqliteStoreOptions): IdentityStoreBackend {
  return new SqlIdentityStore({ db: new Kysely<IdentityDatabase>({ dialect: createSqliteDialect(options) }), dialect: 'sqlite' });
}
