/** CONNECT: validate, authenticate (hooks, enhanced auth), attach the session, answer CONNACK. */
import { validateTopicName } from '@gatehouse/protocol';
import { randomBytes } from 'node:crypto';
import { ProtocolError, ReasonCode, type ConnackPacket, type ConnectPacket } from '../../mqtt/index.js';
import type { Connection } from '../connection.js';
import { resend } from '../delivery.js';
import type { AuthStep, HookResult } from '../hooks.js';
import { SESSION_NEVER_EXPIRES } from '../session.js';
import { serviceMayAddress, tenantScope } from '../tenancy.js';
import { topicLimits } from './limits.js';
import { toStoredMessage } from './publish.js';

export function handleConnect(connection: Connection, packet: ConnectPacket): Promise<void> | undefined {
  const ctx = connection.ctx;
  const version = packet.protocolVersion ?? 4;
  connection.protocolVersion = version;
  const properties = packet.properties ?? {};
  if (version === 5) {
    connection.requestProblemInformation = properties.requestProblemInformation !== false;
    connection.requestResponseInformation = properties.requestResponseInformation === true;
    if (properties.receiveMaximum === 0) {
      // 3.1.2.11.3: a Receive Maximum of 0 is a protocol error (the section states it without a tag)
      throw new ProtocolError(ReasonCode.ProtocolError, 'Receive Maximum must not be 0');
    }
    if (properties.maximumPacketSize === 0) {
      // 3.1.2.11.4: a Maximum Packet Size of 0 is a protocol error
      throw new ProtocolError(ReasonCode.ProtocolError, 'Maximum Packet Size must not be 0');
    }
    connection.sendWindow = Math.min(properties.receiveMaximum ?? 65535, ctx.limits.maxInflight);
    connection.maxOutgoingPacketSize = properties.maximumPacketSize ?? 0;
    connection.clientTopicAliasMaximum = properties.topicAliasMaximum ?? 0;
    if (properties.authenticationData !== undefined && properties.authenticationMethod === undefined) {
      // 3.1.2.11.10: Authentication Data without a method is a protocol error (no tag)
      throw new ProtocolError(ReasonCode.ProtocolError, 'Authentication Data was sent without an Authentication Method');
    }
  } else {
    connection.sendWindow = ctx.limits.maxInflight;
    // [MQTT-3.1.2-22] (3.1.1) a password needs a user name; MQTT 5 allows one alone
    if (packet.password !== undefined && packet.username === undefined) throw new ProtocolError(ReasonCode.MalformedPacket, 'Password Flag set without User Name Flag');
  }

  let clientId = packet.clientId;
  let assigned = false;
  if (clientId.length === 0) {
    if (version !== 5 && packet.clean === false) {
      // [MQTT-3.1.3-8] an empty client id needs clean session 1 in 3.1.1
      throw new ProtocolError(ReasonCode.ClientIdentifierNotValid, 'An empty client identifier requires clean session');
    }
    // [MQTT-3.1.3-6] the server assigns a unique identifier
    clientId = `gh-${randomBytes(12).toString('base64url')}`;
    assigned = true;
  }
  if (clientId.length > ctx.limits.maxClientIdLength) {
    // [MQTT-3.1.3-5] the server may refuse identifiers it does not accept
    throw new ProtocolError(ReasonCode.ClientIdentifierNotValid, `Client identifier is longer than ${ctx.limits.maxClientIdLength} characters`);
  }
  connection.clientId = clientId;
  connection.username = packet.username;
  connection.cleanStart = packet.clean !== false;

  if (packet.will !== undefined) {
    const will = packet.will;
    // [MQTT-3.1.2-12] Will QoS 3 is malformed (mqtt-packet checks only the other flag rules)
    if ((will.qos as number) > 2) throw new ProtocolError(ReasonCode.MalformedPacket, 'Will QoS must not be 3');
    const reason = validateTopicName(will.topic, topicLimits(ctx.limits));
    // [MQTT-3.1.2-?] the will topic must be a valid topic name
    if (reason !== undefined) throw new ProtocolError(ReasonCode.TopicNameInvalid, `Will topic is invalid: ${reason}`);
    if (will.retain === true && !ctx.features.retainAvailable) {
      // [MQTT-3.2.2-13] retain not available: refuse a will with retain set
      throw new ProtocolError(ReasonCode.RetainNotSupported, 'Retained messages are not available on this server');
    }
    const willProperties = will.properties ?? {};
    connection.will = {
      message: toStoredMessage(ctx, will.topic, typeof will.payload === 'string' ? Buffer.from(will.payload) : will.payload, (will.qos ?? 0), will.retain === true, willProperties),
      delayInterval: willProperties.willDelayInterval ?? 0,
    };
  }

  let keepAlive = packet.keepalive ?? 0;
  let serverKeepAlive = ctx.serverKeepAlive;
  if (version === 5 && serverKeepAlive === undefined && ctx.limits.maxKeepAlive > 0 && (keepAlive === 0 || keepAlive > ctx.limits.maxKeepAlive)) {
    serverKeepAlive = ctx.limits.maxKeepAlive;
  }
  // [MQTT-3.2.2-21] the client must use the Server Keep Alive when we send one; else its own [MQTT-3.2.2-22]
  if (version === 5 && serverKeepAlive !== undefined) keepAlive = serverKeepAlive;
  connection.keepAlive = keepAlive;

  const requestedExpiry = version === 5 ? (properties.sessionExpiryInterval ?? 0) : (packet.clean === false ? SESSION_NEVER_EXPIRES : 0);
  const expiry = Math.min(requestedExpiry, ctx.limits.maxSessionExpiry);
  const connack: ConnackPacket = { cmd: 'connack', sessionPresent: false };
  const ackProperties: NonNullable<ConnackPacket['properties']> = {};
  if (version === 5) {
    if (expiry !== requestedExpiry) ackProperties.sessionExpiryInterval = expiry;
    if (ctx.limits.receiveMaximum < 65535) ackProperties.receiveMaximum = ctx.limits.receiveMaximum;
    ackProperties.maximumPacketSize = ctx.limits.maxPacketSize;
    ackProperties.topicAliasMaximum = ctx.limits.topicAliasMaximum;
    if (!ctx.features.retainAvailable) ackProperties.retainAvailable = false;
    if (!ctx.features.wildcardSubscriptionAvailable) ackProperties.wildcardSubscriptionAvailable = false;
    if (!ctx.features.subscriptionIdentifiersAvailable) ackProperties.subscriptionIdentifiersAvailable = false;
    if (!ctx.features.sharedSubscriptionAvailable) ackProperties.sharedSubscriptionAvailable = false;
    if (assigned) ackProperties.assignedClientIdentifier = clientId;
    if (serverKeepAlive !== undefined) ackProperties.serverKeepAlive = serverKeepAlive;
    if (connection.requestResponseInformation) ackProperties.responseInformation = `response/${clientId}`;
  }

  const method = version === 5 ? properties.authenticationMethod : undefined;
  const connectHooks = ctx.hooks.connect;
  if (method === undefined && (connectHooks === undefined || connectHooks.length === 0) && ctx.hooks.authorize === undefined) {
    decideAnonymous(connection);
    complete(connection, packet, expiry, connack, ackProperties);
    return undefined;
  }
  connection.state = 'authenticating';
  return authenticate(connection, packet, method).then((authData) => {
    if (connection.closed) return;
    if (method !== undefined) {
      ackProperties.authenticationMethod = method;
      if (authData !== undefined) ackProperties.authenticationData = authData;
    }
    complete(connection, packet, expiry, connack, ackProperties);
    connection.replayPending();
  });
}

