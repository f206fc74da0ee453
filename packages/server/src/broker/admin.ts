/** The operator's view of the broker (BrokerAdmin), built on its core; the admin API calls it. */
import { validateTopicName } from '@gatehouse/protocol';
import { redactMqttUsername, type Principal } from '../auth/index.js';
import { GatehouseError } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import type { RetainedMessage, StoredMessage } from '../store/index.js';
import type { Connection } from './connection.js';
import type { BrokerCore } from './core.js';
import { topicLimits } from './handlers/limits.js';
import type { Session } from './session.js';
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
    for (const connection of this.#core.connections) if (connection.connected) connected.set(connection.clientId, connection);
    return page([...connected.keys()], options, (id) => clientInfo(connected.get(id)!));
  }

  getClient(clientId: string): ClientInfo | undefined {
    const connection = this.#core.sessions.get(clientId)?.connection;
    return connection === undefined ? undefined : clientInfo(connection);
  }

  disconnectClient(clientId: string): boolean {
    const connection = this.#core.sessions.get(clientId)?.connection;
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
    return page([...sessions.keys()], options, (id) => sessionInfo(sessions.get(id)!));
  }

  getSession(clientId: string): SessionInfo | undefined {
    const session = this.#core.sessions.get(clientId);
    return session === undefined ? undefined : sessionInfo(session);
  }

  async deleteSession(clientId: string): Promise<boolean> {
    const deleted = this.#core.deleteSession(clientId);
    if (deleted) await this.#core.commit.flush();
    return deleted;
  }

  listRetained(options: ListOptions = {}): Page<RetainedInfo> {
    const retained = new Map(this.#core.retained.entries(options.prefix));
    return page([...retained.keys()], options, (topic) => retainedInfo(retained.get(topic)!));
  }

  getRetained(topic: string): RetainedInfo | undefined {
    const message = this.#core.retained.get(topic, this.#core.now());
    return message === undefined ? undefined : retainedInfo(message);
  }

  async deleteRetained(topic: string): Promise<boolean> {
    const deleted = this.#core.retained.delete(topic);
    this.#core.counters.retainedMessages = this.#core.retained.size;
    if (deleted) await this.#core.commit.flush();
    return deleted;
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
      topic: request.topic,
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

function page<T>(keys: string[], options: ListOptions, toItem: (key: string) => T): Page<T> {
  const limit = Math.min(Math.max(options.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
  const prefix = options.prefix;
  const cursor = options.cursor;
  const selected = keys.filter((key) => (prefix === undefined || key.startsWith(prefix)) && (cursor === undefined || key > cursor)).sort();
  const items = selected.slice(0, limit).map(toItem);
  const last = selected[limit - 1];
  return selected.length > limit && last !== undefined ? { items, nextCursor: last } : { items };
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
  const expiresAt = session.connection === undefined && session.disconnectedAt !== undefined && !session.neverExpires
    ? new Date(session.disconnectedAt + session.expiryInterval * 1000).toISOString()
    : undefined;
  return {
    clientId: session.clientId,
    connected: session.connection !== undefined,
    protocolVersion: session.protocolVersion,
    expiryInterval: session.expiryInterval,
    ...(session.disconnectedAt === undefined ? {} : { disconnectedAt: new Date(session.disconnectedAt).toISOString() }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    subscriptions: [...session.subscriptions.values()].map(({ filter, options }) => ({ filter, options })),
    queued: session.queue.length,
    inflight: session.inflight.size,
  };
}

function retainedInfo(message: RetainedMessage): RetainedInfo {
  return {
    topic: message.topic,
    qos: message.qos,
    payloadSize: message.payload.length,
    payload: message.payload.toString('base64'),
    storedAt: new Date(message.storedAt).toISOString(),
    ...(message.expiresAt === undefined ? {} : { expiresAt: new Date(message.expiresAt).toISOString() }),
    ...(message.properties === undefined ? {} : { properties: message.properties }),
  };
}
