/** The operator's view of the broker (BrokerAdmin), built on its core; the admin API calls it. */
import { validateTopicName } from '@gatehouse/protocol';
import { redactMqttUsername, type Principal } from '../auth/index.js';
import { GatehouseError } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import type { RetainedMessage, StoredMessage } from '../store/index.js';
import type { Connection } from './connection.js';
import type { BrokerCore } from './core.js';
import { topicLimits } from './handlers/limits.js';
import type { Session, SessionSubscription } from './session.js';
import { localTopic, tenantTopicPrefix, tenantTopicRoot } from './tenancy.js';
import type {
  BrokerAdmin, BrokerCounters, ClientInfo, ClientPrincipal, DisconnectWhereOptions, ListOptions, LiveConnection, Page, PublishRequest, RetainedInfo, SessionInfo,
} from './types.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

export class Admin implements BrokerAdmin {
  readonly #core: BrokerCore;

  constructor(core: BrokerCore) {
    this.#core = core;
  }

  get counters(): BrokerCounters {
    return this.#core.counters;
  }

  listClients(options: ListOptions = {}): Page<ClientInfo> {
    const connected = new Map<string, Connection>();
    for (const connection of this.#core.connections) {
      if (!connection.connected) continue;
      if (options.tenant !== undefined && connection.scope.tenant !== options.tenant) continue;
      // Keyed by session key: two tenants' agent-7 are two clients.
      connected.set(connection.sessionKey, connection);
    }
    const keys = [...connected.keys()];
    return page(keys, options, (key) => clientInfo(connected.get(key)!), (key) => connected.get(key)!.clientId, options.prefix);
  }

  getClient(clientId: string, tenant?: string): ClientInfo | undefined {
    const connection = this.#session(clientId, tenant)?.connection;
    return connection === undefined ? undefined : clientInfo(connection);
  }

  disconnectClient(clientId: string, tenant?: string): boolean {
    const connection = this.#session(clientId, tenant)?.connection;
    if (connection === undefined) return false;
    connection.disconnect(ReasonCode.AdministrativeAction, 'Disconnected by an operator', 'admin');
    return true;
  }

