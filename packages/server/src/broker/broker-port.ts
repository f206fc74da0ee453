/**
 * What services (shadow, jobs, provisioning, ...) may do with the broker: publish and subscribe as
 * internal clients on reserved topics. They never touch sessions or sockets.
 */
import type { StoredMessage } from '../store/index.js';

export type InternalMessage = StoredMessage;

/**
 * @example
 * const stop = port.subscribe('$aws/things/+/shadow/update', (message) => {
 *   port.publish({ topic: `${message.topic}/accepted`, payload: Buffer.from('{}'), qos: 0, retain: false });
 * });
 */
export interface BrokerPort {
  /** Routes a message to subscribers (and stores it when `retain` is set). */
  publish(message: InternalMessage): void;
  /** Gets every message published on a topic matching `filter`, synchronously; returns the unsubscribe function. */
  subscribe(filter: string, handler: (message: InternalMessage) => void): () => void;
}
