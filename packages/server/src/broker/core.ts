/**
 * The broker's state and the operations on it: sessions, routing, retained messages, wills and
 * expiry. Connections and handlers see it through BrokerContext. Every method here is synchronous
 * unless it says otherwise: in Node the hazard is interleaving at `await`, and session takeover,
 * routing and packet-id allocation must never await between their check and their write.
 */
import type { Duplex } from 'node:stream';
import type { Logger, PeerInfo } from '../core/index.js';
import { ReasonCode, type ConnectPacket } from '../mqtt/index.js';
import { GroupCommit, type BrokerStore, type RetainedMessage, type StoreOp, type StoredMessage } from '../store/index.js';
import { Connection } from './connection.js';
import type { MessageOrigin } from './broker-port.js';
import type { ArmedWill, BrokerContext } from './context.js';
import { countCommit, countDrop, newCounters } from './counters.js';
import { defaultFeatures, defaultLimits } from './defaults.js';
import { deliveredForm, deliver, drain, forgetInflight, pumpRetained } from './delivery.js';
import type { BrokerHooks } from './hooks.js';
import { sweepConnections } from './keepalive.js';
import { LifecycleEmitter } from './lifecycle.js';
import { PublishEncoder } from './publish-encoder.js';
import { restoreSession } from './restore.js';
import { RetainedStore } from './retained.js';
import { Router } from './router.js';
import { Session, type SessionSubscription } from './session.js';
import type { BrokerCounters, BrokerFeatures, BrokerLimits } from './types.js';
import { hidesDollarTopic, localStart } from './tenancy.js';
import { WillScheduler } from './will.js';

export interface BrokerOptions {
  readonly store: BrokerStore;
  readonly logger: Logger;
  readonly limits?: Partial<BrokerLimits>;
  readonly features?: Partial<BrokerFeatures>;
  readonly hooks?: BrokerHooks;
  /** Seconds; when set, every MQTT 5 client is told to use it (Server Keep Alive). */
  readonly serverKeepAlive?: number;
  /** Milliseconds a new connection has to send CONNECT (and finish authenticating). */
  readonly connectTimeoutMs?: number;
  /** The tenant the admin view means when it names none (tenancy.ts); absent: full names. */
  readonly defaultTenant?: string;
}

const MAX_TIMER_MS = 0x7fffffff;


export class BrokerCore implements BrokerContext {
  readonly limits: BrokerLimits;
  readonly features: BrokerFeatures;
  readonly hooks: BrokerHooks;
  readonly logger: Logger;
  readonly counters: BrokerCounters = newCounters();
  readonly serverKeepAlive: number | undefined;
  readonly defaultTenant: string | undefined;
  readonly router = new Router();
  readonly retained: RetainedStore;
  readonly encoder = new PublishEncoder();
  readonly connections = new Set<Connection>();
  readonly lifecycle: LifecycleEmitter;
  readonly sessions = new Map<string, Session>();
  readonly store: BrokerStore;
  readonly commit: GroupCommit;
  readonly connectTimeoutMs: number;
  readonly #wills: WillScheduler;
  #persisted = 0;
  #routeStamp = 0;
  readonly #targets: Session[] = [];
  #now = 0;
  #nowValid = false;
  #sweepTimer: NodeJS.Timeout | undefined;
  accepting = false;

  constructor(options: BrokerOptions) {
    this.limits = { ...defaultLimits, ...options.limits };
    this.features = { ...defaultFeatures, ...options.features };
    this.hooks = options.hooks ?? {};
    this.logger = options.logger;
    this.lifecycle = new LifecycleEmitter(options.logger);
    this.serverKeepAlive = options.serverKeepAlive;
    this.defaultTenant = options.defaultTenant;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.store = options.store;
    const counters = this.counters;
    this.commit = new GroupCommit(options.store, {
      logger: options.logger,
      onCommit: ({ ops, seconds }) => countCommit(counters, ops, seconds),
    });
    this.retained = new RetainedStore((op) => this.persist(op), this.limits.maxRetainedMessages);
    this.#wills = new WillScheduler({ persist: (op) => this.persist(op), publish: (message) => this.#publishWill(message), now: () => this.now() });
  }

  // ---- lifecycle

