/**
 * The Device Shadow service: an internal client of the broker that answers AWS's shadow topics in
 * every tenant, and the same operations for the REST routes (admin API and the agents' data plane).
 * It loads a shadow, calls the pure shadow code, saves with a compare-and-set and publishes.
 *
 * Ordering: every request of one shadow, whichever way it came, runs in the shadow's queue, so
 * requests apply strictly in arrival order and replies leave in the same order; different shadows
 * run side by side. Across nodes the store's compare-and-set keeps versions honest: a lost race is
 * read again and retried when the request named no version, and is a 409 when it did.
 */
import type { BrokerPort, InternalMessage, MessageOrigin } from '../../broker/index.js';
import type { Logger } from '../../core/index.js';
import { CLASSIC_SHADOW, SHADOW_TOMBSTONE_MS, type IdentityStore, type ShadowNamePage, type ShadowRecord, type ShadowStore } from '../../store/index.js';
import { InFlightLimit } from './in-flight-limit.js';
import { documentFromRecord, recordFields } from './shadow-codec.js';
import { DEFAULT_SHADOW_LIMITS, type ShadowLimits } from './shadow-document.js';
import { ShadowQueue, shadowKey } from './shadow-queue.js';
import {
  internalFailure, noShadow, rejectionPayload, thingNotFound, tooManyRequests, versionConflict, ShadowRejection, type ShadowErrorCode,
} from './shadow-rejection.js';
import { deleteAcceptedPayload, getAcceptedPayload } from './shadow-replies.js';
import { parseClientToken, parseUpdateRequest } from './shadow-request.js';
import { applyShadowUpdate } from './shadow-update.js';
import { parseShadowRequest, SHADOW_REQUEST_FILTERS, shadowReplyTopic, type ShadowAddress } from './topics.js';

export interface ShadowServiceOptions {
  readonly broker: BrokerPort;
  readonly shadows: ShadowStore;
  /** Thing lookups: updates of a thing not in the registry are refused (404 'Thing not found') when requireThing. */
  readonly identity: Pick<IdentityStore, 'getThing'>;
  readonly logger: Logger;
  /** Default DEFAULT_SHADOW_LIMITS (8192 bytes, 6 levels). */
  readonly limits?: ShadowLimits;
  /** Default true, as AWS. */
  readonly requireThing?: boolean;
  /** Requests one MQTT connection may have under way; more are rejected with 429. Default 10, as AWS. */
  readonly maxInFlightPerClient?: number;
  /** How often tombstones older than 48 h are purged from the store; default one hour, 0 for never. */
  readonly purgeIntervalMs?: number;
  /** Epoch ms, for tests; default `Date.now`. */
  readonly now?: () => number;
}

/** What a REST caller gets: the AWS body of the success, or the AWS error body with its code as the HTTP status. */
export type ShadowResult = { readonly status: 200; readonly body: object } | { readonly status: ShadowErrorCode; readonly body: object };

/** Requests answered since start, by operation and by code (200 for accepted); api/metrics.ts reads them. */
export interface ShadowCounters {
  readonly requests: Readonly<Record<ShadowCountedOperation, Readonly<Record<string, number>>>>;
}

export type ShadowCountedOperation = 'get' | 'update' | 'delete' | 'list';

export interface ShadowService {
  get(tenant: string, thing: string, shadow: string | undefined): Promise<ShadowResult>;
  /** `payload` is the request document as sent (AWS's checks and messages apply to it, Invalid JSON included). */
  update(tenant: string, thing: string, shadow: string | undefined, payload: Buffer): Promise<ShadowResult>;
  delete(tenant: string, thing: string, shadow: string | undefined): Promise<ShadowResult>;
  /** The thing's live named shadows, ordered bytewise; store failures reject. */
  listNamedShadows(tenant: string, thing: string, query: { readonly limit: number; readonly cursor?: string }): Promise<ShadowNamePage>;
  readonly counters: ShadowCounters;
  /** Removes tombstones older than 48 h (their version no longer counts); resolves with how many went. The timer calls it too. */
  purgeTombstones(): Promise<number>;
  /** Stops listening and purging, and waits for the work under way. */
  stop(): Promise<void>;
}

