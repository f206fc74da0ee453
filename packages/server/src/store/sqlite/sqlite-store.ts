/** Builds the embedded SQLite BrokerStore (better-sqlite3 under Kysely), the default single-node store. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { BrokerStore, LoadedSession, PendingWill, RetainedMessage, StoreOp } from '../index.js';
import { SqlBrokerStore, type BrokerDatabase } from '../sql/index.js';
import { SqliteWriter } from './sqlite-writer.js';

/** SQLITE_MAX_VARIABLE_NUMBER of the SQLite that better-sqlite3 bundles (3.32 and later). */
const SQLITE_MAX_PARAMETERS = 32766;

export interface SqliteStoreOptions {
  /** Database file; its directory is created if missing. `:memory:` gives a private in-memory database. */
  readonly path: string;
  /** How long a statement waits for another process's lock before failing; default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

/**
 * A BrokerStore in one SQLite file. Nothing touches the disk until `open()`.
 *
 * @example
 * const store = createSqliteStore({ path: '/var/lib/gatehouse/broker.db' });
 * await store.open();
 */
export function createSqliteStore(options: SqliteStoreOptions): BrokerStore {
  let database: Database.Database | undefined;
  const dialect = new SqliteDialect({
    database: async () => {
      if (options.path !== ':memory:') await mkdir(dirname(options.path), { recursive: true });
      database = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
      // WAL: readers do not block the writer, and a commit is one append to the log.
      database.pragma('journal_mode = WAL');
      // In WAL mode NORMAL skips the fsync at commit but not the write: a committed transaction is in
      // the OS page cache and survives the process being killed (kill -9), which is what we promise.
      // Only an OS crash or power loss can lose the last commits; FULL would cost an fsync per tick.
      database.pragma('synchronous = NORMAL');
      database.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      // The schema has no foreign keys (session.delete cascades explicitly), but turn them on so a
      // future migration that adds some gets them enforced.
      database.pragma('foreign_keys = ON');
      return database;
    },
  });
  const db = new Kysely<BrokerDatabase>({ dialect });
  const store = new SqlBrokerStore({ db, dialect: 'sqlite', maxParameters: SQLITE_MAX_PARAMETERS });
  return new SqliteBrokerStore(store, () => database);
}

/**
 * The Kysely store for opening, migrating and loading, with the prepared-statement SQLite writer for
 * `apply`, the hot path. better-sqlite3 is synchronous, so a batch never interleaves with a Kysely
 * query; loads (the only Kysely transactions) run before the broker applies anything.
 */
class SqliteBrokerStore implements BrokerStore {
  readonly #sql: SqlBrokerStore;
  readonly #database: () => Database.Database | undefined;
  #writer: SqliteWriter | undefined;

  constructor(sqlStore: SqlBrokerStore, database: () => Database.Database | undefined) {
    this.#sql = sqlStore;
    this.#database = database;
  }

  async open(): Promise<void> {
    await this.#sql.open();
    const database = this.#database();
    if (database === undefined) throw new TypeError('The SQLite database was not opened by the migrations');
    this.#writer = new SqliteWriter(database);
  }

  async apply(ops: readonly StoreOp[]): Promise<void> {
    // Before open and after close the Kysely store gives the right STORE_UNAVAILABLE error.
    if (this.#writer === undefined) return this.#sql.apply(ops);
    if (ops.length > 0) this.#writer.apply(ops);
  }

  loadSessions(): Promise<LoadedSession[]> {
    return this.#sql.loadSessions();
  }

  loadRetained(): Promise<RetainedMessage[]> {
    return this.#sql.loadRetained();
  }

  loadWills(): Promise<PendingWill[]> {
    return this.#sql.loadWills();
  }

  ping(): Promise<void> {
    return this.#sql.ping();
  }

  async close(): Promise<void> {
    this.#writer = undefined;
    await this.#sql.close();
  }
}
