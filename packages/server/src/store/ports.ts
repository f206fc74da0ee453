/**
 * Narrow storage ports. The broker keeps its working state in memory and writes every durable change
 * through `BrokerStore.apply`, one batch (one transaction) per tick; at start it loads everything back.
 * Memory, SQLite and PostgreSQL implement these ports and pass the same contract suite (store/contract/).
 */

/** MQTT 5 properties that travel with an application message. Binary fields are Buffers. */
export interface MessageProperties {
  readonly payloadFormatIndicator?: boolean;
  readonly contentType?: string;
  readonly responseTopic?: string;
  readonly correlationData?: Buffer;
  readonly userProperties?: Readonly<Record<string, string | string[]>>;
  /** On a message queued for one session: the identifiers of the subscriptions it matched. */
  readonly subscriptionIdentifiers?: readonly number[];
}

/** An application message as the store keeps it. */
export interface StoredMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly properties?: MessageProperties;
  /** Epoch milliseconds after which the message is discarded (MQTT 5 Message Expiry Interval); absent: never. */
  readonly expiresAt?: number;
}

/** Options of one subscription, as MQTT 5 defines them (3.1.1 clients get the defaults). */
export interface SubscriptionOptions {
  readonly qos: 0 | 1 | 2;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly retainHandling: 0 | 1 | 2;
  readonly subscriptionIdentifier?: number;
}

export interface StoredSubscription {
  /** The filter as the client sent it, `$share/{group}/` prefix included. */
  readonly filter: string;
  readonly options: SubscriptionOptions;
}

/** A persistent session: one that outlives its connection (Session Expiry Interval > 0, or 3.1.1 clean session 0). */
export interface StoredSession {
  readonly clientId: string;
  readonly protocolVersion: 3 | 4 | 5;
  /** Seconds; 0xFFFFFFFF means never. */
  readonly expiryInterval: number;
  /** Epoch ms when the last connection ended; absent while connected (or when the process died while connected). */
  readonly disconnectedAt?: number;
  readonly subscriptions: readonly StoredSubscription[];
}

/** State of a message in a session's outgoing queue. */
export type OutgoingState =
  /** Not yet sent (or sent at QoS 0 and not kept). */
  | 'queued'
  /** PUBLISH sent, waiting for PUBACK (QoS 1) or PUBREC (QoS 2). */
  | 'sent'
  /** QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP. */
  | 'released';

export interface OutgoingMessage {
  /** Position in the session's queue; strictly increasing per client. */
  readonly seq: number;
  readonly state: OutgoingState;
  /** Packet identifier, once one has been given (state sent or released). */
  readonly packetId?: number;
  readonly message: StoredMessage;
}

/** A last will waiting for its delay to pass or its session to end. */
export interface PendingWill {
  readonly clientId: string;
  readonly message: StoredMessage;
  /** Epoch ms when the will is to be published. */
  readonly publishAt: number;
}

export interface RetainedMessage extends StoredMessage {
  /** Epoch ms when the message was stored. */
  readonly storedAt: number;
}

/** One durable change. `apply` writes a list of them in one transaction, in order. */
export type StoreOp =
  | { readonly kind: 'session.put'; readonly session: Omit<StoredSession, 'subscriptions'> }
  /** Removes the session with its subscriptions, outgoing queue and incoming QoS 2 state. */
  | { readonly kind: 'session.delete'; readonly clientId: string }
  | { readonly kind: 'subscription.put'; readonly clientId: string; readonly subscription: StoredSubscription }
  | { readonly kind: 'subscription.delete'; readonly clientId: string; readonly filter: string }
  | { readonly kind: 'outgoing.add'; readonly clientId: string; readonly entry: OutgoingMessage }
  | { readonly kind: 'outgoing.update'; readonly clientId: string; readonly seq: number; readonly state: OutgoingState; readonly packetId?: number }
  | { readonly kind: 'outgoing.remove'; readonly clientId: string; readonly seq: number }
  /** QoS 2 from a client: the packet id whose PUBREC we sent and whose PUBREL we await. */
  | { readonly kind: 'incoming.put'; readonly clientId: string; readonly packetId: number }
  | { readonly kind: 'incoming.remove'; readonly clientId: string; readonly packetId: number }
  | { readonly kind: 'retained.put'; readonly message: RetainedMessage }
  | { readonly kind: 'retained.delete'; readonly topic: string }
  | { readonly kind: 'will.put'; readonly will: PendingWill }
  | { readonly kind: 'will.delete'; readonly clientId: string };

/** Everything a persistent session needs back after a restart. */
export interface LoadedSession extends StoredSession {
  /** Ordered by seq. */
  readonly outgoing: readonly OutgoingMessage[];
  readonly incomingPacketIds: readonly number[];
}

/**
 * The broker's durable state. Implementations must make `apply` atomic: all ops of one call commit
 * together or none do, and a resolved promise means the data survives `kill -9`.
 *
 * @example
 * await store.apply([
 *   { kind: 'retained.put', message: { topic: 'a/b', payload: Buffer.from('x'), qos: 1, retain: true, storedAt: Date.now() } },
 * ]);
 * const retained = await store.loadRetained();
 */
export interface BrokerStore {
  /** Creates tables or migrates them; safe to call on every start. */
  open(): Promise<void>;
  apply(ops: readonly StoreOp[]): Promise<void>;
  loadSessions(): Promise<LoadedSession[]>;
  loadRetained(): Promise<RetainedMessage[]>;
  loadWills(): Promise<PendingWill[]>;
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