/** Rounds of read, apply and compare-and-set before a request without a version gives up with 409. */
const MAX_ATTEMPTS = 10;
const EMPTY = Buffer.alloc(0);
const defaultPurgeIntervalMs = 60 * 60 * 1000;

type Via = 'mqtt' | 'rest';

/**
 * Subscribes to the shadow request topics of every tenant.
 *
 * @example
 * const shadowService = startShadowService({ broker: broker.port, shadows, identity, logger });
 * const result = await shadowService.update('acme', 'agent-7', undefined, Buffer.from('{"state":{"desired":{"mode":"eco"}}}'));
 * result.status; // 200
 * await shadowService.stop();
 */
export function startShadowService(options: ShadowServiceOptions): ShadowService {
  return new DeviceShadowService(options);
}

class DeviceShadowService implements ShadowService {
  readonly counters: ShadowCounters = { requests: { get: {}, update: {}, delete: {}, list: {} } };
  readonly #options: ShadowServiceOptions;
  readonly #limits: ShadowLimits;
  readonly #requireThing: boolean;
  readonly #inFlight: InFlightLimit;
  readonly #queue = new ShadowQueue();
  readonly #underWay = new Set<Promise<unknown>>();
  readonly #unsubscribe: Array<() => void>;
  readonly #purgeTimer: NodeJS.Timeout | undefined;
  #purging: Promise<number> | undefined;
  #stopped = false;

  constructor(options: ShadowServiceOptions) {
    this.#options = options;
    this.#limits = options.limits ?? DEFAULT_SHADOW_LIMITS;
    this.#requireThing = options.requireThing ?? true;
    this.#inFlight = new InFlightLimit(options.maxInFlightPerClient ?? 10);
    const onMessage = (message: InternalMessage, origin: MessageOrigin | undefined): void => this.#onRequest(message, origin);
    this.#unsubscribe = SHADOW_REQUEST_FILTERS.map((filter) => options.broker.subscribe(filter, onMessage));
    const purgeIntervalMs = options.purgeIntervalMs ?? defaultPurgeIntervalMs;
    if (purgeIntervalMs > 0) {
      this.#purgeTimer = setInterval(() => void this.purgeTombstones(), purgeIntervalMs);
      this.#purgeTimer.unref();
    }
  }

