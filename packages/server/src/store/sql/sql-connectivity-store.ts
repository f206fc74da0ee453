/**
 * The ConnectivityStore on Kysely, shared by SQLite and PostgreSQL. Writes are coalesced: the records
 * given in one tick become one transaction of multi-row upserts, one batch at a time, so a connect
 * storm of thousands costs a handful of transactions.
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import {
  checkConnectivityList, checkConnectivityRecord, connectivityKey, mergeConnectivity, type ConnectivityRecord, type ConnectivityStoreBackend,
} from '../connectivity-ports.js';
import { openSqlStore } from './open-sql-store.js';
import { assertStoreOpen, runStoreQuery } from './run-store-query.js';
import { toNumber } from './row-codec.js';
import type { BigIntColumn, SqlDialectName } from './schema.js';

/** Migration 0009. */
export interface ThingConnectivityTable {
  tenant: string;
  thing: string;
  /** 0 or 1. */
  connected: number;
  changed_at: BigIntColumn;
  disconnect_reason: string | null;
  client_id: string;
  node_id: string;
}

export interface ConnectivityDatabase {
  thing_connectivity: ThingConnectivityTable;
}

export interface SqlConnectivityStoreOptions {
  /** The broker store's database; a Kysely with more tables than these works too. */
  readonly db: Kysely<ConnectivityDatabase>;
  readonly dialect: SqlDialectName;
  /** PostgreSQL schema holding the tables (the connections' search_path must point at it). */
  readonly schema?: string;
}

/** Rows per INSERT: 7 parameters each, far below both dialects' parameter limits. */
const ROWS_PER_STATEMENT = 500;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * @example
 * const connectivity = new SqlConnectivityStore({ db, dialect: 'sqlite' });
 * await connectivity.open();
 * await connectivity.markNodeDisconnected(nodeId, { at: Date.now(), reason: 'SERVER_ERROR' });
 */
export class SqlConnectivityStore implements ConnectivityStoreBackend {
  readonly #db: Kysely<ConnectivityDatabase>;
  readonly #options: SqlConnectivityStoreOptions;
  /** The next batch: the last record per thing, and who waits for it. */
  #pending = new Map<string, ConnectivityRecord>();
  #waiters: Waiter[] = [];
  #scheduled = false;
  /** The batch being written; the next starts after it, so batches land in order. */
  #writing: Promise<void> | undefined;
  #closed = false;

  constructor(options: SqlConnectivityStoreOptions) {
    this.#db = options.db;
    this.#options = options;
  }

  async open(): Promise<void> {
    assertStoreOpen(this.#closed);
    await openSqlStore(this.#db as Kysely<unknown>, { dialect: this.#options.dialect, schema: this.#options.schema, what: 'connectivity store' });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#drain();
    this.#closed = true;
    await this.#db.destroy();
  }

  setConnectivity(record: ConnectivityRecord): Promise<void> {
    try {
      assertStoreOpen(this.#closed);
      checkConnectivityRecord(record);
    } catch (error) {
      return Promise.reject(error);
    }
    const key = connectivityKey(record.tenant, record.thing);
    const queued = this.#pending.get(key);
    // Within a batch, as in the table: an older record never replaces a newer one.
    if (queued === undefined || queued.timestamp <= record.timestamp) this.#pending.set(key, mergeConnectivity(queued, record));
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate, not a microtask: every connection handled in this turn of the loop joins the batch.
        setImmediate(() => void this.#writeBatch());
      }
    });
  }

  async getConnectivity(tenant: string, thing: string): Promise<ConnectivityRecord | undefined> {
    const stored = await this.#query('read connectivity', async (db) => {
      const row = await db.selectFrom('thing_connectivity').selectAll().where('tenant', '=', tenant).where('thing', '=', thing).executeTakeFirst();
      return row === undefined ? undefined : recordFromRow(row);
    });
    return overlay(stored, this.#pending.get(connectivityKey(tenant, thing)));
  }

