/**
 * The group commit: the broker's hot path pushes StoreOps synchronously and GroupCommit writes
 * everything pushed during one tick as one `BrokerStore.apply` (one transaction). While a commit is
 * in flight, new ops gather into the next batch, so under load batches grow and latency stays one commit.
 */
import type { Logger } from '../core/index.js';
import type { BrokerStore, StoreOp } from './ports.js';

export interface GroupCommitStats {
  /** Ops written by the commit (after coalescing). */
  readonly ops: number;
  /** Time the store took to apply them. */
  readonly seconds: number;
}

export interface GroupCommitOptions {
  /** Gets commit failures (never payloads). */
  readonly logger?: Logger;
  /** Called after every successful commit, e.g. to feed a histogram. */
  onCommit?(stats: GroupCommitStats): void;
  /** First delay before retrying a failed commit; doubles per failure. Default 100 ms. */
  readonly retryDelayMs?: number;
  /** Longest delay between retries. Default 5000 ms. */
  readonly maxRetryDelayMs?: number;
}

type OutgoingAdd = Extract<StoreOp, { readonly kind: 'outgoing.add' }>;

/** Ops not yet handed to the store; cancelled ops leave `null` holes so indexes stay valid. */
interface Batch {
  readonly ops: (StoreOp | null)[];
  live: number;
  readonly callbacks: (() => void)[];
}

/** A started commit: its ops and callbacks stay here, retried, until the store takes them. */
interface InFlight {
  readonly ops: readonly StoreOp[];
  readonly callbacks: (() => void)[];
  startedAt: number;
}

/** Where the pending batch holds ops of one outgoing entry: indexes into Batch.ops, -1 for none. */
interface EntrySlot {
  add: number;
  update: number;
}

function newBatch(): Batch {
  return { ops: [], live: 0, callbacks: [] };
}

function isOp(op: StoreOp | null): op is StoreOp {
  return op !== null;
}

function withState(add: OutgoingAdd, state: OutgoingAdd['entry']['state'], packetId: number | undefined): OutgoingAdd {
  const { packetId: _old, ...entry } = add.entry;
  return { kind: 'outgoing.add', clientId: add.clientId, entry: packetId === undefined ? { ...entry, state } : { ...entry, state, packetId } };
}

/**
 * Batches durable writes: one transaction per tick, callbacks after their ops commit.
 *
 * Inside a batch that has not started, ops of one outgoing entry coalesce: an `outgoing.add` and a
 * later `outgoing.remove` of the same (clientId, seq) cancel out with any updates between them, an
 * `outgoing.update` of an entry added in the same batch folds into the add, and of repeated updates
 * the last one is kept. A `session.delete` ends coalescing for its client, so ops around it keep their
 * order. A failed commit keeps its ops and callbacks, marks the writer unhealthy and is retried with
 * backoff until it succeeds: acknowledged data is never dropped.
 *
 * @example
 * const commit = new GroupCommit(store, { logger });
 * commit.push({ kind: 'outgoing.add', clientId: 'agent-7', entry });
 * commit.afterCommit(() => socket.write(puback)); // [MQTT-4.3.2-2]: acknowledge once stored
 * await commit.close();
 */
export class GroupCommit {
  readonly #store: BrokerStore;
  readonly #logger: Logger | undefined;
  readonly #onCommit: ((stats: GroupCommitStats) => void) | undefined;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;

