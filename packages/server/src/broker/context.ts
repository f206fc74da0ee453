/** The narrow view of the broker that connections and packet handlers get. */
import type { Logger } from '../core/index.js';
import type { StoreOp, StoredMessage } from '../store/index.js';
import type { Connection } from './connection.js';
import type { BrokerHooks } from './hooks.js';
import type { LifecycleEmitter } from './lifecycle.js';
import type { RetainedStore } from './retained.js';
import type { Router } from './router.js';
import type { Session, SessionSubscription } from './session.js';
import type { BrokerCounters, BrokerFeatures, BrokerLimits } from './types.js';
import type { PublishEncoder } from './publish-encoder.js';
import type { ConnectPacket } from '../mqtt/index.js';

/** A will armed by CONNECT, published when the connection ends without DISCONNECT 0x00. */
export interface ArmedWill {
  readonly message: StoredMessage;
  /** Seconds (MQTT 5 Will Delay Interval). */
  readonly delayInterval: number;
}

export interface BrokerContext {
  readonly limits: BrokerLimits;
  readonly features: BrokerFeatures;
  readonly hooks: BrokerHooks;
  readonly logger: Logger;
  readonly counters: BrokerCounters;
  readonly serverKeepAlive: number | undefined;
  readonly router: Router;
  readonly retained: RetainedStore;
  readonly encoder: PublishEncoder;
  readonly connections: ReadonlySet<Connection>;
  /** Lifecycle listeners; test `active` before building an event. */
  readonly lifecycle: LifecycleEmitter;
  /** Current time, epoch ms (cached per tick by the broker). */
  now(): number;
  /** Queues a durable change for the next group commit. */
  persist(op: StoreOp): void;
  /** Runs `callback` once every change queued so far is committed. */
  afterCommit(callback: () => void): void;
  /** Whether a durable change was queued since `mark` was taken (see `persistMark`). */
  persistMark(): number;
  /**
   * Attaches `connection` to the session of its client id: takes over a live connection, resumes or
   * replaces a stored session. Synchronous: nothing may interleave between the lookup and the write.
   */
  openSession(connection: Connection, packet: ConnectPacket, expiryInterval: number): { session: Session; sessionPresent: boolean };
  /** The connection ended; `graceful` when the client sent DISCONNECT 0x00. */
  connectionClosed(connection: Connection, publishWill: boolean): void;
  /**
   * Publishes a message: stores or clears it as the topic's retained message when its retain flag is
   * set, then routes it to every matching subscriber. `origin` is the publishing session (No Local).
   */
  publish(message: StoredMessage, origin: Session | undefined): void;
  /** Sends the retained messages matching a new subscription [MQTT-3.3.1-9]. */
  sendRetained(subscription: SessionSubscription): void;
  /** A policy refused `action` on `resource` (the client's own name): counted, and logged at a bounded rate. */
  authorizationDenied(connection: Connection, action: 'iot:Publish' | 'iot:RetainPublish' | 'iot:Subscribe' | 'iot:Receive', resource: string): void;
  addSubscription(subscription: SessionSubscription): void;
  removeSubscription(subscription: SessionSubscription): void;
  /** Sends what the session's window now allows. */
  drainSession(session: Session): void;
  /** An inflight message could not be sent (too large for the client): forget it. */
  dropInflight(connection: Connection, packetId: number): void;
  /** Changes a session's expiry (DISCONNECT may). */
  updateSessionExpiry(session: Session, expiryInterval: number): void;
}
