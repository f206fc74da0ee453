/** PUBLISH from a client: validate, resolve topic aliases, authorize, route, retain, acknowledge. */
import { mayClientPublishAwsTopic, validateTopicName } from '@gatehouse/protocol';
import { isUtf8 } from 'node:buffer';
import { ProtocolError, ReasonCode, type PublishPacket } from '../../mqtt/index.js';
import type { MessageProperties, StoredMessage } from '../../store/index.js';
import type { Connection } from '../connection.js';
import { countDrop } from '../counters.js';
import type { BrokerContext } from '../context.js';
import { runSyncHooks } from '../hooks.js';
import { localStart, serviceMayAddress } from '../tenancy.js';
import { topicLimits } from './limits.js';

export function handlePublish(connection: Connection, packet: PublishPacket): void {
  const ctx = connection.ctx;
  const qos = packet.qos;
  const packetId = packet.messageId ?? 0;
  // [MQTT-3.3.1-2] DUP must be 0 on a QoS 0 PUBLISH
  if (qos === 0 && packet.dup) throw new ProtocolError(ReasonCode.MalformedPacket, 'DUP flag set on a QoS 0 PUBLISH');
  connection.messagesIn++;
  ctx.counters.messagesIn[qos]++;
  connection.takePublishToken();

  let topic = packet.topic;
  const properties = packet.properties;
  if (connection.protocolVersion === 5 && properties !== undefined) {
    const alias = properties.topicAlias;
    if (alias !== undefined) {
      if (alias === 0 || alias > ctx.limits.topicAliasMaximum) {
        // [MQTT-3.3.2-8] [MQTT-3.3.2-9] an alias of 0 or above our maximum
        throw new ProtocolError(ReasonCode.TopicAliasInvalid, `Topic alias ${alias} is outside 1..${ctx.limits.topicAliasMaximum}`);
      }
      if (topic.length === 0) {
        const known = connection.inboundAliases.get(alias);
        // 3.3.2.3.4: an empty topic with an alias that was never set on this connection [MQTT-3.3.2-7]
        if (known === undefined) throw new ProtocolError(ReasonCode.ProtocolError, `Topic alias ${alias} has no topic yet`);
        topic = known;
      } else {
        // [MQTT-3.3.2-12] a topic with an alias (re)defines it for this connection
        connection.inboundAliases.set(alias, topic);
      }
    }
    if (properties.subscriptionIdentifier !== undefined) {
      // [MQTT-3.3.4-6] a client must not send a Subscription Identifier in PUBLISH
      throw new ProtocolError(ReasonCode.ProtocolError, 'PUBLISH from a client must not carry a Subscription Identifier');
    }
  }
  if (topic.length === 0) {
    // 3.3.2.3.4: an empty Topic Name without a Topic Alias is a Protocol Error [MQTT-4.7.3-1]
    throw new ProtocolError(ReasonCode.ProtocolError, 'PUBLISH has an empty topic name and no topic alias');
  }
  const reason = validateTopicName(topic, topicLimits(ctx.limits));
  if (reason !== undefined) {
    // [MQTT-3.3.2-2] [MQTT-4.7.0-1] no wildcards in a topic name
    throw new ProtocolError(ReasonCode.TopicNameInvalid, reason);
  }
  if (qos > 0) {
    if (connection.inboundInflight >= ctx.limits.receiveMaximum && !(qos === 2 && connection.session!.incomingQos2.has(packetId))) {
      // [MQTT-3.3.4-9] more unacknowledged QoS 1/2 PUBLISHes than our Receive Maximum
      throw new ProtocolError(ReasonCode.ReceiveMaximumExceeded, `More than ${ctx.limits.receiveMaximum} unacknowledged QoS 1/2 messages`);
    }
  }
  if (packet.retain && !ctx.features.retainAvailable) {
    // 3.2.2.3.5: with Retain Available 0, RETAIN set is answered with DISCONNECT 0x9A (the client broke [MQTT-3.2.2-14])
    throw new ProtocolError(ReasonCode.RetainNotSupported, 'Retained messages are not available on this server');
  }
  const scope = connection.scope;
  if (scope.grants !== undefined) {
    // A service principal addresses tenants by their full names, within its grants (tenancy.ts).
    if (!serviceMayAddress(scope, topic)) return refuse(connection, qos, packetId, ReasonCode.NotAuthorized, `Topic ${topic} is outside the tenants this principal may address`);
    // `$tenants/acme` or `$tenants/acme/` names no topic inside the tenant: its agents would get an empty name.
    const local = localStart(topic);
    if (local >= topic.length) return refuse(connection, qos, packetId, ReasonCode.TopicNameInvalid, `Topic ${topic} names a tenant but no topic inside it`);
    if (topic.charCodeAt(local) === 36 /* $ */ && !mayClientPublishAwsTopic(topic.slice(local))) return refuseReserved(connection, qos, packetId, topic);
  } else if (topic.charCodeAt(0) === 36 /* $ */) {
    // $SYS and the other server-owned $-topics (4.7.2) are not for clients to publish to.
    if (isServerTopic(topic)) return refuse(connection, qos, packetId, ReasonCode.NotAuthorized, `Clients may not publish to ${topic.split('/')[0]} topics`);
    if (!mayClientPublishAwsTopic(topic)) return refuseReserved(connection, qos, packetId, topic);
  }
  if (!connection.mayPublish(topic, packet.retain)) {
    ctx.authorizationDenied(connection, packet.retain ? 'iot:RetainPublish' : 'iot:Publish', topic);
    // AWS IoT: MQTT 5 hears 0x87 in its PUBACK; an MQTT 3.1.1 client is disconnected.
    if (connection.protocolVersion !== 5) throw new ProtocolError(ReasonCode.NotAuthorized, `Not authorized to publish to ${topic}`);
    return refuse(connection, qos, packetId, ReasonCode.NotAuthorized, `Not authorized to publish to ${topic}`);
  }
  if (properties?.payloadFormatIndicator === true && typeof packet.payload !== 'string' && !isUtf8(packet.payload)) {
    // 3.3.2.3.2: a payload that says it is UTF-8 must be; the receiver may answer 0x99
    return refuse(connection, qos, packetId, ReasonCode.PayloadFormatInvalid, 'Payload is not valid UTF-8 although its format indicator says so');
  }
  const decision = runSyncHooks(ctx.hooks.publish, { clientId: connection.clientId, topic, qos, retain: packet.retain, peer: connection.peer });
  if (decision.kind === 'deny') {
    return refuse(connection, qos, packetId, decision.reasonCode ?? ReasonCode.NotAuthorized, decision.reason ?? 'Not authorized');
  }

  const session = connection.session!;
  if (qos === 2 && session.incomingQos2.has(packetId)) {
    // [MQTT-4.3.3-10] a resent QoS 2 PUBLISH is acknowledged again but not delivered twice
    connection.send({ cmd: 'pubrec', messageId: packetId });
    return;
  }
  let payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  if ((qos > 0 || packet.retain) && payload.byteLength * 2 < payload.buffer.byteLength) {
    // The parser hands out a view into the socket's read chunk (up to 64 KiB). A message that may be
    // queued or retained would pin that whole chunk, so maxQueuedMessages would bound entries but
    // not bytes; it keeps a copy of its own instead.
    payload = Buffer.from(payload);
  }
  const message = toStoredMessage(ctx, scope.topicPrefix.length === 0 ? topic : scope.topicPrefix + topic, payload, qos, packet.retain, properties);
  const mark = ctx.persistMark();
  ctx.publish(message, session);
  if (qos === 0) return;
  const durable = ctx.persistMark() !== mark;
  connection.inboundInflight++;
  if (qos === 1) {
    connection.acknowledge({ cmd: 'puback', messageId: packetId }, durable);
    return;
  }
  session.incomingQos2.add(packetId);
  if (session.persistent) ctx.persist({ kind: 'incoming.put', clientId: session.clientId, packetId });
  connection.acknowledge({ cmd: 'pubrec', messageId: packetId }, durable || session.persistent);
}

