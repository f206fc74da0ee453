/**
 * The BrokerStore in process memory, for tests and `store.kind: memory`. It mirrors the SQL tables
 * (orphan rows included) so it behaves exactly like SQLite and PostgreSQL, and copies every value in
 * and out so callers can never reach stored state.
 */
import { GatehouseError } from '../../core/index.js';
import { copyMessage } from '../message-properties.js';
import type {
  BrokerStore,
  LoadedSession,
  OutgoingMessage,
  PendingWill,
  RetainedMessage,
  StoredSession,
  StoredSubscription,
  StoreOp,
} from '../ports.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type SessionRow = Omit<StoredSession, 'subscriptions'>;

/**
 * The tables themselves. Hand the same instance to a second MemoryStore to "reopen" the store, as a
 * test would reopen a file.
 */
export class MemoryTables {
  readonly sessions = new Map<string, SessionRow>();
  readonly subscriptions = new Map<string, Map<string, StoredSubscription>>();
  readonly outgoing = new Map<string, Map<number, OutgoingMessage>>();
  readonly incoming = new Map<string, Set<number>>();
  readonly retained = new Map<string, RetainedMessage>();
  readonly wills = new Map<string, PendingWill>();
}

export interface MemoryStoreOptions {
  /** Existing tables to open; default: new, empty ones. */
  readonly tables?: MemoryTables;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function copySession(source: SessionRow): SessionRow {
  const copy: Mutable<SessionRow> = { clientId: source.clientId, protocolVersion: source.protocolVersion, expiryInterval: source.expiryInterval };
  if (source.disconnectedAt !== undefined) copy.disconnectedAt = source.disconnectedAt;
  return copy;
}

function copyOutgoing(source: OutgoingMessage): OutgoingMessage {
  const copy: Mutable<OutgoingMessage> = { seq: source.seq, state: source.state, message: copyMessage(source.message) };
  if (source.packetId !== undefined) copy.packetId = source.packetId;
  return copy;
}

function copyRetained(source: RetainedMessage): RetainedMessage {
  return { ...copyMessage(source), storedAt: source.storedAt };
}

function copyWill(source: PendingWill): PendingWill {
  return { clientId: source.clientId, message: copyMessage(source.message), publishAt: source.publishAt };
}

function copySubscriptionOptions(source: StoredSubscription): StoredSubscription {
  const options: Mutable<StoredSubscription['options']> = {
    qos: source.options.qos,
    noLocal: source.options.noLocal,
    retainAsPublished: source.options.retainAsPublished,
    retainHandling: source.options.retainHandling,
  };
  if (source.options.subscriptionIdentifier !== undefined) options.subscriptionIdentifier = source.options.subscriptionIdentifier;
  return { filter: source.filter, options };
}

/** The rows of one client in a per-client table, creating (undoably) the client's map when missing. */
function rowsOf<K, V>(table: Map<string, Map<K, V>>, clientId: string, undo: UndoLog): Map<K, V> {
  let rows = table.get(clientId);
  if (rows === undefined) {
    rows = new Map();
    undo.set(table, clientId, rows);
  }
  return rows;
}

/** Records how to undo each change of the running batch, so a failing op leaves nothing behind. */
class UndoLog {
  readonly #steps: (() => void)[] = [];

  set<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const previous = map.get(key);
    map.set(key, value);
    this.#steps.push(had ? () => map.set(key, previous as V) : () => map.delete(key));
  }

  delete<K, V>(map: Map<K, V>, key: K): void {
    if (!map.has(key)) return;
    const previous = map.get(key) as V;
    map.delete(key);
    this.#steps.push(() => map.set(key, previous));
  }

  addToSet<V>(set: Set<V>, value: V): void {
    if (set.has(value)) return;
    set.add(value);
    this.#steps.push(() => set.delete(value));
  }

  deleteFromSet<V>(set: Set<V>, value: V): void {
    if (!set.delete(value)) return;
    this.#steps.push(() => set.add(value));
  }

  rollback(): void {
    for (let index = this.#steps.length - 1; index >= 0; index--) this.#steps[index]!();
  }
}

/**
 * A BrokerStore that lives as long as the process (or as its MemoryTables). `outgoing.update` sets state
 * and packet id to exactly the given values, as the SQL stores do.
 *
 * @example
 * const store = new MemoryStore();
 * await store.open();
 * await store.apply([{ kind: 'retained.delete', topic: 'a/b' }]);
 */
export class MemoryStore implements BrokerStore {
  readonly #tables: MemoryTables;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#tables = options.tables ?? new MemoryTables();
  }