  disconnectWhere(predicate: (connection: LiveConnection) => boolean, options: DisconnectWhereOptions): number {
    let closed = 0;
    for (const connection of [...this.#core.connections]) {
      if (connection.closed || !predicate(connection)) continue;
      connection.disconnect(options.reasonCode, options.reason, options.label ?? 'admin');
      closed++;
    }
    return closed;
  }

  listPrincipals(): Principal[] {
    const principals: Principal[] = [];
    for (const connection of this.#core.connections) if (!connection.closed && connection.principal !== undefined) principals.push(connection.principal);
    return principals;
  }

  listSessions(options: ListOptions = {}): Page<SessionInfo> {
    const sessions = this.#core.sessions;
    const tenant = options.tenant;
    const keys = tenant === undefined ? [...sessions.keys()] : [...sessions.keys()].filter((key) => sessions.get(key)!.owner.tenant === tenant);
    return page(keys, options, (key) => sessionInfo(sessions.get(key)!), (key) => sessions.get(key)!.owner.clientId, options.prefix);
  }

  getSession(clientId: string, tenant?: string): SessionInfo | undefined {
    const session = this.#session(clientId, tenant);
    return session === undefined ? undefined : sessionInfo(session);
  }

  async deleteSession(clientId: string, tenant?: string): Promise<boolean> {
    const session = this.#session(clientId, tenant);
    if (session === undefined) return false;
    const deleted = this.#core.deleteSession(session.clientId);
    if (deleted) await this.#core.commit.flush();
    return deleted;
  }

  listRetained(options: ListOptions = {}): Page<RetainedInfo> {
    const prefix = this.#topicPrefix(options.tenant);
    const retained = new Map(this.#core.retained.entries(prefix + (options.prefix ?? '')));
    return page([...retained.keys()], options, (topic) => retainedInfo(retained.get(topic)!, prefix.length), (topic) => topic.slice(prefix.length), '', true);
  }

  getRetained(topic: string, tenant?: string): RetainedInfo | undefined {
    const prefix = this.#topicPrefix(tenant, topic);
    const message = this.#core.retained.get(prefix + topic, this.#core.now());
    return message === undefined ? undefined : retainedInfo(message, prefix.length);
  }

  async deleteRetained(topic: string, tenant?: string): Promise<boolean> {
    const deleted = this.#core.retained.delete(this.#topicPrefix(tenant, topic) + topic);
    this.#core.counters.retainedMessages = this.#core.retained.size;
    if (deleted) await this.#core.commit.flush();
    return deleted;
  }

  /** A session by the client id operators know, inside `tenant` (default: the broker's default tenant). */
  #session(clientId: string, tenant: string | undefined): Session | undefined {
    const sessions = this.#core.sessions;
    const scope = tenant ?? this.#core.defaultTenant;
    const found = (scope === undefined ? undefined : sessions.get(`${scope}/${clientId}`)) ?? sessions.get(clientId) ?? sessions.get(`*/${clientId}`);
    if (found !== undefined || tenant !== undefined) return found;
    // No tenant named and none by default: the one session of that client id in any tenant, if it is unique.
    let only: Session | undefined;
    for (const [key, session] of sessions) {
      if (session.owner.clientId !== clientId) continue;
      if (only !== undefined) return undefined;
      only = session;
    }
    return only;
  }

  /** The prefix that turns an operator's topic into the broker's name; none for full `$tenants/...` names. */
  #topicPrefix(tenant: string | undefined, topic = ''): string {
    const scope = tenant ?? this.#core.defaultTenant;
    if (scope === undefined || topic.startsWith(tenantTopicRoot)) return '';
    return tenantTopicPrefix(scope);
  }

  async publish(request: PublishRequest): Promise<void> {
    const core = this.#core;
    const reason = validateTopicName(request.topic, topicLimits(core.limits));
    if (reason !== undefined) throw new GatehouseError('BAD_REQUEST', { reason: `topic "${request.topic}": ${reason}` });
    if (request.payload.length > core.limits.maxPacketSize) {
      throw new GatehouseError('PAYLOAD_TOO_LARGE', { size: request.payload.length, limit: core.limits.maxPacketSize });
    }
    const { messageExpiryInterval, ...properties } = request.properties ?? {};
    const message: StoredMessage = {
      topic: this.#topicPrefix(request.tenant, request.topic) + request.topic,
      payload: request.payload,
      qos: request.qos,
      retain: request.retain,
      ...(Object.keys(properties).length === 0 ? {} : { properties }),
      ...(messageExpiryInterval === undefined ? {} : { expiresAt: core.now() + messageExpiryInterval * 1000 }),
    };
    core.counters.messagesIn[message.qos]++;
    core.publish(message, undefined);
    if (message.qos > 0) await core.commit.flush();
  }
}

/**
 * One page of items in key order. `shown` is the key as the caller knows it (a client id without its
 * tenant, a topic without its prefix): `nameStartsWith` applies to it. Cursors are keys (opaque to
 * callers) unless `cursorIsShown`, where every key has the same prefix and the shown name sorts alike.
 */
function page<T>(
  keys: string[], options: ListOptions, toItem: (key: string) => T,
  shown: (key: string) => string = (key) => key, nameStartsWith = options.prefix, cursorIsShown = false,
): Page<T> {
  const limit = Math.min(Math.max(options.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
  const cursor = options.cursor;
  const cursorOf = cursorIsShown ? shown : (key: string): string => key;
  const selected = keys.filter((key) => (nameStartsWith === undefined || shown(key).startsWith(nameStartsWith)) && (cursor === undefined || cursorOf(key) > cursor)).sort();
  const items = selected.slice(0, limit).map(toItem);
  const last = selected[limit - 1];
  return selected.length > limit && last !== undefined ? { items, nextCursor: cursorOf(last) } : { items };
}

function clientInfo(connection: Connection): ClientInfo {
  const session = connection.session;
  return {
    clientId: connection.clientId,
    protocolVersion: connection.protocolVersion,
    connectedAt: new Date(connection.connectedAt).toISOString(),
    peer: connection.peer.clientCertificate === undefined ? connection.peer : { ...connection.peer, clientCertificate: undefined } as never,
    keepAlive: connection.keepAlive,
    cleanStart: connection.cleanStart,
    sessionExpiryInterval: session?.expiryInterval ?? 0,
    // A custom-authorizer username carries the token itself: show its shape, not the credential.
    ...(connection.username === undefined ? {} : { username: redactMqttUsername(connection.username) }),
    ...(connection.principal === undefined ? {} : { principal: clientPrincipal(connection.principal) }),
    subscriptions: session?.subscriptions.size ?? 0,
    inflight: session?.inflight.size ?? 0,
    queued: session?.queue.length ?? 0,
    messagesIn: connection.messagesIn,
    messagesOut: connection.messagesOut,
    bytesIn: connection.bytesIn,
    bytesOut: connection.bytesOut,
  };
}

function clientPrincipal(principal: Principal): ClientPrincipal {
  return {
    kind: principal.kind,
    tenant: principal.tenant,
    ...(principal.thingName === undefined ? {} : { thingName: principal.thingName }),
    ...(principal.certificateId === undefined ? {} : { certificateId: principal.certificateId }),
  };
}

function sessionInfo(session: Session): SessionInfo {
  const { tenant, clientId } = session.owner;
  const expiresAt = session.connection === undefined && session.disconnectedAt !== undefined && !session.neverExpires
    ? new Date(session.disconnectedAt + session.expiryInterval * 1000).toISOString()
    : undefined;
  return {
    clientId,
    ...(tenant === undefined ? {} : { tenant }),
    connected: session.connection !== undefined,
    protocolVersion: session.protocolVersion,
    expiryInterval: session.expiryInterval,
    ...(session.disconnectedAt === undefined ? {} : { disconnectedAt: new Date(session.disconnectedAt).toISOString() }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    subscriptions: [...session.subscriptions.values()].map((subscription) => ({ filter: localFilter(subscription), options: subscription.options })),
    queued: session.queue.length,
    inflight: session.inflight.size,
  };
}

/** A subscription filter as its client wrote it: without its tenant's prefix (shared ones keep `$share/{group}/`). */
function localFilter(subscription: SessionSubscription): string {
  const inner = localTopic(subscription.topicFilter);
  return subscription.group === undefined ? inner : `$share/${subscription.group}/${inner}`;
}

function retainedInfo(message: RetainedMessage, cut = 0): RetainedInfo {
  return {
    topic: message.topic.slice(cut),
    qos: message.qos,
    payloadSize: message.payload.length,
    payload: message.payload.toString('base64'),
    storedAt: new Date(message.storedAt).toISOString(),
    ...(message.expiresAt === undefined ? {} : { expiresAt: new Date(message.expiresAt).toISOString() }),
    ...(message.properties === undefined ? {} : { properties: message.properties }),
  };
}