function decideAnonymous(connection: Connection): void {
  if (!connection.ctx.features.allowAnonymous) {
    throw new ProtocolError(ReasonCode.NotAuthorized, 'Anonymous connections are not allowed');
  }
}

/** Runs enhanced authentication (if asked) and the connect hooks; resolves with the final auth data. */
async function authenticate(connection: Connection, packet: ConnectPacket, method: string | undefined): Promise<Buffer | undefined> {
  const ctx = connection.ctx;
  let authData: Buffer | undefined;
  if (method !== undefined) {
    const handler = ctx.hooks.enhancedAuth?.[method];
    // [MQTT-4.12.0-1] an unsupported method is refused with Bad authentication method
    if (handler === undefined) throw new ProtocolError(ReasonCode.BadAuthenticationMethod, `Authentication method "${method}" is not supported`);
    connection.authMethod = method;
    connection.authState = new Map();
    const data = packet.properties?.authenticationData;
    let step: AuthStep = await handler.start({ clientId: connection.clientId, method, peer: connection.peer, state: connection.authState, reauthenticate: false, ...(data === undefined ? {} : { data }) });
    while (step.kind === 'continue') {
      if (connection.closed) return undefined;
      connection.send({ cmd: 'auth', reasonCode: ReasonCode.ContinueAuthentication, properties: { authenticationMethod: method, ...(step.data === undefined ? {} : { authenticationData: step.data }) } });
      const reply = await connection.nextAuthPacket();
      step = await handler.continue({ clientId: connection.clientId, method, peer: connection.peer, state: connection.authState, reauthenticate: false, ...(reply === undefined ? {} : { data: reply }) });
    }
    if (step.kind === 'fail') throw new ProtocolError(ReasonCode.NotAuthorized, step.reason ?? 'Authentication failed');
    authData = step.data;
  }
  let decision: HookResult = { kind: 'defer' };
  for (const hook of ctx.hooks.connect ?? []) {
    decision = await hook({
      clientId: connection.clientId,
      protocolVersion: connection.protocolVersion,
      peer: connection.peer,
      ...(packet.username === undefined ? {} : { username: packet.username }),
      ...(packet.password === undefined ? {} : { password: packet.password }),
      ...(method === undefined ? {} : { authenticationMethod: method }),
    });
    if (decision.kind !== 'defer') break;
  }
  if (decision.kind === 'allow' && decision.principal !== undefined) connection.principal = decision.principal;
  if (decision.kind === 'deny') throw new ProtocolError(decision.reasonCode ?? ReasonCode.NotAuthorized, decision.reason ?? 'Not authorized');
  if (decision.kind === 'defer' && method === undefined) decideAnonymous(connection);
  await bindPolicy(connection, packet);
  return authData;
}

