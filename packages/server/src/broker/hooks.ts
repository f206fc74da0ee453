/**
 * The broker's fixed, typed hook list. Each hook takes one event object and answers allow, deny or
 * defer; the first answer that is not defer decides, and when every hook defers the broker's default
 * applies (connect: `features.allowAnonymous`; publish and subscribe: allow).
 */
import type { Principal } from '../auth/index.js';
import type { PeerInfo } from '../core/index.js';

/** A connect hook's `allow` may name the principal the connection then carries (issue 5, point 6). */
export type HookResult =
  | { readonly kind: 'allow'; readonly principal?: Principal }
  | { readonly kind: 'defer' }
  | { readonly kind: 'deny'; readonly reasonCode?: number; readonly reason?: string };

export const allow: HookResult = Object.freeze({ kind: 'allow' });
/**
 * Allows a connection as `principal`.
 *
 * @example
 * return allowAs({ kind: 'password', tenant: 'acme', clientId: event.clientId, sourceIp: event.peer.remoteAddress, attributes: {} });
 */
export function allowAs(principal: Principal): HookResult {
  return { kind: 'allow', principal };
}
export const defer: HookResult = Object.freeze({ kind: 'defer' });
export function deny(reason?: string, reasonCode?: number): HookResult {
  return { kind: 'deny', ...(reason === undefined ? {} : { reason }), ...(reasonCode === undefined ? {} : { reasonCode }) };
}

export interface ConnectEvent {
  readonly clientId: string;
  readonly protocolVersion: 3 | 4 | 5;
  readonly username?: string;
  readonly password?: Buffer;
  readonly peer: PeerInfo;
  /** Set when the client authenticated through an enhanced authentication method. */
  readonly authenticationMethod?: string;
}

export interface PublishEvent {
  readonly clientId: string;
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly peer: PeerInfo;
}

export interface SubscribeEvent {
  readonly clientId: string;
  /** The filter as sent, `$share/{group}/` included. */
  readonly filter: string;
  readonly qos: 0 | 1 | 2;
  readonly peer: PeerInfo;
}

/** One step of an enhanced authentication exchange (MQTT 5 section 4.12). */
export type AuthStep =
  | { readonly kind: 'success'; readonly data?: Buffer }
  | { readonly kind: 'continue'; readonly data?: Buffer }
  | { readonly kind: 'fail'; readonly reason?: string };

export interface AuthEvent {
  readonly clientId: string;
  readonly method: string;
  readonly data?: Buffer;
  readonly peer: PeerInfo;
  /** Per-exchange scratch space that the method may use between steps. */
  readonly state: Map<string, unknown>;
  /** True when the client re-authenticates on a live connection (AUTH 0x19). */
  readonly reauthenticate: boolean;
}

/**
 * An enhanced authentication method, keyed by its name in `BrokerHooks.enhancedAuth`.
 *
 * @example
 * const hooks: BrokerHooks = { enhancedAuth: { 'DEMO-CHALLENGE': {
 *   start: () => ({ kind: 'continue', data: Buffer.from('nonce') }),
 *   continue: (event) => event.data?.toString() === 'answer' ? { kind: 'success' } : { kind: 'fail', reason: 'Wrong answer' },
 * } } };
 */
export interface EnhancedAuthMethod {
  start(event: AuthEvent): AuthStep | Promise<AuthStep>;
  continue(event: AuthEvent): AuthStep | Promise<AuthStep>;
}

/**
 * What one connection may do, decided by the policy engine when the connection was bound and kept up
 * to date by it afterwards. Checked synchronously on the hot path: keep every method cheap. Topics and
 * filters are the client's own names (inside its tenant, without the `$tenants/{tenant}/` prefix).
 */
export interface ConnectionPolicy {
  /**
   * Changes whenever any decision may have changed (a policy edited, attached or detached, the thing
   * changed): the broker drops its per-connection decision caches when it sees a new value.
   */
  readonly generation: number;
  /** `iot:Publish` on `topic` (and `iot:RetainPublish` when `retain`). */
  mayPublish(topic: string, retain: boolean): boolean;
  /** `iot:Subscribe` on `topicfilter/{filter}` (shared subscriptions: the filter without `$share/{group}/`). */
  maySubscribe(filter: string): boolean;
  /** `iot:Receive` on `topic`, checked per delivery as AWS does. */
  mayReceive(topic: string): boolean;
  /** Why `action` on `resource` is allowed or denied (the deciding policy and statement), for logs. */
  explain(action: 'iot:Publish' | 'iot:RetainPublish' | 'iot:Subscribe' | 'iot:Receive', resource: string): string;
  /** The connection ended: stop tracking it. */
  release(): void;
}

/** What the authorization hook is asked once a connection has authenticated. */
export interface AuthorizeConnectEvent {
  readonly principal: Principal;
  readonly clientId: string;
  readonly peer: PeerInfo;
  readonly cleanStart: boolean;
  /** The will topic (client's own name), when the CONNECT carries a will. */
  readonly willTopic?: string;
}

/**
 * Binds a connection to its policies (`iot:Connect` is decided here). A deny refuses the CONNECT with
 * its reason; `allow` without a policy leaves the connection unrestricted (trusted service principals).
 *
 * @example
 * const hooks: BrokerHooks = { authorize: async (event) => ({ kind: 'allow', policy: await policies.bind(event) }) };
 */
export type AuthorizeConnect = (event: AuthorizeConnectEvent) => Promise<
  { readonly kind: 'allow'; readonly policy?: ConnectionPolicy } | { readonly kind: 'deny'; readonly reason: string }
>;

export interface BrokerHooks {
  /** Policy binding after authentication; absent: connections are not restricted by policies. */
  readonly authorize?: AuthorizeConnect;
  readonly connect?: readonly ((event: ConnectEvent) => HookResult | Promise<HookResult>)[];
  /** Runs for every PUBLISH from a client: keep it synchronous and cheap (decision caches). */
  readonly publish?: readonly ((event: PublishEvent) => HookResult)[];
  readonly subscribe?: readonly ((event: SubscribeEvent) => HookResult)[];
  readonly enhancedAuth?: Readonly<Record<string, EnhancedAuthMethod>>;
}

/** First non-defer answer of a list of synchronous hooks, or defer. */
export function runSyncHooks<E>(hooks: readonly ((event: E) => HookResult)[] | undefined, event: E): HookResult {
  if (hooks === undefined) return defer;
  for (const hook of hooks) {
    const result = hook(event);
    if (result.kind !== 'defer') return result;
  }
  return defer;
}