  /** Loads sessions, retained messages and pending wills from the store. */
  async load(): Promise<void> {
    const [sessions, retained, wills] = await Promise.all([this.store.loadSessions(), this.store.loadRetained(), this.store.loadWills()]);
    const now = this.now();
    this.retained.load(retained);
    this.counters.retainedMessages = this.retained.size;
    for (const stored of sessions) {
      const session = restoreSession(stored, now);
      for (const subscription of session.subscriptions.values()) this.router.add(subscription);
      this.counters.subscriptions += session.subscriptions.size;
      this.counters.queuedMessages += session.queue.length;
      this.counters.inflightMessages += session.inflight.size;
      this.sessions.set(session.clientId, session);
      this.counters.sessions++;
      this.#scheduleExpiry(session);
    }
    for (const will of wills) this.#wills.schedule(will.clientId, will.message, Math.max(0, will.publishAt - now), false);
    this.logger.info({ sessions: sessions.length, retained: retained.length, wills: wills.length }, 'broker state loaded');
  }

  startTimers(): void {
    this.#sweepTimer = setInterval(() => sweepConnections(this.connections, { now: Date.now(), connectTimeoutMs: this.connectTimeoutMs, limits: this.limits, counters: this.counters }), 1000);
    this.#sweepTimer.unref();
  }

  stopTimers(): void {
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    for (const session of this.sessions.values()) if (session.expiryTimer !== undefined) clearTimeout(session.expiryTimer);
    this.#wills.stop();
  }

  accept(stream: Duplex, peer: PeerInfo): void {
    if (!this.accepting) {
      stream.on('error', () => {});
      stream.destroy();
      return;
    }
    const connection = new Connection(this, stream, peer);
    this.connections.add(connection);
    this.counters.connections++;
    this.counters.connectionsTotal++;
  }

  // ---- time and persistence

  now(): number {
    if (!this.#nowValid) {
      this.#now = Date.now();
      this.#nowValid = true;
      queueMicrotask(() => {
        this.#nowValid = false;
      });
    }
    return this.#now;
  }

  persist(op: StoreOp): void {
    this.#persisted++;
    this.commit.push(op);
  }

  persistMark(): number {
    return this.#persisted;
  }

  afterCommit(callback: () => void): void {
    this.commit.afterCommit(callback);
  }

  // ---- sessions

  openSession(connection: Connection, packet: ConnectPacket, expiryInterval: number): { session: Session; sessionPresent: boolean } {
    // Sessions are keyed by tenant and client id (tenancy.ts): another tenant's agent-7 is another session.
    const clientId = connection.sessionKey;
    const cleanStart = packet.clean !== false;
    let session = this.sessions.get(clientId);
    const previous = session?.connection;
    if (session !== undefined && previous !== undefined && previous !== connection) {
      // [MQTT-3.1.4-3] the existing connection is told 0x8E and closed; its session stays for us
      session.connection = undefined;
      previous.session = undefined;
      // [MQTT-3.1.3-9] the session goes on before the Will Delay Interval ends: the old will is not sent
      if (!cleanStart && (previous.will?.delayInterval ?? 0) > 0) previous.will = undefined;
      previous.disconnect(ReasonCode.SessionTakenOver, 'Another connection took over this session', 'takeover');
    }
    // [MQTT-3.1.3-9] a new connection before the delay ends cancels the will, unless the old session ends now
    const pendingWill = this.#wills.cancel(clientId);
    if (pendingWill !== undefined && cleanStart) this.#publishWill(pendingWill);
    let sessionPresent = false;
    if (session !== undefined && cleanStart) {
      // [MQTT-3.1.2-4] Clean Start discards the existing session
      this.#endSession(session);
      session = undefined;
    }
    if (session === undefined) {
      session = new Session(clientId, connection.protocolVersion, expiryInterval);
      const tenant = connection.scope.tenant;
      session.owner = tenant === undefined ? { clientId: connection.clientId } : { tenant, clientId: connection.clientId };
      this.sessions.set(clientId, session);
      this.counters.sessions++;
    } else {
      // [MQTT-3.2.2-3] Session Present when the session is resumed
      sessionPresent = true;
      if (session.expiryTimer !== undefined) clearTimeout(session.expiryTimer);
      session.expiryTimer = undefined;
    }
    session.protocolVersion = connection.protocolVersion;
    session.expiryInterval = expiryInterval;
    session.disconnectedAt = undefined;
    session.connection = connection;
    this.#storeSession(session);
    return { session, sessionPresent };
  }