function isServerTopic(topic: string): boolean {
  return topic.startsWith('$SYS') || topic.startsWith('$share/') || topic.startsWith('$tenants/');
}

/**
 * A reply, event or notification topic of the AWS services is the server's to publish: a client that
 * could would forge shadow deltas or presence events. AWS IoT ends such connections; MQTT 5 clients
 * here hear 0x87 in their PUBACK instead, and 3.1.1 clients are disconnected, as for a policy denial.
 */
function refuseReserved(connection: Connection, qos: 0 | 1 | 2, packetId: number, topic: string): void {
  const reason = `Clients may not publish to ${topic}: it is a reserved topic that only the server publishes`;
  if (connection.protocolVersion !== 5) throw new ProtocolError(ReasonCode.NotAuthorized, reason);
  refuse(connection, qos, packetId, ReasonCode.NotAuthorized, reason);
}

/** Drops a PUBLISH we do not accept: MQTT 5 hears the reason in PUBACK/PUBREC; QoS 0 and 3.1.1 only lose it. */
function refuse(connection: Connection, qos: 0 | 1 | 2, packetId: number, reasonCode: number, reason: string): void {
  countDrop(connection.ctx.counters, 'not-authorized');
  if (qos === 0) return;
  const cmd = qos === 1 ? 'puback' : 'pubrec';
  if (connection.protocolVersion === 5) {
    connection.send({ cmd, messageId: packetId, reasonCode, ...(connection.requestProblemInformation ? { properties: { reasonString: reason } } : {}) });
  } else {
    connection.send({ cmd, messageId: packetId });
  }
}

