/**
 * The SQLite write path: every StoreOp kind has one statement, prepared once, and a batch runs them
 * row by row inside one better-sqlite3 transaction. On SQLite a prepared single-row statement costs
 * about a microsecond, while building multi-row SQL through Kysely re-parsed and re-prepared a
 * statement per batch (30% of the broker's CPU in `qos1-persistent`, docs/performance.md).
 * Row semantics are those of sql/write-ops.ts, and the contract suite holds both to them.
 */
import type Database from 'better-sqlite3';
import type { StoreOp } from '../ports.js';
import { messageColumns } from '../sql/index.js';

type Statement = Database.Statement;

const SQL = {
  sessionPut: `INSERT INTO sessions (client_id, protocol_version, expiry_interval, disconnected_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (client_id) DO UPDATE SET protocol_version = excluded.protocol_version, expiry_interval = excluded.expiry_interval, disconnected_at = excluded.disconnected_at`,
  sessionDeleteSubscriptions: 'DELETE FROM subscriptions WHERE client_id = ?',
  sessionDeleteOutgoing: 'DELETE FROM outgoing WHERE client_id = ?',
  sessionDeleteIncoming: 'DELETE FROM incoming_qos2 WHERE client_id = ?',
  sessionDelete: 'DELETE FROM sessions WHERE client_id = ?',
  subscriptionPut: `INSERT INTO subscriptions (client_id, filter, qos, no_local, retain_as_published, retain_handling, subscription_identifier) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (client_id, filter) DO UPDATE SET qos = excluded.qos, no_local = excluded.no_local, retain_as_published = excluded.retain_as_published,
    retain_handling = excluded.retain_handling, subscription_identifier = excluded.subscription_identifier`,
  subscriptionDelete: 'DELETE FROM subscriptions WHERE client_id = ? AND filter = ?',
  outgoingAdd: `INSERT INTO outgoing (client_id, seq, state, packet_id, topic, payload, qos, retain, properties, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  outgoingUpdate: 'UPDATE outgoing SET state = ?, packet_id = ? WHERE client_id = ? AND seq = ?',
  outgoingRemove: 'DELETE FROM outgoing WHERE client_id = ? AND seq = ?',
  incomingPut: 'INSERT INTO incoming_qos2 (client_id, packet_id) VALUES (?, ?) ON CONFLICT (client_id, packet_id) DO NOTHING',
  incomingRemove: 'DELETE FROM incoming_qos2 WHERE client_id = ? AND packet_id = ?',
  retainedPut: `INSERT INTO retained (topic, payload, qos, retain, properties, expires_at, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos, retain = excluded.retain, properties = excluded.properties,
    expires_at = excluded.expires_at, stored_at = excluded.stored_at`,
  retainedDelete: 'DELETE FROM retained WHERE topic = ?',
  willPut: `INSERT INTO wills (client_id, topic, payload, qos, retain, properties, expires_at, publish_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (client_id) DO UPDATE SET topic = excluded.topic, payload = excluded.payload, qos = excluded.qos, retain = excluded.retain,
    properties = excluded.properties, expires_at = excluded.expires_at, publish_at = excluded.publish_at`,
  willDelete: 'DELETE FROM wills WHERE client_id = ?',
} as const;

type Statements = { readonly [K in keyof typeof SQL]: Statement };

/**
 * Applies batches of StoreOps to an open, migrated SQLite database, atomically per batch.
 *
 * @example
 * const writer = new SqliteWriter(database);
 * writer.apply([{ kind: 'retained.delete', topic: 'a/b' }]);
 */
export class SqliteWriter {
  readonly #statements: Statements;
  readonly #applyBatch: (ops: readonly StoreOp[]) => void;

  constructor(database: Database.Database) {
    const statements = {} as Record<keyof typeof SQL, Statement>;
    for (const name of Object.keys(SQL) as (keyof typeof SQL)[]) statements[name] = database.prepare(SQL[name]);
    this.#statements = statements;
    this.#applyBatch = database.transaction((ops: readonly StoreOp[]) => {
      for (const op of ops) this.#write(op);
    });
  }

  /** Runs synchronously; throws (having rolled the whole batch back) when any op fails. */
  apply(ops: readonly StoreOp[]): void {
    this.#applyBatch(ops);
  }

  #write(op: StoreOp): void {
    const s = this.#statements;
    switch (op.kind) {
      case 'session.put': {
        const session = op.session;
        s.sessionPut.run(session.clientId, session.protocolVersion, session.expiryInterval, session.disconnectedAt ?? null);
        return;
      }
      case 'session.delete':
        s.sessionDeleteSubscriptions.run(op.clientId);
        s.sessionDeleteOutgoing.run(op.clientId);
        s.sessionDeleteIncoming.run(op.clientId);
        s.sessionDelete.run(op.clientId);
        return;
      case 'subscription.put': {
        const o = op.subscription.options;
        s.subscriptionPut.run(op.clientId, op.subscription.filter, o.qos, o.noLocal ? 1 : 0, o.retainAsPublished ? 1 : 0, o.retainHandling, o.subscriptionIdentifier ?? null);
        return;
      }
      case 'subscription.delete':
        s.subscriptionDelete.run(op.clientId, op.filter);
        return;
      case 'outgoing.add': {
        const entry = op.entry;
        const m = messageColumns(entry.message);
        s.outgoingAdd.run(op.clientId, entry.seq, entry.state, entry.packetId ?? null, m.topic, m.payload, m.qos, m.retain, m.properties, m.expires_at);
        return;
      }
      case 'outgoing.update':
        s.outgoingUpdate.run(op.state, op.packetId ?? null, op.clientId, op.seq);
        return;
      case 'outgoing.remove':
        s.outgoingRemove.run(op.clientId, op.seq);
        return;
      case 'incoming.put':
        s.incomingPut.run(op.clientId, op.packetId);
        return;
      case 'incoming.remove':
        s.incomingRemove.run(op.clientId, op.packetId);
        return;
      case 'retained.put': {
        const m = messageColumns(op.message);
        s.retainedPut.run(m.topic, m.payload, m.qos, m.retain, m.properties, m.expires_at, op.message.storedAt);
        return;
      }
      case 'retained.delete':
        s.retainedDelete.run(op.topic);
        return;
      case 'will.put': {
        const m = messageColumns(op.will.message);
        s.willPut.run(op.will.clientId, m.topic, m.payload, m.qos, m.retain, m.properties, m.expires_at, op.will.publishAt);
        return;
      }
      case 'will.delete':
        s.willDelete.run(op.clientId);
        return;
      default: {
        const unknown: never = op;
        throw new TypeError(`Cannot apply store op of unknown kind "${String((unknown as StoreOp).kind)}"`);
      }
    }
  }
}