  /** Writes the session row, or removes it when the session stopped being persistent. */
  #storeSession(session: Session): void {
    if (session.persistent) {
      if (!session.stored) {
        // Everything the session already holds must reach the store with it.
        session.stored = true;
        this.persist({ kind: 'session.put', session: this.#sessionRow(session) });
        for (const subscription of session.subscriptions.values()) this.persist({ kind: 'subscription.put', clientId: session.clientId, subscription: { filter: subscription.filter, options: subscription.options } });
        for (const entry of [...session.inflight.values(), ...session.queue]) this.persist({ kind: 'outgoing.add', clientId: session.clientId, entry: { seq: entry.seq, state: entry.state, ...(entry.packetId === 0 ? {} : { packetId: entry.packetId }), message: entry.message } });
        for (const packetId of session.incomingQos2) this.persist({ kind: 'incoming.put', clientId: session.clientId, packetId });
      } else {
        this.persist({ kind: 'session.put', session: this.#sessionRow(session) });
      }
    } else if (session.stored) {
      session.stored = false;
      this.persist({ kind: 'session.delete', clientId: session.clientId });
    }
  }

  #sessionRow(session: Session): { clientId: string; protocolVersion: 3 | 4 | 5; expiryInterval: number; disconnectedAt?: number } {
    return {
      clientId: session.clientId,
      protocolVersion: session.protocolVersion,
      expiryInterval: session.expiryInterval,
      ...(session.disconnectedAt === undefined ? {} : { disconnectedAt: session.disconnectedAt }),
    };
  }

  updateSessionExpiry(session: Session, expiryInterval: number): void {
    session.expiryInterval = expiryInterval;
    this.#storeSession(session);
  }

  connectionClosed(connection: Connection, publishWill: boolean): void {
    if (!this.connections.delete(connection)) return;
    this.counters.connections--;
    const will = connection.will;
    connection.will = undefined;
    const session = connection.session;
    connection.session = undefined;
    const ownsSession = session !== undefined && session.connection === connection;
    if (will !== undefined && publishWill) {
      const delay = Math.min(will.delayInterval, session?.expiryInterval ?? 0);
      if (delay === 0 || !ownsSession) this.#publishWill(will.message);
      else this.#wills.schedule(connection.sessionKey, will.message, delay * 1000, true);
    }
    if (!ownsSession) return;
    session.connection = undefined;
    // Retained messages are owed only on SUBSCRIBE; what was not sent is not sent on a later connection.
    session.retainedBacklog.length = 0;
    if (session.expiryInterval === 0) {
      // [MQTT-3.1.2-?] a session with expiry 0 ends with its connection
      this.#endSession(session);
      return;
    }
    session.disconnectedAt = this.now();
    if (session.stored) this.persist({ kind: 'session.put', session: this.#sessionRow(session) });
    this.#scheduleExpiry(session);
  }

  #scheduleExpiry(session: Session): void {
    if (session.neverExpires || session.connection !== undefined) return;
    const due = (session.disconnectedAt ?? this.now()) + session.expiryInterval * 1000 - Date.now();
    session.expiryTimer = setTimeout(() => this.#expire(session), Math.max(0, Math.min(due, MAX_TIMER_MS)));
    session.expiryTimer.unref();
  }

  #expire(session: Session): void {
    session.expiryTimer = undefined;
    if (session.connection !== undefined || this.sessions.get(session.clientId) !== session) return;
    const due = (session.disconnectedAt ?? 0) + session.expiryInterval * 1000;
    if (Date.now() < due) {
      this.#scheduleExpiry(session);
      return;
    }
    this.logger.debug({ clientId: session.clientId }, 'session expired');
    this.#endSession(session);
  }

  /** Removes a session everywhere; a pending will of its client is published now (will on session end). */
  #endSession(session: Session): void {
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
    else return;
    this.counters.sessions--;
    if (session.expiryTimer !== undefined) clearTimeout(session.expiryTimer);
    for (const subscription of session.subscriptions.values()) this.router.remove(subscription);
    this.counters.subscriptions -= session.subscriptions.size;
    this.counters.queuedMessages -= session.queue.length;
    this.counters.inflightMessages -= session.inflight.size;
    session.subscriptions.clear();
    session.queue.length = 0;
    session.inflight.clear();
    if (session.stored) {
      session.stored = false;
      this.persist({ kind: 'session.delete', clientId: session.clientId });
    }
    const pendingWill = this.#wills.cancel(session.clientId);
    if (pendingWill !== undefined) this.#publishWill(pendingWill);
  }

  /** Removes a session for the operator; disconnects its client first. */
  deleteSession(clientId: string): boolean {
    const session = this.sessions.get(clientId);
    if (session === undefined) return false;
    const connection = session.connection;
    if (connection !== undefined) {
      session.expiryInterval = 0;
      connection.disconnect(ReasonCode.AdministrativeAction, 'Session deleted by an operator', 'admin');
    }
    this.#endSession(session);
    return true;
  }

  // ---- wills

  #publishWill(message: StoredMessage): void {
    if (message.expiresAt !== undefined && message.expiresAt <= this.now()) return;
    this.publish(message, undefined);
  }

  get pendingWillCount(): number {
    return this.#wills.size;
  }

  // ---- subscriptions and routing

  addSubscription(subscription: SessionSubscription): void {
    const session = subscription.session;
    session.subscriptions.set(subscription.filter, subscription);
    this.router.add(subscription);
    this.counters.subscriptions++;
    if (session.persistent) this.persist({ kind: 'subscription.put', clientId: session.clientId, subscription: { filter: subscription.filter, options: subscription.options } });
  }

  removeSubscription(subscription: SessionSubscription): void {
    const session = subscription.session;
    if (session.subscriptions.get(subscription.filter) !== subscription) return;
    session.subscriptions.delete(subscription.filter);
    this.router.remove(subscription);
    this.counters.subscriptions--;
    if (session.persistent) this.persist({ kind: 'subscription.delete', clientId: session.clientId, filter: subscription.filter });
  }

  publish(message: StoredMessage, origin: Session | undefined): void {
    if (message.retain) this.#retain(message);
    this.#route(message, origin);
  }

  /** Delivers to one client's session through its matching subscriptions only (BrokerPort.publishTo). */
  publishTo(clientId: string, message: StoredMessage): boolean {
    const session = this.sessions.get(clientId);
    if (session === undefined) return false;
    let qos = -1;
    let retainAsPublished = false;
    for (const entry of this.router.match(message.topic)) {
      if (entry.kind !== 'session' || entry.session !== session) continue;
      if (entry.options.qos > qos) qos = entry.options.qos;
      if (entry.options.retainAsPublished) retainAsPublished = true;
    }
    if (qos < 0) return false;
    this.encoder.begin(message, this.now());
    try {
      this.#deliverTo(session, message, qos as 0 | 1 | 2, retainAsPublished, undefined);
    } finally {
      this.encoder.end();
    }
    return true;
  }

  #retain(message: StoredMessage): void {
    if (message.payload.length === 0) {
      // [MQTT-3.3.1-6] [MQTT-3.3.1-7] an empty retained message removes the topic's and is not stored (3.1.1: [MQTT-3.3.1-10] [MQTT-3.3.1-11])
      this.retained.delete(message.topic);
    } else {
      // [MQTT-3.3.1-5] store it, replacing the previous one of the topic
      const retained: RetainedMessage = { ...message, retain: true, storedAt: this.now() };
      if (!this.retained.put(retained)) countDrop(this.counters, 'retained-limit');
    }
    this.counters.retainedMessages = this.retained.size;
  }

