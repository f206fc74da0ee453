/** The broker's public surface: its options, the admin view that the API uses, and its counters. */
import type { Principal, PrincipalKind } from '../auth/index.js';
import type { PeerInfo } from '../core/index.js';
import type { MessageProperties, StoredSubscription } from '../store/index.js';

/** Bounds on everything a client can make the broker hold. Every one is configurable (docs/configuration.md). */
export interface BrokerLimits {
  /** Largest packet accepted from or sent to a client, in bytes (MQTT 5 Maximum Packet Size). */
  readonly maxPacketSize: number;
  /** Unacknowledged QoS 1/2 PUBLISHes we accept from a client at once (our Receive Maximum). */
  readonly receiveMaximum: number;
  /** Unacknowledged QoS 1/2 PUBLISHes we send to a client at once, when it does not ask for fewer. */
  readonly maxInflight: number;
  /** Messages kept per session beyond the inflight window (online or offline). */
  readonly maxQueuedMessages: number;
  /** What to drop when a session's queue is full. */
  readonly queueOverflow: 'drop-oldest' | 'drop-newest';
  readonly maxSubscriptionsPerClient: number;
  /** Bytes of UTF-8. */
  readonly maxTopicLength: number;
  readonly maxTopicLevels: number;
  readonly maxClientIdLength: number;
  readonly maxConnections: number;
  /** PUBLISH packets per second per client; 0 means unlimited. Excess pauses reading from the socket. */
  readonly maxPublishRate: number;
  /** Largest keepalive we accept, seconds; a larger or zero request is answered with Server Keep Alive (v5). */
  readonly maxKeepAlive: number;
  /** Longest Session Expiry Interval we grant, seconds. */
  readonly maxSessionExpiry: number;
  /** Topic aliases a client may use towards us (our Topic Alias Maximum). */
  readonly topicAliasMaximum: number;
  /** Bytes buffered for a socket before we stop sending to it; past `slowConsumerTimeoutMs` it is disconnected. */
  readonly maxWriteBuffer: number;
  readonly slowConsumerTimeoutMs: number;
  /** Longest Message Expiry we keep for a retained or queued message; 0 means no cap. */
  readonly maxMessageExpiry: number;
  readonly maxRetainedMessages: number;
}

export interface BrokerFeatures {
  readonly retainAvailable: boolean;
  readonly wildcardSubscriptionAvailable: boolean;
  readonly sharedSubscriptionAvailable: boolean;
  readonly subscriptionIdentifiersAvailable: boolean;
  /** Accept connections without credentials (the identity issue replaces this with certificates). */
  readonly allowAnonymous: boolean;
}

