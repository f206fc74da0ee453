/** The options of `createAgent`, their defaults and their checks. */
import type { BackoffOptions } from './backoff.ts';
import { DEFAULT_BACKOFF } from './backoff.ts';
import type { ShadowJsonObject } from '@gatehouse/protocol';
import { DEFAULT_CLOCK_SKEW_THRESHOLD_MS } from './clock-skew.ts';
import { DEFAULT_QUEUE_LIMITS, type DiskQueueLimits } from './disk-queue.ts';
import type { ProxyEnvironment } from './proxy-for-url.ts';
import type { TlsMaterial } from './open-transport.ts';

/** Keeps the agent's configuration in its shadow: deltas are applied, then reported. */
export interface ShadowSyncOptions {
  /** A named shadow; the classic shadow when absent. */
  readonly name?: string;
  /**
   * Applies desired state the agent does not report yet (the delta) and returns what to report as
   * `reported` (the delta itself when it returns undefined). Called after each connect when the
   * shadow has a delta, and on every `update/delta`.
   */
  readonly onDelta: (delta: ShadowJsonObject, context: { version: number }) => ShadowJsonObject | undefined | Promise<ShadowJsonObject | undefined>;
}

/** What `createAgent` takes. Only `endpoints`, `customer`, `device`, `tls` and `queueDirectory` are required. */
export interface AgentOptions {
  /** `mqtts://host:port` or `wss://host:port/mqtt`, tried in this order. */
  readonly endpoints: readonly string[];
  /** The first level of the agent's own topics. */
  readonly customer: string;
  /** The second level of the agent's own topics; also the thing name and client id unless given. */
  readonly device: string;
  /** Thing name for shadows; default `device`. */
  readonly thingName?: string;
  /** MQTT client id; default the thing name (what `${iot:Connection.Thing.ThingName}` policies expect). */
  readonly clientId?: string;
  readonly tls: TlsMaterial;
  /** Where messages published while offline wait (created with mode 0700). */
  readonly queueDirectory: string;
  readonly queue?: Partial<DiskQueueLimits>;
  /** Default 5. 4 means MQTT 3.1.1 (commands then use the payload envelope). */
  readonly protocolVersion?: 4 | 5;
  /** Seconds; default 60, at most 230 (below the 4–5 min idle timeouts of NATs, proxies and load balancers). */
  readonly keepaliveSeconds?: number;
  /** MQTT 5 Session Expiry Interval in seconds; default 86 400 (a day). */
  readonly sessionExpirySeconds?: number;
  readonly backoff?: Partial<BackoffOptions>;
  /** Bound on one attempt (TCP, proxy, TLS, WebSocket and CONNACK); default 15 000 ms. */
  readonly connectTimeoutMs?: number;
  /** A proxy URL, `false` for none, or undefined to read HTTPS_PROXY/NO_PROXY from `env`. */
  readonly proxy?: string | false;
  /** Environment for HTTPS_PROXY/NO_PROXY; default `process.env`. */
  readonly env?: ProxyEnvironment;
  readonly shadow?: ShadowSyncOptions;
  /** Default 60 000 ms. */
  readonly clockSkewThresholdMs?: number;
}

/** The options with every default filled in. */
export interface ResolvedAgentOptions extends Omit<AgentOptions, 'endpoints' | 'queue' | 'backoff'> {
  readonly endpoints: readonly URL[];
  /** The endpoints as given, for events and messages. */
  readonly endpointNames: readonly string[];
  readonly thingName: string;
  readonly clientId: string;
  readonly queue: DiskQueueLimits;
  readonly protocolVersion: 4 | 5;
  readonly keepaliveSeconds: number;
  readonly sessionExpirySeconds: number;
  readonly backoff: BackoffOptions;
  readonly connectTimeoutMs: number;
  readonly clockSkewThresholdMs: number;
}

export const MAX_KEEPALIVE_SECONDS = 230;
const LEVEL = /^[^/#+\u0000]+$/;

/**
 * Fills defaults and checks the options; a bad option throws a TypeError or RangeError naming it.
 *
 * @example
 * resolveAgentOptions({ endpoints: ['mqtts://iot.example.com:443'], customer: 'acme', device: 'pump-7', tls: { cert, key }, queueDirectory: '/var/lib/agent/queue' });
 */
export function resolveAgentOptions(options: AgentOptions): ResolvedAgentOptions {
  if (options.endpoints.length === 0) throw new TypeError('Cannot create the agent: endpoints is empty; give at least one mqtts:// or wss:// URL');
  const endpoints = options.endpoints.map((text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new TypeError(`Cannot create the agent: endpoint "${text}" is not a URL`);
    }
    if (url.protocol !== 'mqtts:' && url.protocol !== 'wss:') throw new TypeError(`Cannot create the agent: endpoint "${text}" must be mqtts:// or wss:// (the agent never connects without TLS)`);
    return url;
  });
  for (const [name, value] of [['customer', options.customer], ['device', options.device]] as const) {
    if (!LEVEL.test(value)) throw new TypeError(`Cannot create the agent: ${name} "${value}" must be one non-empty topic level (no /, # or +)`);
  }
  const keepaliveSeconds = options.keepaliveSeconds ?? 60;
  if (!Number.isInteger(keepaliveSeconds) || keepaliveSeconds < 5 || keepaliveSeconds > MAX_KEEPALIVE_SECONDS) {
    throw new RangeError(`Cannot create the agent: keepaliveSeconds must be 5..${MAX_KEEPALIVE_SECONDS}, not ${keepaliveSeconds} (longer idles are cut by NATs and proxies)`);
  }
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  if (!(backoff.initialDelayMs > 0) || !(backoff.maxDelayMs >= backoff.initialDelayMs)) {
    throw new RangeError(`Cannot create the agent: backoff needs 0 < initialDelayMs ≤ maxDelayMs, not ${backoff.initialDelayMs} and ${backoff.maxDelayMs}`);
  }
  const thingName = options.thingName ?? options.device;
  return {
    ...options,
    endpoints,
    endpointNames: [...options.endpoints],
    thingName,
    clientId: options.clientId ?? thingName,
    queue: { ...DEFAULT_QUEUE_LIMITS, ...options.queue },
    protocolVersion: options.protocolVersion ?? 5,
    keepaliveSeconds,
    sessionExpirySeconds: options.sessionExpirySeconds ?? 86_400,
    backoff,
    connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
    clockSkewThresholdMs: options.clockSkewThresholdMs ?? DEFAULT_CLOCK_SKEW_THRESHOLD_MS,
  };
}