  #route(message: StoredMessage, origin: Session | undefined): void {
    const entries = this.router.match(message.topic);
    if (entries.length === 0) {
      countDrop(this.counters, 'no-subscribers');
      return;
    }
    const now = this.now();
    if (message.expiresAt !== undefined && message.expiresAt <= now) return;
    const stamp = ++this.#routeStamp;
    const targets = this.#targets;
    this.encoder.begin(message, now);
    try {
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        if (entry.kind === 'session') {
          const session = entry.session;
          const options = entry.options;
          // [MQTT-3.8.3-3] No Local: not back to the publisher's own session
          if (options.noLocal && session === origin) continue;
          const id = options.subscriptionIdentifier;
          if (session.routeStamp !== stamp) {
            // [MQTT-3.3.4-2] overlapping subscriptions: one delivery at the highest QoS
            session.routeStamp = stamp;
            session.routeQos = options.qos;
            session.routeRetainAsPublished = options.retainAsPublished;
            session.routeSubscriptionIds = id === undefined ? undefined : [id];
            targets.push(session);
          } else {
            if (options.qos > session.routeQos) session.routeQos = options.qos;
            if (options.retainAsPublished) session.routeRetainAsPublished = true;
            // [MQTT-3.3.4-3] every matching subscription's identifier goes with the one delivery
            if (id !== undefined) (session.routeSubscriptionIds ??= []).push(id);
          }
        } else if (entry.kind === 'shared') {
          const member = this.router.pickSharedMember(entry);
          if (member === undefined) continue;
          const id = member.options.subscriptionIdentifier;
          this.#deliverTo(member.session, message, member.options.qos, member.options.retainAsPublished, id === undefined ? undefined : [id]);
        } else {
          try {
            entry.handler(message, origin === undefined ? undefined : originOf(origin));
          } catch (error) {
            this.logger.error({ err: error, topic: message.topic }, 'internal subscriber failed');
          }
        }
      }
      for (let i = 0; i < targets.length; i++) {
        const session = targets[i]!;
        this.#deliverTo(session, message, session.routeQos, session.routeRetainAsPublished, session.routeSubscriptionIds);
      }
    } finally {
      targets.length = 0;
      this.encoder.end();
    }
  }

  #deliverTo(session: Session, message: StoredMessage, subscriptionQos: 0 | 1 | 2, retainAsPublished: boolean, subscriptionIds: number[] | undefined): void {
    const qos = message.qos < subscriptionQos ? message.qos : subscriptionQos;
    // [MQTT-3.3.1-12] without Retain As Published the flag is cleared on live delivery; 3.1.1 always clears it [MQTT-3.3.1-9]
    const retain = retainAsPublished && session.protocolVersion === 5 ? message.retain : false;
    if (qos === message.qos && retain === message.retain && subscriptionIds === undefined) {
      deliver(this, session, message);
      return;
    }
    deliver(this, session, deliveredForm(message, qos, retain, subscriptionIds));
  }

  sendRetained(subscription: SessionSubscription): void {
    let messages = this.retained.match(subscription.topicFilter, this.now());
    // [MQTT-4.7.2-1] inside a tenant, `#` and `+/...` do not reach its `$aws/...` topics (tenancy.ts)
    if (localStart(subscription.topicFilter) > 0) messages = messages.filter((message) => !hidesDollarTopic(subscription.topicFilter, message.topic));
    this.counters.retainedMessages = this.retained.size;
    if (messages.length === 0) return;
    const options = subscription.options;
    const session = subscription.session;
    session.retainedBacklog.push({
      messages,
      index: 0,
      qos: options.qos,
      subscriptionIds: options.subscriptionIdentifier === undefined ? undefined : [options.subscriptionIdentifier],
    });
    if (session.retainedBacklog.length === 1) pumpRetained(this, session);
  }

  drainSession(session: Session): void {
    drain(this, session);
  }

  /** Denials logged in the current second; beyond DENIAL_LOGS_PER_SECOND they are only counted. */
  #denialLogs = 0;
  #denialLogSecond = 0;

  authorizationDenied(connection: Connection, action: 'iot:Publish' | 'iot:RetainPublish' | 'iot:Subscribe' | 'iot:Receive', resource: string): void {
    const denials = this.counters.authorizationDenials;
    denials[action] = (denials[action] ?? 0) + 1;
    const second = Math.floor(this.now() / 1000);
    if (second !== this.#denialLogSecond) {
      this.#denialLogSecond = second;
      this.#denialLogs = 0;
    }
    if (++this.#denialLogs > DENIAL_LOGS_PER_SECOND) return;
    const principal = connection.principal;
    this.logger.info({
      clientId: connection.clientId, tenant: principal?.tenant, thing: principal?.thingName, action, resource,
      explanation: connection.policy?.explain(action, resource),
    }, 'not authorized');
  }

  dropInflight(connection: Connection, packetId: number): void {
    const session = connection.session;
    if (session === undefined) return;
    const entry = session.inflight.get(packetId);
    if (entry !== undefined) forgetInflight(this, session, entry);
  }
}

export type { ArmedWill };

/** At most this many denials are logged per second, across connections; the rest are counted. */
const DENIAL_LOGS_PER_SECOND = 20;

function originOf(session: Session): MessageOrigin {
  const connection = session.connection;
  const principal = connection?.principal;
  const clientId = connection?.clientId ?? session.owner.clientId;
  return principal === undefined ? { clientId, sessionKey: session.clientId } : { clientId, sessionKey: session.clientId, principal };
}