  /** The tables behind this store, to open a second store on the same data. */
  get tables(): MemoryTables {
    return this.#tables;
  }

  async open(): Promise<void> {
    this.#assertOpen();
  }

  async apply(ops: readonly StoreOp[]): Promise<void> {
    this.#assertOpen();
    const undo = new UndoLog();
    try {
      for (const op of ops) this.#applyOne(op, undo);
    } catch (error) {
      undo.rollback();
      throw error;
    }
  }

  async loadSessions(): Promise<LoadedSession[]> {
    this.#assertOpen();
    const t = this.#tables;
    return [...t.sessions.values()]
      .map((row) => ({
        ...copySession(row),
        subscriptions: [...(t.subscriptions.get(row.clientId)?.values() ?? [])].map(copySubscriptionOptions).sort((a, b) => compareText(a.filter, b.filter)),
        outgoing: [...(t.outgoing.get(row.clientId)?.values() ?? [])].map(copyOutgoing).sort((a, b) => a.seq - b.seq),
        incomingPacketIds: [...(t.incoming.get(row.clientId) ?? [])].sort((a, b) => a - b),
      }))
      .sort((a, b) => compareText(a.clientId, b.clientId));
  }

  async loadRetained(): Promise<RetainedMessage[]> {
    this.#assertOpen();
    return [...this.#tables.retained.values()].map(copyRetained).sort((a, b) => compareText(a.topic, b.topic));
  }

  async loadWills(): Promise<PendingWill[]> {
    this.#assertOpen();
    return [...this.#tables.wills.values()].map(copyWill).sort((a, b) => compareText(a.clientId, b.clientId));
  }

  async ping(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #applyOne(op: StoreOp, undo: UndoLog): void {
    const t = this.#tables;
    switch (op.kind) {
      case 'session.put':
        undo.set(t.sessions, op.session.clientId, copySession(op.session));
        return;
      case 'session.delete':
        undo.delete(t.subscriptions, op.clientId);
        undo.delete(t.outgoing, op.clientId);
        undo.delete(t.incoming, op.clientId);
        undo.delete(t.sessions, op.clientId);
        return;
      case 'subscription.put':
        undo.set(rowsOf(t.subscriptions, op.clientId, undo), op.subscription.filter, copySubscriptionOptions(op.subscription));
        return;
      case 'subscription.delete': {
        const rows = t.subscriptions.get(op.clientId);
        if (rows !== undefined) undo.delete(rows, op.filter);
        return;
      }
      case 'outgoing.add': {
        const rows = rowsOf(t.outgoing, op.clientId, undo);
        if (rows.has(op.entry.seq)) {
          // Mirrors the SQL primary key on (client_id, seq).
          throw new GatehouseError('CONFLICT', { reason: `Cannot add outgoing message ${op.entry.seq} of client "${op.clientId}": it exists` });
        }
        undo.set(rows, op.entry.seq, copyOutgoing(op.entry));
        return;
      }
      case 'outgoing.update': {
        const rows = t.outgoing.get(op.clientId);
        const current = rows?.get(op.seq);
        if (rows === undefined || current === undefined) return;
        const updated: Mutable<OutgoingMessage> = { seq: current.seq, state: op.state, message: current.message };
        if (op.packetId !== undefined) updated.packetId = op.packetId;
        undo.set(rows, op.seq, updated);
        return;
      }
      case 'outgoing.remove': {
        const rows = t.outgoing.get(op.clientId);
        if (rows !== undefined) undo.delete(rows, op.seq);
        return;
      }
      case 'incoming.put': {
        let ids = t.incoming.get(op.clientId);
        if (ids === undefined) {
          ids = new Set();
          undo.set(t.incoming, op.clientId, ids);
        }
        undo.addToSet(ids, op.packetId);
        return;
      }
      case 'incoming.remove': {
        const ids = t.incoming.get(op.clientId);
        if (ids !== undefined) undo.deleteFromSet(ids, op.packetId);
        return;
      }
      case 'retained.put':
        undo.set(t.retained, op.message.topic, copyRetained(op.message));
        return;
      case 'retained.delete':
        undo.delete(t.retained, op.topic);
        return;
      case 'will.put':
        undo.set(t.wills, op.will.clientId, copyWill(op.will));
        return;
      case 'will.delete':
        undo.delete(t.wills, op.clientId);
        return;
      default: {
        const unknown: never = op;
        throw new TypeError(`Cannot apply store op of unknown kind "${String((unknown as { kind: unknown }).kind)}"`);
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new GatehouseError('STORE_UNAVAILABLE', { reason: 'the store is closed' });
  }
}
