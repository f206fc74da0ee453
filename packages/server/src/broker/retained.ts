/** Retained messages: the in-memory index the broker answers from, written through to the store. */
import { TopicIndex } from '@gatehouse/protocol';
import type { RetainedMessage, StoreOp } from '../store/index.js';

export class RetainedStore {
  readonly #index = new TopicIndex<RetainedMessage>();
  readonly #persist: (op: StoreOp) => void;
  readonly #maxMessages: number;

  constructor(persist: (op: StoreOp) => void, maxMessages: number) {
    this.#persist = persist;
    this.#maxMessages = maxMessages;
  }

  get size(): number {
    return this.#index.size;
  }

  /** Fills the index at start, without writing to the store. */
  load(messages: readonly RetainedMessage[]): void {
    for (const message of messages) this.#index.set(message.topic, message);
  }

  /** Stores a retained message; false when the limit is reached and the topic is new. */
  put(message: RetainedMessage): boolean {
    if (this.#index.size >= this.#maxMessages && this.#index.get(message.topic) === undefined) return false;
    this.#index.set(message.topic, message);
    this.#persist({ kind: 'retained.put', message });
    return true;
  }

  delete(topic: string): boolean {
    if (!this.#index.delete(topic)) return false;
    this.#persist({ kind: 'retained.delete', topic });
    return true;
  }

  get(topic: string, now: number): RetainedMessage | undefined {
    const message = this.#index.get(topic);
    if (message !== undefined && message.expiresAt !== undefined && message.expiresAt <= now) {
      this.delete(topic);
      return undefined;
    }
    return message;
  }

  /** Live (unexpired) retained messages whose topic matches `filter`; expired ones are removed. */
  match(filter: string, now: number): RetainedMessage[] {
    const found = this.#index.matchFilter(filter);
    let live = found;
    for (let i = 0; i < found.length; i++) {
      const message = found[i]!;
      if (message.expiresAt !== undefined && message.expiresAt <= now) {
        if (live === found) live = found.slice(0, i);
        this.delete(message.topic);
      } else if (live !== found) {
        live.push(message);
      }
    }
    return live;
  }

  entries(prefix?: string): IterableIterator<[string, RetainedMessage]> {
    return this.#index.entries(prefix);
  }
}