  #next: Batch = newBatch();
  #slots = new Map<string, Map<number, EntrySlot>>();
  #inFlight: InFlight | null = null;
  #scheduled = false;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(store: BrokerStore, options: GroupCommitOptions = {}) {
    this.#store = store;
    this.#logger = options.logger;
    this.#onCommit = options.onCommit?.bind(options);
    this.#retryDelayMs = options.retryDelayMs ?? 100;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 5000;
  }

  /** False while the last commit failed and is being retried; /readyz and throttling read it. */
  get healthy(): boolean {
    return this.#failures === 0;
  }

  /** Ops pushed and not yet committed (after coalescing), in flight included. */
  get pendingOps(): number {
    return this.#next.live + (this.#inFlight?.ops.length ?? 0);
  }

  /**
   * Queues one durable change for the next commit. Synchronous and allocation-light: the hot path
   * calls it per message. Throws TypeError once `close()` was called.
   */
  push(op: StoreOp): void {
    if (this.#closed) throw new TypeError(`Cannot push store op "${op.kind}": the group commit is closed`);
    if (!this.#coalesce(op)) {
      this.#next.ops.push(op);
      this.#next.live++;
    }
    this.#schedule();
  }

  /**
   * Runs `callback` once every op pushed so far is committed; callbacks run in registration order.
   * When nothing is pending it runs at once, synchronously. A callback that throws is logged and the
   * others still run.
   */
  afterCommit(callback: () => void): void {
    if (this.#next.live > 0 || this.#next.callbacks.length > 0) {
      this.#next.callbacks.push(callback);
      this.#schedule();
    } else if (this.#inFlight !== null) {
      this.#inFlight.callbacks.push(callback);
    } else {
      this.#runCallback(callback);
    }
  }

  /** Resolves once every op pushed so far is committed (however many retries that takes). */
  flush(): Promise<void> {
    return new Promise((resolve) => this.afterCommit(resolve));
  }

  /** Refuses new ops from now on and resolves once everything pushed before is committed. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  /** Returns true when `op` was absorbed into ops already in the pending batch. */
  #coalesce(op: StoreOp): boolean {
    const batch = this.#next;
    switch (op.kind) {
      case 'outgoing.add': {
        let slots = this.#slots.get(op.clientId);
        if (slots === undefined) this.#slots.set(op.clientId, (slots = new Map()));
        slots.set(op.entry.seq, { add: batch.ops.length, update: -1 });
        return false;
      }
      case 'outgoing.update': {
        let slots = this.#slots.get(op.clientId);
        const slot = slots?.get(op.seq);
        if (slot !== undefined && slot.add >= 0) {
          batch.ops[slot.add] = withState(batch.ops[slot.add] as OutgoingAdd, op.state, op.packetId);
          return true;
        }
        if (slot !== undefined && slot.update >= 0) {
          // An update sets state and packet id outright, so the earlier one has nothing left to say.
          batch.ops[slot.update] = null;
          batch.live--;
          slot.update = batch.ops.length;
          return false;
        }
        if (slots === undefined) this.#slots.set(op.clientId, (slots = new Map()));
        slots.set(op.seq, { add: -1, update: batch.ops.length });
        return false;
      }
      case 'outgoing.remove': {
        const slots = this.#slots.get(op.clientId);
        const slot = slots?.get(op.seq);
        if (slot === undefined) return false;
        slots!.delete(op.seq);
        if (slot.update >= 0) {
          batch.ops[slot.update] = null;
          batch.live--;
        }
        if (slot.add < 0) return false;
        batch.ops[slot.add] = null;
        batch.live--;
        return true;
      }
      case 'session.delete':
        this.#slots.delete(op.clientId);
        return false;
      default:
        return false;
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight !== null) return;
    this.#scheduled = true;
    setImmediate(this.#onTick);
  }

  readonly #onTick = (): void => {
    this.#scheduled = false;
    this.#start();
  };

  #start(): void {
    const batch = this.#next;
    if (this.#inFlight !== null || (batch.live === 0 && batch.callbacks.length === 0)) return;
    this.#next = newBatch();
    this.#slots = new Map();
    const ops = batch.live === batch.ops.length ? (batch.ops as StoreOp[]) : batch.ops.filter(isOp);
    this.#inFlight = { ops, callbacks: batch.callbacks, startedAt: 0 };
    if (ops.length === 0) this.#onApplied();
    else this.#apply();
  }

  #apply(): void {
    const inFlight = this.#inFlight!;
    inFlight.startedAt = performance.now();
    let applied: Promise<void>;
    try {
      applied = this.#store.apply(inFlight.ops);
    } catch (error) {
      applied = Promise.reject(error);
    }
    applied.then(this.#onApplied, this.#onFailed);
  }

  readonly #onApplied = (): void => {
    const inFlight = this.#inFlight!;
    if (inFlight.ops.length > 0) {
      if (this.#failures > 0) this.#logger?.info({ ops: inFlight.ops.length, failures: this.#failures }, 'Store batch committed after retrying');
      this.#failures = 0;
      this.#report({ ops: inFlight.ops.length, seconds: (performance.now() - inFlight.startedAt) / 1000 });
    }
    // #inFlight stays set while callbacks run: an afterCommit() from inside one joins this list
    // (indexed loop) instead of running ahead of the callbacks still waiting here.
    const callbacks = inFlight.callbacks;
    for (let index = 0; index < callbacks.length; index++) this.#runCallback(callbacks[index]!);
    this.#inFlight = null;
    this.#start();
  };

  readonly #onFailed = (error: unknown): void => {
    const inFlight = this.#inFlight!;
    this.#failures++;
    const delay = Math.min(this.#retryDelayMs * 2 ** (this.#failures - 1), this.#maxRetryDelayMs);
    // Only the error's own fields: never the ops, which carry payloads.
    const err = error instanceof Error ? { name: error.name, message: error.message, code: (error as { code?: unknown }).code } : { message: String(error) };
    this.#logger?.error(
      { err, ops: inFlight.ops.length, failures: this.#failures, retryInMs: delay },
      'Cannot commit store batch; keeping it and retrying',
    );
    this.#retryTimer = setTimeout(this.#onRetry, delay);
  };

  readonly #onRetry = (): void => {
    this.#retryTimer = null;
    this.#apply();
  };

  #report(stats: GroupCommitStats): void {
    if (this.#onCommit === undefined) return;
    try {
      this.#onCommit(stats);
    } catch (error) {
      this.#logger?.error({ err: error }, 'onCommit listener of the group commit threw');
    }
  }

  #runCallback(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#logger?.error({ err: error }, 'Callback after a store commit threw');
    }
  }
}