  purgeTombstones(): Promise<number> {
    if (this.#stopped) return Promise.resolve(0);
    this.#purging ??= this.#options.shadows.purgeTombstones(this.#nowMs() - SHADOW_TOMBSTONE_MS)
      .then((purged) => {
        if (purged > 0) this.#options.logger.info({ tombstones: purged }, 'Purged deleted shadows older than 48 hours');
        return purged;
      }, (error: unknown) => {
        this.#options.logger.warn({ err: error }, 'Cannot purge deleted shadows');
        return 0;
      })
      .finally(() => (this.#purging = undefined));
    return this.#purging;
  }

  get(tenant: string, thing: string, shadow: string | undefined): Promise<ShadowResult> {
    return this.#track(this.#enqueue({ tenant, thing, shadow }, 'get', EMPTY, 'rest'));
  }

  update(tenant: string, thing: string, shadow: string | undefined, payload: Buffer): Promise<ShadowResult> {
    return this.#track(this.#enqueue({ tenant, thing, shadow }, 'update', payload, 'rest'));
  }

  delete(tenant: string, thing: string, shadow: string | undefined): Promise<ShadowResult> {
    return this.#track(this.#enqueue({ tenant, thing, shadow }, 'delete', EMPTY, 'rest'));
  }

  async listNamedShadows(tenant: string, thing: string, query: { readonly limit: number; readonly cursor?: string }): Promise<ShadowNamePage> {
    try {
      const page = await this.#track(this.#options.shadows.listShadowNames(tenant, thing, query));
      this.#count('list', 200);
      return page;
    } catch (error) {
      this.#count('list', 500);
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#purgeTimer);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await Promise.allSettled([...this.#underWay, this.#purging]);
    await this.#queue.idle();
  }

  /** Runs synchronously inside the broker's publish: it only queues the work. */
  #onRequest(message: InternalMessage, origin: MessageOrigin | undefined): void {
    if (this.#stopped) return;
    const request = parseShadowRequest(message.topic);
    if (request === undefined) return;
    const address: ShadowAddress = { tenant: request.tenant, thing: request.thing, shadow: request.shadow };
    // Messages from other services (no origin) are requests too, as a rule republishing to a shadow
    // topic is in AWS; they have no connection to limit.
    const client = origin?.sessionKey;
    if (client !== undefined && !this.#inFlight.acquire(client)) {
      const rejection = tooManyRequests(readClientToken(message.payload));
      this.#count(request.operation, rejection.code);
      this.#publish(address, request.operation, 'rejected', rejectionPayload(rejection, this.#seconds(this.#nowMs())));
      return;
    }
    const work = this.#enqueue(address, request.operation, message.payload, 'mqtt');
    if (client !== undefined) void work.finally(() => this.#inFlight.release(client));
    void this.#track(work);
  }

  #enqueue(address: ShadowAddress, operation: 'get' | 'update' | 'delete', payload: Buffer, via: Via): Promise<ShadowResult> {
    return this.#queue.run(shadowKey(address.tenant, address.thing, address.shadow ?? CLASSIC_SHADOW), () => this.#apply(address, operation, payload, via));
  }

  /** Keeps `work` in the set stop() waits for until it settles. */
  #track<T>(work: Promise<T>): Promise<T> {
    this.#underWay.add(work);
    const forget = (): void => {
      this.#underWay.delete(work);
    };
    work.then(forget, forget);
    return work;
  }

  /** One request, start to end; never rejects: failures become the AWS error body (and `/rejected` for MQTT). */
  async #apply(address: ShadowAddress, operation: 'get' | 'update' | 'delete', payload: Buffer, via: Via): Promise<ShadowResult> {
    const nowMs = this.#nowMs();
    const context: RequestContext = { address, via, nowMs, now: this.#seconds(nowMs), clientToken: undefined };
    try {
      let body: object;
      switch (operation) {
        case 'get':
          body = await this.#get(context, payload);
          break;
        case 'update':
          body = await this.#update(context, payload);
          break;
        case 'delete':
          body = await this.#delete(context, payload);
          break;
        default:
          return operation satisfies never;
      }
      this.#count(operation, 200);
      return { status: 200, body };
    } catch (error) {
      const rejection = this.#toRejection(error, context, operation);
      this.#count(operation, rejection.code);
      const body = rejectionPayload(rejection, context.now);
      // AWS: REST callers get the HTTP status and no MQTT message.
      if (via === 'mqtt') this.#publish(address, operation, 'rejected', body);
      return { status: rejection.code, body };
    }
  }

  async #get(context: RequestContext, payload: Buffer): Promise<object> {
    const clientToken = (context.clientToken = parseClientToken(payload));
    const { address } = context;
    const record = await this.#options.shadows.getShadow(address.tenant, address.thing, address.shadow ?? CLASSIC_SHADOW);
    if (record === undefined || record.deletedAt !== undefined) throw noShadow(address.shadow ?? address.thing, clientToken);
    const body = getAcceptedPayload(documentFromRecord(record), { now: context.now, clientToken });
    if (context.via === 'mqtt') this.#publish(address, 'get', 'accepted', body);
    return body;
  }

  async #update(context: RequestContext, payload: Buffer): Promise<object> {
    const request = parseUpdateRequest(payload, this.#limits);
    const clientToken = (context.clientToken = request.clientToken);
    const { address, nowMs, now } = context;
    const { shadows, identity } = this.#options;
    if (this.#requireThing && (await identity.getThing(address.tenant, address.thing)) === undefined) throw thingNotFound(clientToken);
    const name = address.shadow ?? CLASSIC_SHADOW;
    for (let attempt = 1; ; attempt++) {
      const stored = await shadows.getShadow(address.tenant, address.thing, name);
      const live = stored !== undefined && stored.deletedAt === undefined ? stored : undefined;
      // AWS: a shadow recreated within 48 h of its deletion continues the deleted one's version (the
      // tombstone's is one past it, see #delete).
      const baseVersion = stored?.deletedAt !== undefined && nowMs - stored.deletedAt < SHADOW_TOMBSTONE_MS ? stored.version - 1 : 0;
      const outcome = applyShadowUpdate(live === undefined ? undefined : documentFromRecord(live), request, { now, limits: this.#limits, baseVersion });
      const record: ShadowRecord = { tenant: address.tenant, thing: address.thing, name, ...recordFields(outcome.document), version: outcome.document.version, updatedAt: nowMs };
      if (await shadows.putShadow(record, stored?.version)) {
        // Both ways publish the events (AWS does for REST updates too): devices learn of REST changes.
        this.#publish(address, 'update', 'accepted', outcome.accepted);
        if (outcome.delta !== undefined) this.#publish(address, 'update', 'delta', outcome.delta);
        this.#publish(address, 'update', 'documents', outcome.documents);
        return outcome.accepted;
      }
      // Another node wrote between our read and our write. A request that named a version was
      // checked against a version that is gone; one that did not is applied to the new state.
      if (request.version !== undefined || attempt >= MAX_ATTEMPTS) throw versionConflict(clientToken);
    }
  }

  async #delete(context: RequestContext, payload: Buffer): Promise<object> {
    const clientToken = (context.clientToken = parseClientToken(payload));
    const { address, nowMs, now } = context;
    const name = address.shadow ?? CLASSIC_SHADOW;
    for (let attempt = 1; ; attempt++) {
      const stored = await this.#options.shadows.getShadow(address.tenant, address.thing, name);
      if (stored === undefined || stored.deletedAt !== undefined) throw noShadow(address.shadow ?? address.thing, clientToken);
      // The tombstone's version is one past the deleted shadow's: an update on another node that read
      // the live shadow just before then fails its compare-and-set instead of bringing the shadow back.
      // A shadow recreated within 48 h continues from the deleted one's version (#update takes 1 off).
      const tombstone: ShadowRecord = { tenant: address.tenant, thing: address.thing, name, state: '{}', metadata: '{}', version: stored.version + 1, updatedAt: nowMs, deletedAt: nowMs };
      if (await this.#options.shadows.putShadow(tombstone, stored.version)) {
        const body = deleteAcceptedPayload(stored.version, { now, clientToken });
        this.#publish(address, 'delete', 'accepted', body);
        return body;
      }
      if (attempt >= MAX_ATTEMPTS) throw versionConflict(clientToken);
    }
  }

  /** The one place failures become AWS answers; unexpected ones are logged and answered 500, never thrown. */
  #toRejection(error: unknown, context: RequestContext, operation: string): ShadowRejection {
    if (error instanceof ShadowRejection) return error.withClientToken(context.clientToken);
    const { address } = context;
    this.#options.logger.error({ err: error, tenant: address.tenant, thing: address.thing, shadow: address.shadow, operation, via: context.via }, 'Shadow request failed');
    return internalFailure(context.clientToken);
  }

  /** Replies and events: QoS 1, not retained, in the request's own tenant. */
  #publish(address: ShadowAddress, operation: 'get' | 'update' | 'delete', reply: 'accepted' | 'rejected' | 'delta' | 'documents', payload: object): void {
    try {
      this.#options.broker.publish({ topic: shadowReplyTopic(address, operation, reply), payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: false });
    } catch (error) {
      // A broker that is closing refuses; the stored state stands and the caller still gets its answer.
      this.#options.logger.warn({ err: error, tenant: address.tenant, thing: address.thing, operation, reply }, 'Cannot publish a shadow reply');
    }
  }

  #count(operation: ShadowCountedOperation, code: number): void {
    const byCode = this.counters.requests[operation] as Record<string, number>;
    byCode[code] = (byCode[code] ?? 0) + 1;
  }

  #nowMs(): number {
    return this.#options.now?.() ?? Date.now();
  }

  #seconds(ms: number): number {
    return Math.floor(ms / 1000);
  }
}

/** One request's facts, and its clientToken once it could be read (every reply echoes it). */
interface RequestContext {
  readonly address: ShadowAddress;
  readonly via: Via;
  readonly nowMs: number;
  /** Epoch seconds, as shadow payloads carry time. */
  readonly now: number;
  clientToken: string | undefined;
}

/** The request's clientToken for a reply that comes before the request is read (429); none when it cannot be read. */
function readClientToken(payload: Buffer): string | undefined {
  try {
    return parseClientToken(payload);
  } catch {
    return undefined;
  }
}
