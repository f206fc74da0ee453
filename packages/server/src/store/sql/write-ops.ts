/**
 * Writes a list of StoreOps inside an open transaction with as few statements as order allows:
 * each run of consecutive ops of one kind becomes multi-row statements, chunked under the dialect's
 * bound-parameter limit. Ops of one run touch one table with one verb, so merging them cannot
 * reorder anything another op would observe; upserts of the same key within a run keep the last.
 */
import { sql, type Kysely } from 'kysely';
import type { StoreOp } from '../ports.js';
import { messageColumns } from './row-codec.js';
import type { BrokerDatabase } from './schema.js';

type Op<K extends StoreOp['kind']> = Extract<StoreOp, { readonly kind: K }>;

export interface WriteOpsOptions {
  /** Most bound parameters one statement may carry (SQLite 32766, PostgreSQL 65535). */
  readonly maxParameters: number;
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

/** Keeps the last op per key, in first-seen order (a run has no other op in between to observe it). */
function lastPerKey<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(keyOf(item), item);
  return [...byKey.values()];
}

function groupByClient<T extends { readonly clientId: string }, V>(items: readonly T[], valueOf: (item: T) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const item of items) {
    const group = groups.get(item.clientId);
    if (group === undefined) groups.set(item.clientId, [valueOf(item)]);
    else group.push(valueOf(item));
  }
  return groups;
}

const keySeparator = '\u0000';

/** Writes `ops` in order on `db`, which must be a transaction for the batch to be atomic. */
export async function writeOps(db: Kysely<BrokerDatabase>, ops: readonly StoreOp[], options: WriteOpsOptions): Promise<void> {
  const writer = new RunWriter(db, options.maxParameters);
  let start = 0;
  while (start < ops.length) {
    const kind = ops[start]!.kind;
    let end = start + 1;
    while (end < ops.length && ops[end]!.kind === kind) end++;
    await writer.write(kind, ops.slice(start, end));
    start = end;
  }
}

class RunWriter {
  readonly #db: Kysely<BrokerDatabase>;
  readonly #maxParameters: number;

  constructor(db: Kysely<BrokerDatabase>, maxParameters: number) {
    this.#db = db;
    this.#maxParameters = maxParameters;
  }

