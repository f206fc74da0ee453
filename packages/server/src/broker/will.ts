/**
 * Wills waiting for their Will Delay Interval (MQTT 5 3.1.3.2.2): one timer per client, written to
 * the store so that a will already pending survives a restart.
 */
import type { StoreOp, StoredMessage } from '../store/index.js';

const MAX_TIMER_MS = 0x7fffffff;

interface PendingWill {
  readonly message: StoredMessage;
  readonly timer: NodeJS.Timeout;
}

export interface WillSchedulerOptions {
  readonly persist: (op: StoreOp) => void;
  /** Publishes a will whose time has come. */
  readonly publish: (message: StoredMessage) => void;
  readonly now: () => number;
}

export class WillScheduler {
  readonly #pending = new Map<string, PendingWill>();
  readonly #options: WillSchedulerOptions;

  constructor(options: WillSchedulerOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Publishes `message` after `delayMs`; `persist` is false for wills loaded from the store. */
  schedule(clientId: string, message: StoredMessage, delayMs: number, persist: boolean): void {
    const existing = this.#pending.get(clientId);
    if (existing !== undefined) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#pending.delete(clientId);
      this.#options.persist({ kind: 'will.delete', clientId });
      this.#options.publish(message);
    }, Math.min(delayMs, MAX_TIMER_MS));
    timer.unref();
    this.#pending.set(clientId, { message, timer });
    if (persist) this.#options.persist({ kind: 'will.put', will: { clientId, message, publishAt: this.#options.now() + delayMs } });
  }

  /** Takes back the pending will of `clientId` and returns its message, if there was one. */
  cancel(clientId: string): StoredMessage | undefined {
    const pending = this.#pending.get(clientId);
    if (pending === undefined) return undefined;
    clearTimeout(pending.timer);
    this.#pending.delete(clientId);
    this.#options.persist({ kind: 'will.delete', clientId });
    return pending.message;
  }

  /** Stops every timer (shutdown); the stored wills stay for the next start. */
  stop(): void {
    for (const pending of this.#pending.values()) clearTimeout(pending.timer);
  }
}