  listConnectivity(tenant: string, things: readonly string[]): Promise<ConnectivityRecord[]> {
    return this.#query('list connectivity', async (db) => {
      checkConnectivityList(things);
      const names = [...new Set(things)];
      const stored = new Map<string, ConnectivityRecord>();
      for (let start = 0; start < names.length; start += ROWS_PER_STATEMENT) {
        const rows = await db.selectFrom('thing_connectivity').selectAll().where('tenant', '=', tenant).where('thing', 'in', names.slice(start, start + ROWS_PER_STATEMENT)).execute();
        for (const row of rows) stored.set(row.thing, recordFromRow(row));
      }
      const found: ConnectivityRecord[] = [];
      for (const name of names) {
        const record = overlay(stored.get(name), this.#pending.get(connectivityKey(tenant, name)));
        if (record !== undefined) found.push(record);
      }
      return found;
    });
  }

  markNodeDisconnected(nodeId: string, options: { readonly at: number; readonly reason: string }): Promise<number> {
    return this.#query('mark connectivity of a restarted node', async (db) => {
      const result = await db
        .updateTable('thing_connectivity')
        .set({ connected: 0, changed_at: options.at, disconnect_reason: options.reason })
        .where('node_id', '=', nodeId)
        .where('connected', '=', 1)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  async #writeBatch(): Promise<void> {
    // One batch at a time: a later batch must not overtake an earlier one for the same thing.
    while (this.#writing !== undefined) await this.#writing;
    this.#scheduled = false;
    const batch = this.#pending;
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#pending = new Map();
    this.#waiters = [];
    const written = this.#query('write connectivity', (db) => upsert(db, [...batch.values()]));
    this.#writing = written.then(
      () => undefined,
      () => undefined,
    );
    try {
      await written;
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    } finally {
      this.#writing = undefined;
    }
  }

  /** Waits until everything queued so far is written (or has failed). */
  async #drain(): Promise<void> {
    while (this.#writing !== undefined || this.#waiters.length > 0) {
      if (this.#writing !== undefined) await this.#writing;
      else await this.#writeBatch();
    }
  }

  async #query<T>(action: string, body: (db: Kysely<ConnectivityDatabase>) => Promise<T>): Promise<T> {
    assertStoreOpen(this.#closed);
    return runStoreQuery(action, () => body(this.#db));
  }
}

/** What a read shows: the stored row, or the queued record where it is at least as new (as the write will make it). */
function overlay(stored: ConnectivityRecord | undefined, queued: ConnectivityRecord | undefined): ConnectivityRecord | undefined {
  if (queued === undefined || (stored !== undefined && stored.timestamp > queued.timestamp)) return stored;
  return mergeConnectivity(stored, queued);
}

/** One transaction of multi-row upserts; a row keeps its stored values when the record is older. */
async function upsert(db: Kysely<ConnectivityDatabase>, records: readonly ConnectivityRecord[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < records.length; start += ROWS_PER_STATEMENT) {
      await trx
        .insertInto('thing_connectivity')
        .values(records.slice(start, start + ROWS_PER_STATEMENT).map(rowOf))
        .onConflict((oc) =>
          oc
            .columns(['tenant', 'thing'])
            .doUpdateSet((eb) => ({
              connected: eb.ref('excluded.connected'),
              changed_at: eb.ref('excluded.changed_at'),
              disconnect_reason: eb.fn.coalesce(eb.ref('excluded.disconnect_reason'), eb.ref('thing_connectivity.disconnect_reason')),
              client_id: eb.ref('excluded.client_id'),
              node_id: eb.ref('excluded.node_id'),
            }))
            .where((eb) => eb('thing_connectivity.changed_at', '<=', eb.ref('excluded.changed_at'))),
        )
        .execute();
    }
  });
}

function rowOf(record: ConnectivityRecord): Insertable<ThingConnectivityTable> {
  return {
    tenant: record.tenant,
    thing: record.thing,
    connected: record.connected ? 1 : 0,
    changed_at: record.timestamp,
    disconnect_reason: record.disconnectReason ?? null,
    client_id: record.clientId,
    node_id: record.nodeId,
  };
}

function recordFromRow(row: Selectable<ThingConnectivityTable>): ConnectivityRecord {
  const record = { tenant: row.tenant, thing: row.thing, connected: row.connected === 1, timestamp: toNumber(row.changed_at), clientId: row.client_id, nodeId: row.node_id };
  return row.disconnect_reason === null ? record : { ...record, disconnectReason: row.disconnect_reason };
}
