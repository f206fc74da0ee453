/**
 * A session: what the broker keeps for a client id across connections (MQTT 5 section 4.1) —
 * subscriptions, the outgoing queue and inflight window, and incoming QoS 2 state.
 */
import { parseSharedFilter } from '@gatehouse/protocol';
import { randomUUID } from 'node:crypto';
import type { OutgoingState, StoredMessage, SubscriptionOptions } from '../store/index.js';
import type { Connection } from './connection.js';

/** A message on its way to one session, in the form it will be sent (delivered QoS, retain flag). */
export interface OutgoingEntry {
  readonly seq: number;
  state: OutgoingState;
  /** 0 until one is given. */
  packetId: number;
  readonly message: StoredMessage;
}

/** Retained messages owed to a new subscription, sent as the socket and the window allow. */
export interface RetainedBacklog {
  readonly messages: readonly StoredMessage[];
  index: number;
  readonly qos: 0 | 1 | 2;
  readonly subscriptionIds: readonly number[] | undefined;
}

/** A subscription of a session; the router stores these objects, so identity matters. */
export interface SessionSubscription {
  readonly kind: 'session';
  readonly session: Session;
  /** As the client sent it, `$share/...` included. */
  readonly filter: string;
  /** The filter that is matched: without the `$share/{group}/` prefix. */
  readonly topicFilter: string;
  /** Set for shared subscriptions. */
  readonly group?: string;
  options: SubscriptionOptions;
}

/** A subscription of `session` to `filter`; a `$share/{group}/` filter becomes a member of its group. */
export function newSessionSubscription(session: Session, filter: string, options: SubscriptionOptions): SessionSubscription {
  const shared = parseSharedFilter(filter);
  return {
    kind: 'session',
    session,
    filter,
    topicFilter: shared?.filter ?? filter,
    ...(shared === undefined ? {} : { group: shared.group }),
    options,
  };
}

const NEVER_EXPIRES = 0xffffffff;

export class Session {
  readonly clientId: string;
  protocolVersion: 3 | 4 | 5;
  /** Seconds; 0 ends the session with its connection; 0xFFFFFFFF never expires. */
  expiryInterval: number;
  connection: Connection | undefined;
  disconnectedAt: number | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  readonly subscriptions = new Map<string, SessionSubscription>();
  /** Entries not yet sent, oldest first. */
  readonly queue: OutgoingEntry[] = [];
  /** Sent and unacknowledged QoS 1/2 entries by packet id, in send order. */
  readonly inflight = new Map<number, OutgoingEntry>();
  /** Retained messages still to send for new subscriptions, oldest subscription first. */
  readonly retainedBacklog: RetainedBacklog[] = [];
  /** QoS 2 packet ids from the client whose PUBREL is awaited. */
  readonly incomingQos2 = new Set<number>();
  /** Whether the session has been written to the store (so later changes must be too). */
  stored = false;
  #nextSeq = 1;
  #nextPacketId = 1;
  #id: string | undefined;
  /** Scratch for routing one message: the route stamp and the merged delivery for this session. */
  routeStamp = 0;
  routeQos: 0 | 1 | 2 = 0;
  routeRetainAsPublished = false;
  routeSubscriptionIds: number[] | undefined;

  /**
   * Whom the session belongs to as operators name it: tenant and client id (`clientId` above is the
   * broker's key, tenancy.ts). Exact for sessions made by a connection; read back from the key after a restart.
   */
  owner: { readonly tenant?: string; readonly clientId: string };

  constructor(clientId: string, protocolVersion: 3 | 4 | 5, expiryInterval: number) {
    this.clientId = clientId;
    this.owner = { clientId };
    this.protocolVersion = protocolVersion;
    this.expiryInterval = expiryInterval;
  }

  /**
   * A unique id for the session's life (AWS's `sessionIdentifier` in lifecycle events), made the first
   * time it is asked for: only lifecycle listeners ask. A session resumed after a restart gets a new one.
   */
  get id(): string {
    return (this.#id ??= randomUUID());
  }

  /** Whether the session outlives its connection and so lives in the store. */
  get persistent(): boolean {
    return this.expiryInterval > 0;
  }

  get neverExpires(): boolean {
    return this.expiryInterval === NEVER_EXPIRES;
  }

  takeSeq(): number {
    return this.#nextSeq++;
  }

  /** Continues numbering after entries loaded from the store. */
  advanceSeq(seenSeq: number): void {
    if (seenSeq >= this.#nextSeq) this.#nextSeq = seenSeq + 1;
  }

  /**
   * The next packet identifier not used by an inflight entry [MQTT-2.2.1-3]. The inflight window is
   * far below 65535, so a free one always exists.
   */
  allocatePacketId(): number {
    for (;;) {
      const id = this.#nextPacketId;
      this.#nextPacketId = id === 0xffff ? 1 : id + 1;
      if (!this.inflight.has(id)) return id;
    }
  }
}

export const SESSION_NEVER_EXPIRES = NEVER_EXPIRES;
