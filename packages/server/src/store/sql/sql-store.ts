/** The BrokerStore on Kysely, shared by SQLite and PostgreSQL; the dialect factories only build the Kysely instance. */
import { sql, type Kysely } from 'kysely';
import { GatehouseError } from '../../core/index.js';
import type { BrokerStore, LoadedSession, OutgoingMessage, PendingWill, RetainedMessage, StoredSubscription, StoreOp } from '../ports.js';
import { compareText, messageFromRow, toNumber, toOptionalNumber, toOutgoingState, toQos, toZeroToTwo } from './row-codec.js';
import { openSqlStore, reasonOf } from './open-sql-store.js';
import { assertStoreOpen } from './run-store-query.js';
import type { BrokerDatabase, SqlDialectName } from './schema.js';
import { writeOps } from './write-ops.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface SqlBrokerStoreOptions {
  readonly db: Kysely<BrokerDatabase>;
  readonly dialect: SqlDialectName;
  /** Bound-parameter limit of one statement (SQLite 32766, PostgreSQL 65535). */
  readonly maxParameters: number;
  /** PostgreSQL schema holding the tables (the connections' search_path must point at it). */
  readonly schema?: string;
}

/**
 * A BrokerStore on SQL. `outgoing.update` sets the entry's state and packet id to exactly the given
 * values (an absent packetId clears it); reads sort in JavaScript, never by database collation, so both
 * dialects return the same order.
 *
 * @example
 * const store = new SqlBrokerStore({ db, dialect: 'sqlite', maxParameters: 32766 });
 * await store.open();
 * await store.apply([{ kind: 'will.delete', clientId: 'agent-7' }]);
 */
export class SqlBrokerStore implements BrokerStore {
  readonly #db: Kysely<BrokerDatabase>;
  readonly #dialect: SqlDialectName;
  readonly #maxParameters: number;
  readonly #schema: string | undefined;
  #closed = false;

  constructor(options: SqlBrokerStoreOptions) {
    this.#db = options.db;
    this.#dialect = options.dialect;
    this.#maxParameters = options.maxParameters;
    this.#schema = options.schema;
  }

  async open(): Promise<void> {
    assertStoreOpen(this.#closed);
    await openSqlStore(this.#db as Kysely<unknown>, { dialect: this.#dialect, schema: this.#schema, what: 'store' });
  }

  async apply(ops: readonly StoreOp[]): Promise<void> {
    assertStoreOpen(this.#closed);
    if (ops.length === 0) return;
    await this.#db.transaction().execute((trx) => writeOps(trx, ops, { maxParameters: this.#maxParameters }));
  }

  async loadSessions(): Promise<LoadedSession[]> {
    assertStoreOpen(this.#closed);
    // One snapshot for all four reads, so a batch committed by another node in between cannot show
    // half a session (SQLite transactions are snapshots already; PostgreSQL needs REPEATABLE READ).
    const begin = this.#dialect === 'postgres' ? this.#db.transaction().setIsolationLevel('repeatable read') : this.#db.transaction();
    const [sessions, subscriptions, outgoing, incoming] = await begin.execute(async (trx) => [
      await trx.selectFrom('sessions').selectAll().execute(),
      await trx.selectFrom('subscriptions').selectAll().execute(),
      await trx.selectFrom('outgoing').selectAll().orderBy('seq').execute(),
      await trx.selectFrom('incoming_qos2').selectAll().execute(),
    ] as const);
    const byClient = new Map<string, { subscriptions: StoredSubscription[]; outgoing: OutgoingMessage[]; incomingPacketIds: number[] }>();
    for (const row of sessions) byClient.set(row.client_id, { subscriptions: [], outgoing: [], incomingPacketIds: [] });

    for (const row of subscriptions) {
      const options: Mutable<StoredSubscription['options']> = {
        qos: toQos(row.qos),
        noLocal: row.no_local !== 0,
        retainAsPublished: row.retain_as_published !== 0,
        retainHandling: toZeroToTwo(row.retain_handling, 'retain handling'),
      };
      if (row.subscription_identifier !== null) options.subscriptionIdentifier = row.subscription_identifier;
      byClient.get(row.client_id)?.subscriptions.push({ filter: row.filter, options });
    }
    for (const row of outgoing) {
      const entry: Mutable<OutgoingMessage> = { seq: toNumber(row.seq), state: toOutgoingState(row.state), message: messageFromRow(row) };
      if (row.packet_id !== null) entry.packetId = row.packet_id;
      byClient.get(row.client_id)?.outgoing.push(entry);
    }
    for (const row of incoming) byClient.get(row.client_id)?.incomingPacketIds.push(row.packet_id);

    return sessions
      .map((row) => {
        const parts = byClient.get(row.client_id)!;
        const session: Mutable<LoadedSession> = {
          clientId: row.client_id,
          protocolVersion: toProtocolVersion(row.protocol_version),
          expiryInterval: toNumber(row.expiry_interval),
          subscriptions: parts.subscriptions.sort((a, b) => compareText(a.filter, b.filter)),
          outgoing: parts.outgoing.sort((a, b) => a.seq - b.seq),
          incomingPacketIds: parts.incomingPacketIds.sort((a, b) => a - b),
        };
        const disconnectedAt = toOptionalNumber(row.disconnected_at);
        if (disconnectedAt !== undefined) session.disconnectedAt = disconnectedAt;
        return session;
      })
      .sort((a, b) => compareText(a.clientId, b.clientId));
  }

  async loadRetained(): Promise<RetainedMessage[]> {
    assertStoreOpen(this.#closed);
    const rows = await this.#db.selectFrom('retained').selectAll().execute();
    return rows
      .map((row) => ({ ...messageFromRow(row), storedAt: toNumber(row.stored_at) }))
      .sort((a, b) => compareText(a.topic, b.topic));
  }

  async loadWills(): Promise<PendingWill[]> {
    assertStoreOpen(this.#closed);
    const rows = await this.#db.selectFrom('wills').selectAll().execute();
    return rows
      .map((row) => ({ clientId: row.client_id, message: messageFromRow(row), publishAt: toNumber(row.publish_at) }))
      .sort((a, b) => compareText(a.clientId, b.clientId));
  }

  async ping(): Promise<void> {
    assertStoreOpen(this.#closed);
    try {
      await sql`SELECT 1`.execute(this.#db);
    } catch (error) {
      throw new GatehouseError('STORE_UNAVAILABLE', { reason: `${this.#dialect} did not answer: ${reasonOf(error)}` }, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
  }
}

function toProtocolVersion(value: number): 3 | 4 | 5 {
  if (value === 3 || value === 4 || value === 5) return value;
  throw new TypeError(`Cannot read stored protocol version ${value}`);
}