type IncomingProperties = NonNullable<PublishPacket['properties']> & { willDelayInterval?: number };

/** The message as the broker keeps it: only the properties that travel with it, expiry as a deadline. */
export function toStoredMessage(ctx: BrokerContext, topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean, properties: IncomingProperties | undefined): StoredMessage {
  // Without properties only the expiry cap can apply: a 3.1.1 message is capped like any other.
  if (properties === undefined && ctx.limits.maxMessageExpiry === 0) return { topic, payload, qos, retain };
  properties ??= {};
  let kept: MessageProperties | undefined;
  if (properties.payloadFormatIndicator !== undefined || properties.contentType !== undefined || properties.responseTopic !== undefined
    || properties.correlationData !== undefined || properties.userProperties !== undefined) {
    kept = {
      ...(properties.payloadFormatIndicator === undefined ? {} : { payloadFormatIndicator: properties.payloadFormatIndicator }),
      ...(properties.contentType === undefined ? {} : { contentType: properties.contentType }),
      ...(properties.responseTopic === undefined ? {} : { responseTopic: properties.responseTopic }),
      ...(properties.correlationData === undefined ? {} : { correlationData: properties.correlationData }),
      ...(properties.userProperties === undefined ? {} : { userProperties: properties.userProperties }),
    };
  }
  if (properties.responseTopic !== undefined && validateTopicName(properties.responseTopic) !== undefined) {
    // [MQTT-3.3.2-14] the Response Topic must be a topic name
    throw new ProtocolError(ReasonCode.ProtocolError, 'Response Topic must be a valid topic name without wildcards');
  }
  let interval = properties.messageExpiryInterval;
  if (ctx.limits.maxMessageExpiry > 0 && (interval === undefined || interval > ctx.limits.maxMessageExpiry)) interval = ctx.limits.maxMessageExpiry;
  return {
    topic,
    payload,
    qos,
    retain,
    ...(kept === undefined ? {} : { properties: kept }),
    ...(interval === undefined ? {} : { expiresAt: ctx.now() + interval * 1000 }),
  };
}
