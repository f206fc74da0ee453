/**
 * Turns connected and disconnected events into per-thing connectivity records: finds the thing (the
 * principal's thing, else the client id when a thing of that name exists in the tenant) and hands the
 * records to the connectivity store in arrival order, whose batching makes a connect storm a few
 * transactions. Thing lookups are cached briefly and shared within a batch.
 */
import type { ConnectedEvent, DisconnectedEvent } from '../../broker/index.js';
import type { Logger } from '../../core/index.js';
import type { ConnectivityStore, IdentityStore } from '../../store/index.js';

export interface ConnectivityRecorderOptions {
  readonly store: ConnectivityStore;
  /** Whether a client id names a thing of the tenant. */
  readonly things: Pick<IdentityStore, 'getThing'>;
  /** Written with every record, so a restart of this node can mark what it left connected. */
  readonly nodeId: string;
  readonly logger: Logger;
  /** How long a thing lookup is trusted; default 10 s. */
  readonly lookupTtlMs?: number;
}

/** AWS's thing name pattern: a client id outside it cannot be a thing, so it is never looked up. */
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
/** Lookups remembered at most; past it the cache starts again (a storm of distinct ids must not grow it without bound). */
const MAX_CACHED_LOOKUPS = 50_000;

/**
 * @example
 * const recorder = new ConnectivityRecorder({ store, things: identity, nodeId, logger });
 * broker.port.onLifecycle((event) => { if (event.kind === 'connected' || event.kind === 'disconnected') recorder.record(event); });
 * await recorder.flush();
 */
export class ConnectivityRecorder {
  readonly #options: ConnectivityRecorderOptions;
  readonly #ttlMs: number;
  #queue: Array<ConnectedEvent | DisconnectedEvent> = [];
  #running: Promise<void> | undefined;
  /** `tenant\0name` to until when (epoch ms) the answer is trusted: positive when the thing exists, negative when not. */
  readonly #lookups = new Map<string, number>();

  constructor(options: ConnectivityRecorderOptions) {
    this.#options = options;
    this.#ttlMs = options.lookupTtlMs ?? 10_000;
  }

  /** Queues the event; events of a client outside every tenant are not about a thing and are dropped. */
  record(event: ConnectedEvent | DisconnectedEvent): void {
    if (event.tenant === undefined) return;
    this.#queue.push(event);
    // setImmediate: every event of this turn of the loop goes into one batch.
    this.#running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#run());
  }

  /** Resolves once every event queued so far is written (or has failed and been logged). */
  async flush(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await this.#write(batch);
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #write(batch: ReadonlyArray<ConnectedEvent | DisconnectedEvent>): Promise<void> {
    const { store, nodeId, logger } = this.#options;
    try {
      const things = await this.#thingsOf(batch);
      const writes: Promise<void>[] = [];
      batch.forEach((event, i) => {
        const thing = things[i];
        if (thing === undefined) return;
        writes.push(store.setConnectivity({
          tenant: event.tenant!,
          thing,
          connected: event.kind === 'connected',
          timestamp: event.at,
          ...(event.kind === 'disconnected' ? { disconnectReason: event.disconnectReason } : {}),
          clientId: event.clientId,
          nodeId,
        }));
      });
      await Promise.all(writes);
    } catch (error) {
      logger.warn({ err: error, events: batch.length }, 'Cannot record thing connectivity');
    }
  }

  /** The thing of each event (undefined: none), looking up each distinct unknown client id once. */
  async #thingsOf(batch: ReadonlyArray<ConnectedEvent | DisconnectedEvent>): Promise<Array<string | undefined>> {
    const now = Date.now();
    const pending = new Map<string, Promise<boolean>>();
    const answers = batch.map((event): string | Promise<boolean> | undefined => {
      const named = event.principal?.thingName;
      if (named !== undefined) return named;
      if (!THING_NAME.test(event.clientId)) return undefined;
      const key = `${event.tenant!}\0${event.clientId}`;
      const cached = this.#lookups.get(key);
      if (cached !== undefined && Math.abs(cached) > now) return cached > 0 ? event.clientId : undefined;
      let lookup = pending.get(key);
      if (lookup === undefined) {
        lookup = this.#options.things.getThing(event.tenant!, event.clientId).then((thing) => {
          if (this.#lookups.size >= MAX_CACHED_LOOKUPS) this.#lookups.clear();
          const until = Date.now() + this.#ttlMs;
          this.#lookups.set(key, thing === undefined ? -until : until);
          return thing !== undefined;
        });
        pending.set(key, lookup);
      }
      return lookup;
    });
    return Promise.all(answers.map(async (answer, i) => {
      if (typeof answer !== 'object') return answer;
      return (await answer) ? batch[i]!.clientId : undefined;
    }));
  }
}
