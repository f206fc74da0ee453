/**
 * What services (shadow, jobs, provisioning, ...) may do with the broker: publish and subscribe as
 * internal clients on reserved topics. They never touch sessions or sockets.
 */
import type { Principal } from '../auth/index.js';
import type { StoredMessage } from '../store/index.js';
import type { LifecycleEvent } from './lifecycle.js';

export type InternalMessage = StoredMessage;

/** Who published a message that reached an internal subscriber; absent for messages from services. */
export interface MessageOrigin {
  /** The client id as the client sent it. */
  readonly clientId: string;
  /** Its session's key (tenant and client id): what `publishTo` takes. */
  readonly sessionKey: string;
  /** The connection's principal, when it authenticated as one. */
  readonly principal?: Principal;
}

/**
 * @example
 * const stop = port.subscribe('$aws/things/+/shadow/update', (message) => {
 *   port.publish({ topic: `${message.topic}/accepted`, payload: Buffer.from('{}'), qos: 0, retain: false });
 * });
 */
export interface BrokerPort {
  /** Routes a message to subscribers (and stores it when `retain` is set). */
  publish(message: InternalMessage): void;
  /**
   * Whether a message on `topic` would reach anyone (a client's or an internal subscription): lets a
   * service skip building a message nobody gets. The answer is not cached: one-off topics asked about
   * on every connect must not push the hot topics' routes out of the routing cache.
   */
  hasSubscribers(topic: string): boolean;
  /**
   * Sends a message to one client only, as AWS IoT answers fleet-provisioning requests on the
   * connection that asked: it reaches the client's session if one of its subscriptions matches the
   * topic (at that subscription's QoS) and nobody else. False when the client has no such session
   * or no matching subscription.
   */
  publishTo(sessionKey: string, message: InternalMessage): boolean;
  /**
   * Gets every message published on a topic matching `filter`, synchronously, with its origin when a
   * client published it; returns the unsubscribe function.
   */
  subscribe(filter: string, handler: (message: InternalMessage, origin: MessageOrigin | undefined) => void): () => void;
  /**
   * Gets every lifecycle event (connected, disconnected, subscribed, unsubscribed, connect-failed),
   * synchronously, while the broker is in the middle of the change: a listener must not call back
   * into the broker (publish later, e.g. from a microtask) and must not keep the broker waiting.
   * Returns the function that stops it.
   *
   * @example
   * const stop = port.onLifecycle((event) => {
   *   if (event.kind === 'disconnected') queueMicrotask(() => record(event.clientId, event.disconnectReason));
   * });
   */
  onLifecycle(listener: (event: LifecycleEvent) => void): () => void;
}