/** Asks the authorization hook for the connection's policies (`iot:Connect` is decided there). */
async function bindPolicy(connection: Connection, packet: ConnectPacket): Promise<void> {
  const authorize = connection.ctx.hooks.authorize;
  const principal = connection.principal;
  if (authorize === undefined || principal === undefined) return;
  const decision = await authorize({
    principal,
    clientId: connection.clientId,
    peer: connection.peer,
    cleanStart: packet.clean !== false,
    ...(packet.will === undefined ? {} : { willTopic: packet.will.topic }),
  });
  if (decision.kind === 'deny') throw new ProtocolError(ReasonCode.NotAuthorized, decision.reason);
  connection.policy = decision.policy;
}

/**
 * Places the connection in its tenant (tenancy.ts) before its session is looked up: the session key
 * and the will's topic take the tenant's names. A service principal's will must address a tenant it
 * is granted.
 */
function enterScope(connection: Connection): void {
  const scope = tenantScope(connection.principal, connection.clientId);
  connection.scope = scope;
  const will = connection.will;
  if (will === undefined) return;
  if (scope.topicPrefix.length > 0) {
    connection.will = { ...will, message: { ...will.message, topic: scope.topicPrefix + will.message.topic } };
  } else if (!serviceMayAddress(scope, will.message.topic)) {
    throw new ProtocolError(ReasonCode.NotAuthorized, `Will topic ${will.message.topic} is outside the tenants this principal may address`);
  }
}

function complete(connection: Connection, packet: ConnectPacket, expiry: number, connack: ConnackPacket, ackProperties: NonNullable<ConnackPacket['properties']>): void {
  const ctx = connection.ctx;
  if (ctx.connections.size > ctx.limits.maxConnections) {
    throw new ProtocolError(ReasonCode.ServerBusy, `The server has reached its limit of ${ctx.limits.maxConnections} connections`);
  }
  enterScope(connection);
  const { session, sessionPresent } = ctx.openSession(connection, packet, expiry);
  connection.session = session;
  connection.state = 'connected';
  connection.connectedAt = ctx.now();
  connack.sessionPresent = sessionPresent;
  if (connection.protocolVersion === 5) {
    connack.reasonCode = ReasonCode.Success;
    connack.properties = ackProperties;
  } else {
    connack.returnCode = 0;
  }
  connection.send(connack);
  if (ctx.lifecycle.active) emitConnected(connection, session.id, expiry);
  const principal = connection.principal;
  ctx.logger.debug({
    clientId: connection.clientId, sessionPresent, peer: connection.peer.remoteAddress,
    ...(principal === undefined ? {} : { principal: { kind: principal.kind, tenant: principal.tenant, thing: principal.thingName, certificateId: principal.certificateId } }),
  }, 'client connected');
  resend(ctx, session);
}

function emitConnected(connection: Connection, sessionId: string, sessionExpiry: number): void {
  const ctx = connection.ctx;
  const at = ctx.now();
  connection.lifecycleVersion = ctx.lifecycle.nextVersion(at);
  connection.lifecycleSessionId = sessionId;
  const principal = connection.principal;
  const tenant = connection.scope.tenant;
  ctx.lifecycle.emit({
    kind: 'connected',
    clientId: connection.clientId,
    sessionKey: connection.sessionKey,
    ...(tenant === undefined ? {} : { tenant }),
    ...(principal === undefined ? {} : { principal }),
    sessionId,
    at,
    peer: connection.peer,
    protocolVersion: connection.protocolVersion,
    cleanStart: connection.cleanStart,
    sessionExpiry,
    versionNumber: connection.lifecycleVersion,
  });
}
