/**
 * The agent's side of the configuration-push pattern on an AWS-compatible shadow: after each connect
 * it asks for the shadow (`get`), applies the delta it finds, and reports; later deltas are applied
 * and reported as they come. Deltas are applied one at a time, oldest first, and a version already
 * applied is skipped (a persistent session can deliver a delta that the `get` already showed).
 */
import { shadowTopic, type ShadowDelta, type ShadowErrorResponse, type ShadowGetAccepted, type ShadowJsonObject, type ShadowUpdateRequest } from '@gatehouse/protocol';
import type { ShadowSyncOptions } from './agent-options.ts';

/** What the shadow sync needs from the agent. */
export interface ShadowSyncHost {
  publishJson(topic: string, body: unknown): Promise<void>;
  reportError(error: Error): void;
  /** A server timestamp (epoch seconds) seen in a reply, for the clock-skew check. */
  noteServerTime(seconds: number): void;
}

/**
 * Keeps one shadow's desired state applied.
 *
 * @example
 * const sync = new ShadowSync(host, 'pump-7', { onDelta: (delta) => { apply(delta); return delta; } });
 * for (const filter of sync.filters) await subscribe(filter);
 * await sync.requestState();
 */
export class ShadowSync {
  readonly #host: ShadowSyncHost;
  readonly #thing: string;
  readonly #options: ShadowSyncOptions;
  #appliedVersion = 0;
  #tokens = 0;
  #work: Promise<void> = Promise.resolve();

  constructor(host: ShadowSyncHost, thing: string, options: ShadowSyncOptions) {
    this.#host = host;
    this.#thing = thing;
    this.#options = options;
  }

  /** The reply topics to subscribe to before `requestState`. */
  get filters(): string[] {
    return [this.#topic('get', 'accepted'), this.#topic('get', 'rejected'), this.#topic('update', 'delta'), this.#topic('update', 'rejected')];
  }

  /** Publishes `get`; the answer arrives through `handle`. */
  requestState(): Promise<void> {
    return this.#host.publishJson(this.#topic('get'), { clientToken: this.#token() });
  }

  /**
   * Reports `reported` state (`null` deletes a key).
   *
   * @example
   * await sync.report({ firmware: '1.4.2' });
   */
  report(reported: ShadowJsonObject): Promise<void> {
    const request: ShadowUpdateRequest = { state: { reported }, clientToken: this.#token() };
    return this.#host.publishJson(this.#topic('update'), request);
  }

  /** Takes a message on one of `filters`; returns false for other topics. */
  handle(topic: string, body: unknown): boolean {
    if (topic === this.#topic('get', 'accepted')) {
      const shadow = body as ShadowGetAccepted;
      this.#host.noteServerTime(shadow.timestamp);
      if (shadow.state?.delta !== undefined) this.#apply(shadow.state.delta, shadow.version);
      else this.#appliedVersion = Math.max(this.#appliedVersion, shadow.version ?? 0);
      return true;
    }
    if (topic === this.#topic('update', 'delta')) {
      const delta = body as ShadowDelta;
      this.#host.noteServerTime(delta.timestamp);
      this.#apply(delta.state, delta.version);
      return true;
    }
    if (topic === this.#topic('get', 'rejected') || topic === this.#topic('update', 'rejected')) {
      const refusal = body as ShadowErrorResponse;
      if (refusal.timestamp !== undefined) this.#host.noteServerTime(refusal.timestamp);
      // No shadow yet is the normal start of a fleet, not a fault.
      if (topic.endsWith('/get/rejected') && refusal.code === 404) return true;
      this.#host.reportError(new Error(`Shadow ${this.#describe()} refused ${topic.split('/').at(-2)}: ${refusal.code} ${refusal.message}`));
      return true;
    }
    return false;
  }

  #apply(delta: ShadowJsonObject, version: number): void {
    this.#work = this.#work.then(async () => {
      if (version <= this.#appliedVersion) return;
      try {
        const reported = (await this.#options.onDelta(delta, { version })) ?? delta;
        this.#appliedVersion = version;
        await this.report(reported);
      } catch (error) {
        this.#host.reportError(new Error(`Cannot apply version ${version} of shadow ${this.#describe()}: ${(error as Error).message}`, { cause: error }));
      }
    });
  }

  #topic(operation: 'get' | 'update', reply?: 'accepted' | 'rejected' | 'delta'): string {
    return shadowTopic(this.#thing, this.#options.name, operation, reply);
  }

  #describe(): string {
    return this.#options.name === undefined ? `of thing "${this.#thing}"` : `"${this.#options.name}" of thing "${this.#thing}"`;
  }

  #token(): string {
    return `agent-${++this.#tokens}`;
  }
}