export interface ClientInfo {
  readonly clientId: string;
  readonly protocolVersion: 3 | 4 | 5;
  readonly connectedAt: string;
  readonly peer: PeerInfo;
  readonly keepAlive: number;
  readonly cleanStart: boolean;
  readonly sessionExpiryInterval: number;
  readonly username?: string;
  /** Who the connection authenticated as; absent for anonymous connections. */
  readonly principal?: ClientPrincipal;
  readonly subscriptions: number;
  readonly inflight: number;
  readonly queued: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** The admin view of a connection's principal: names only, never key material or attributes. */
export interface ClientPrincipal {
  readonly kind: PrincipalKind;
  readonly tenant: string;
  readonly thingName?: string;
  readonly certificateId?: string;
}

/** What `disconnectWhere` shows its predicate of each live connection. */
export interface LiveConnection {
  readonly clientId: string;
  readonly peer: PeerInfo;
  readonly principal: Principal | undefined;
}

export interface DisconnectWhereOptions {
  /** MQTT 5 DISCONNECT reason code (3.1.1 clients are just closed). */
  readonly reasonCode: number;
  readonly reason: string;
  /** Label in `counters.disconnects`; `admin` by default. */
  readonly label?: string;
}

export interface SessionInfo {
  readonly clientId: string;
  /** The tenant the session belongs to; absent for service and unscoped sessions. */
  readonly tenant?: string;
  readonly connected: boolean;
  readonly protocolVersion: 3 | 4 | 5;
  readonly expiryInterval: number;
  readonly disconnectedAt?: string;
  /** When the session will be removed, if its client stays away. */
  readonly expiresAt?: string;
  readonly subscriptions: readonly StoredSubscription[];
  readonly queued: number;
  readonly inflight: number;
}

export interface RetainedInfo {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly payloadSize: number;
  /** Payload as base64. */
  readonly payload: string;
  readonly storedAt: string;
  readonly expiresAt?: string;
  readonly properties?: MessageProperties;
}

export interface PublishRequest {
  /** The tenant's own name, or a full `$tenants/{tenant}/...` name. */
  readonly topic: string;
  /** Default the broker's `defaultTenant`. */
  readonly tenant?: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly properties?: MessageProperties & { readonly messageExpiryInterval?: number };
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

export interface ListOptions {
  readonly limit?: number;
  readonly cursor?: string;
  /** Keep only items whose client id (or topic, for retained) starts with this. */
  readonly prefix?: string;
  /** Sessions and retained messages of this tenant (default the broker's `defaultTenant`), with their own names. */
  readonly tenant?: string;
}

/** The operator's view of the broker, used by the admin API. */
export interface BrokerAdmin {
  listClients(options?: ListOptions): Page<ClientInfo>;
  /** `tenant`: the client's tenant; default the broker's `defaultTenant` (tenancy.ts). */
  getClient(clientId: string, tenant?: string): ClientInfo | undefined;
  /** Closes the client's connection (v5 clients get DISCONNECT 0x98 Administrative action). Returns false if not connected. */
  disconnectClient(clientId: string, tenant?: string): boolean;
  /**
   * Closes every live connection (connecting ones included) that `predicate` picks, with the given
   * reason; returns how many it closed. Synchronous, so no connection slips in between check and close.
   *
   * @example
   * broker.admin.disconnectWhere((c) => c.principal?.certificateId === id, { reasonCode: 0x87, reason: 'Certificate revoked' });
   */
  disconnectWhere(predicate: (connection: LiveConnection) => boolean, options: DisconnectWhereOptions): number;
  /** The principals of the live connections that have one (for re-checking their credentials). */
  listPrincipals(): Principal[];
  listSessions(options?: ListOptions): Page<SessionInfo>;
  getSession(clientId: string, tenant?: string): SessionInfo | undefined;
  /** Removes the session (disconnecting its client first). Returns false if there was none. */
  deleteSession(clientId: string, tenant?: string): Promise<boolean>;
  listRetained(options?: ListOptions): Page<RetainedInfo>;
  /** Topics are the tenant's own names; `$tenants/{tenant}/...` names any tenant's directly. */
  getRetained(topic: string, tenant?: string): RetainedInfo | undefined;
  deleteRetained(topic: string, tenant?: string): Promise<boolean>;
  /** Publishes as the broker itself; resolves once QoS 1/2 messages are durable. */
  publish(request: PublishRequest): Promise<void>;
  readonly counters: BrokerCounters;
}

/** Plain numbers the hot path increments; api/metrics exposes them to Prometheus. */
export interface BrokerCounters {
  connections: number;
  connectionsTotal: number;
  sessions: number;
  subscriptions: number;
  retainedMessages: number;
  /** Indexed by QoS. */
  readonly messagesIn: [number, number, number];
  readonly messagesOut: [number, number, number];
  bytesIn: number;
  bytesOut: number;
  /** Drops by reason: queue-full, expired, no-subscribers, slow-consumer, packet-too-large, ... */
  readonly drops: Record<string, number>;
  /** Closed connections by reason (protocol-error, keepalive-timeout, takeover, ...). */
  readonly disconnects: Record<string, number>;
  /** Actions the connections' policies refused, by action (iot:Publish, iot:Subscribe, iot:Receive, ...). */
  readonly authorizationDenials: Record<string, number>;
  queuedMessages: number;
  inflightMessages: number;
  storeCommits: number;
  storeCommitOps: number;
  /** Sum of commit durations in seconds and a small histogram (bucket upper bounds in seconds). */
  storeCommitSeconds: number;
  readonly storeCommitBuckets: { readonly le: readonly number[]; readonly counts: number[] };
}