  #rowsPerStatement(columns: number): number {
    return Math.max(1, Math.floor(this.#maxParameters / columns));
  }

  async write(kind: StoreOp['kind'], run: readonly StoreOp[]): Promise<void> {
    switch (kind) {
      case 'session.put': return this.#putSessions(run as Op<'session.put'>[]);
      case 'session.delete': return this.#deleteSessions(run as Op<'session.delete'>[]);
      case 'subscription.put': return this.#putSubscriptions(run as Op<'subscription.put'>[]);
      case 'subscription.delete': return this.#deleteSubscriptions(run as Op<'subscription.delete'>[]);
      case 'outgoing.add': return this.#addOutgoing(run as Op<'outgoing.add'>[]);
      case 'outgoing.update': return this.#updateOutgoing(run as Op<'outgoing.update'>[]);
      case 'outgoing.remove': return this.#removeOutgoing(run as Op<'outgoing.remove'>[]);
      case 'incoming.put': return this.#putIncoming(run as Op<'incoming.put'>[]);
      case 'incoming.remove': return this.#removeIncoming(run as Op<'incoming.remove'>[]);
      case 'retained.put': return this.#putRetained(run as Op<'retained.put'>[]);
      case 'retained.delete': return this.#deleteRetained(run as Op<'retained.delete'>[]);
      case 'will.put': return this.#putWills(run as Op<'will.put'>[]);
      case 'will.delete': return this.#deleteWills(run as Op<'will.delete'>[]);
      default: {
        const unknown: never = kind;
        throw new TypeError(`Cannot apply store op of unknown kind "${String(unknown)}"`);
      }
    }
  }

  async #putSessions(run: readonly Op<'session.put'>[]): Promise<void> {
    const rows = lastPerKey(run, (op) => op.session.clientId).map(({ session }) => ({
      client_id: session.clientId,
      protocol_version: session.protocolVersion,
      expiry_interval: session.expiryInterval,
      disconnected_at: session.disconnectedAt ?? null,
    }));
    for (const chunk of chunks(rows, this.#rowsPerStatement(4))) {
      await this.#db
        .insertInto('sessions')
        .values(chunk)
        .onConflict((oc) =>
          oc.column('client_id').doUpdateSet((eb) => ({
            protocol_version: eb.ref('excluded.protocol_version'),
            expiry_interval: eb.ref('excluded.expiry_interval'),
            disconnected_at: eb.ref('excluded.disconnected_at'),
          })),
        )
        .execute();
    }
  }

  async #deleteSessions(run: readonly Op<'session.delete'>[]): Promise<void> {
    const clientIds = [...new Set(run.map((op) => op.clientId))];
    for (const chunk of chunks(clientIds, this.#maxParameters)) {
      await this.#db.deleteFrom('subscriptions').where('client_id', 'in', chunk).execute();
      await this.#db.deleteFrom('outgoing').where('client_id', 'in', chunk).execute();
      await this.#db.deleteFrom('incoming_qos2').where('client_id', 'in', chunk).execute();
      await this.#db.deleteFrom('sessions').where('client_id', 'in', chunk).execute();
    }
  }

  async #putSubscriptions(run: readonly Op<'subscription.put'>[]): Promise<void> {
    const rows = lastPerKey(run, (op) => op.clientId + keySeparator + op.subscription.filter).map(({ clientId, subscription }) => ({
      client_id: clientId,
      filter: subscription.filter,
      qos: subscription.options.qos,
      no_local: subscription.options.noLocal ? 1 : 0,
      retain_as_published: subscription.options.retainAsPublished ? 1 : 0,
      retain_handling: subscription.options.retainHandling,
      subscription_identifier: subscription.options.subscriptionIdentifier ?? null,
    }));
    for (const chunk of chunks(rows, this.#rowsPerStatement(7))) {
      await this.#db
        .insertInto('subscriptions')
        .values(chunk)
        .onConflict((oc) =>
          oc.columns(['client_id', 'filter']).doUpdateSet((eb) => ({
            qos: eb.ref('excluded.qos'),
            no_local: eb.ref('excluded.no_local'),
            retain_as_published: eb.ref('excluded.retain_as_published'),
            retain_handling: eb.ref('excluded.retain_handling'),
            subscription_identifier: eb.ref('excluded.subscription_identifier'),
          })),
        )
        .execute();
    }
  }

  async #deleteSubscriptions(run: readonly Op<'subscription.delete'>[]): Promise<void> {
    for (const [clientId, filters] of groupByClient(run, (op) => op.filter)) {
      for (const chunk of chunks(filters, this.#maxParameters - 1)) {
        await this.#db.deleteFrom('subscriptions').where('client_id', '=', clientId).where('filter', 'in', chunk).execute();
      }
    }
  }

  async #addOutgoing(run: readonly Op<'outgoing.add'>[]): Promise<void> {
    // No de-duplication: adding an existing (client, seq) is a bug the primary key must report.
    const rows = run.map(({ clientId, entry }) => ({
      client_id: clientId,
      seq: entry.seq,
      state: entry.state,
      packet_id: entry.packetId ?? null,
      ...messageColumns(entry.message),
    }));
    for (const chunk of chunks(rows, this.#rowsPerStatement(10))) {
      await this.#db.insertInto('outgoing').values(chunk).execute();
    }
  }

  async #updateOutgoing(run: readonly Op<'outgoing.update'>[]): Promise<void> {
    const updates = lastPerKey(run, (op) => op.clientId + keySeparator + op.seq);
    // One UPDATE ... FROM (VALUES ...) per chunk. Both dialects name VALUES columns column1..N (SQLite
    // cannot alias them), and the CASTs give PostgreSQL the parameter types it cannot infer.
    for (const chunk of chunks(updates, this.#rowsPerStatement(4))) {
      const values = sql.join(
        chunk.map(
          (op) =>
            sql`(CAST(${op.clientId} AS TEXT), CAST(${op.seq} AS BIGINT), CAST(${op.state} AS TEXT), CAST(${op.packetId ?? null} AS INTEGER))`,
        ),
      );
      await sql`UPDATE outgoing SET state = v.column3, packet_id = v.column4 FROM (VALUES ${values}) AS v WHERE outgoing.client_id = v.column1 AND outgoing.seq = v.column2`.execute(
        this.#db,
      );
    }
  }

  async #removeOutgoing(run: readonly Op<'outgoing.remove'>[]): Promise<void> {
    for (const [clientId, seqs] of groupByClient(run, (op) => op.seq)) {
      for (const chunk of chunks(seqs, this.#maxParameters - 1)) {
        await this.#db.deleteFrom('outgoing').where('client_id', '=', clientId).where('seq', 'in', chunk).execute();
      }
    }
  }

  async #putIncoming(run: readonly Op<'incoming.put'>[]): Promise<void> {
    const rows = lastPerKey(run, (op) => op.clientId + keySeparator + op.packetId).map((op) => ({
      client_id: op.clientId,
      packet_id: op.packetId,
    }));
    for (const chunk of chunks(rows, this.#rowsPerStatement(2))) {
      await this.#db
        .insertInto('incoming_qos2')
        .values(chunk)
        .onConflict((oc) => oc.columns(['client_id', 'packet_id']).doNothing())
        .execute();
    }
  }

  async #removeIncoming(run: readonly Op<'incoming.remove'>[]): Promise<void> {
    for (const [clientId, packetIds] of groupByClient(run, (op) => op.packetId)) {
      for (const chunk of chunks(packetIds, this.#maxParameters - 1)) {
        await this.#db.deleteFrom('incoming_qos2').where('client_id', '=', clientId).where('packet_id', 'in', chunk).execute();
      }
    }
  }

  async #putRetained(run: readonly Op<'retained.put'>[]): Promise<void> {
    const rows = lastPerKey(run, (op) => op.message.topic).map(({ message }) => ({
      ...messageColumns(message),
      stored_at: message.storedAt,
    }));
    for (const chunk of chunks(rows, this.#rowsPerStatement(7))) {
      await this.#db
        .insertInto('retained')
        .values(chunk)
        .onConflict((oc) =>
          oc.column('topic').doUpdateSet((eb) => ({
            payload: eb.ref('excluded.payload'),
            qos: eb.ref('excluded.qos'),
            retain: eb.ref('excluded.retain'),
            properties: eb.ref('excluded.properties'),
            expires_at: eb.ref('excluded.expires_at'),
            stored_at: eb.ref('excluded.stored_at'),
          })),
        )
        .execute();
    }
  }

  async #deleteRetained(run: readonly Op<'retained.delete'>[]): Promise<void> {
    const topics = [...new Set(run.map((op) => op.topic))];
    for (const chunk of chunks(topics, this.#maxParameters)) {
      await this.#db.deleteFrom('retained').where('topic', 'in', chunk).execute();
    }
  }

  async #putWills(run: readonly Op<'will.put'>[]): Promise<void> {
    const rows = lastPerKey(run, (op) => op.will.clientId).map(({ will }) => ({
      client_id: will.clientId,
      ...messageColumns(will.message),
      publish_at: will.publishAt,
    }));
    for (const chunk of chunks(rows, this.#rowsPerStatement(8))) {
      await this.#db
        .insertInto('wills')
        .values(chunk)
        .onConflict((oc) =>
          oc.column('client_id').doUpdateSet((eb) => ({
            topic: eb.ref('excluded.topic'),
            payload: eb.ref('excluded.payload'),
            qos: eb.ref('excluded.qos'),
            retain: eb.ref('excluded.retain'),
            properties: eb.ref('excluded.properties'),
            expires_at: eb.ref('excluded.expires_at'),
            publish_at: eb.ref('excluded.publish_at'),
          })),
        )
        .execute();
    }
  }

  async #deleteWills(run: readonly Op<'will.delete'>[]): Promise<void> {
    const clientIds = [...new Set(run.map((op) => op.clientId))];
    for (const chunk of chunks(clientIds, this.#maxParameters)) {
      await this.#db.deleteFrom('wills').where('client_id', 'in', chunk).execute();
    }
  }
}
