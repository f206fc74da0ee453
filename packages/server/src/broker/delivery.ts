/**
 * Getting messages to a session: straight to its connection while the inflight window and socket
 * allow, into its bounded queue otherwise, and out of the queue as acknowledgements free the window.
 * Durable changes are queued for the group commit only for persistent sessions.
 */
import type { StoredMessage } from '../store/index.js';
import type { BrokerContext } from './context.js';
import { countDrop } from './counters.js';
import type { OutgoingEntry, Session } from './session.js';

/**
 * Hands `message` to `session`, already in its delivered form: QoS, retain flag, and subscription
 * identifiers in its properties.
 */
export function deliver(ctx: BrokerContext, session: Session, message: StoredMessage): void {
  const connection = session.connection;
  // iot:Receive, checked per delivery as AWS does: a policy change stops a subscription's deliveries.
  if (connection !== undefined && connection.policy !== undefined && !connection.mayReceive(message.topic)) {
    refuseReceive(ctx, connection, message);
    return;
  }
  if (message.qos === 0) {
    if (connection === undefined) {
      // QoS 0 is not queued for offline sessions (docs/mqtt-support.md).
      countDrop(ctx.counters, 'offline-qos0');
      return;
    }
    if (connection.congested) {
      countDrop(ctx.counters, 'slow-consumer');
      return;
    }
    connection.sendPublish(message, 0, false);
    return;
  }
  const entry: OutgoingEntry = { seq: session.takeSeq(), state: 'queued', packetId: 0, message };
  if (connection !== undefined && session.queue.length === 0 && !connection.congested
    && session.inflight.size < connection.sendWindow) {
    entry.state = 'sent';
    entry.packetId = session.allocatePacketId();
    session.inflight.set(entry.packetId, entry);
    ctx.counters.inflightMessages++;
    if (session.persistent) ctx.persist({ kind: 'outgoing.add', clientId: session.clientId, entry: { seq: entry.seq, state: 'sent', packetId: entry.packetId, message } });
    connection.sendPublish(message, entry.packetId, false);
    return;
  }
  enqueue(ctx, session, entry);
}

function refuseReceive(ctx: BrokerContext, connection: NonNullable<Session['connection']>, message: StoredMessage): void {
  countDrop(ctx.counters, 'not-authorized');
  ctx.authorizationDenied(connection, 'iot:Receive', message.topic.slice(connection.scope.topicPrefix.length));
}

function enqueue(ctx: BrokerContext, session: Session, entry: OutgoingEntry): void {
  if (session.queue.length >= ctx.limits.maxQueuedMessages) {
    countDrop(ctx.counters, 'queue-full');
    if (ctx.limits.queueOverflow === 'drop-newest') return;
    const oldest = session.queue.shift()!;
    ctx.counters.queuedMessages--;
    if (session.persistent) ctx.persist({ kind: 'outgoing.remove', clientId: session.clientId, seq: oldest.seq });
  }
  session.queue.push(entry);
  ctx.counters.queuedMessages++;
  if (session.persistent) ctx.persist({ kind: 'outgoing.add', clientId: session.clientId, entry: { seq: entry.seq, state: 'queued', message: entry.message } });
}

/**
 * Sends retained messages owed to new subscriptions while the socket has room and (for QoS 1/2) the
 * window is free, so a subscription to `#` over 100,000 retained topics neither drops messages nor
 * buffers them all at once. Picks up again on 'drain' and on acknowledgements.
 */
export function pumpRetained(ctx: BrokerContext, session: Session): void {
  const connection = session.connection;
  const backlog = session.retainedBacklog;
  if (connection === undefined) {
    backlog.length = 0;
    return;
  }
  const now = ctx.now();
  while (backlog.length > 0) {
    const batch = backlog[0]!;
    while (batch.index < batch.messages.length) {
      if (connection.congested || connection.writeBufferFull) return;
      const message = batch.messages[batch.index]!;
      const qos = message.qos < batch.qos ? message.qos : batch.qos;
      if (qos > 0 && (session.queue.length > 0 || session.inflight.size >= connection.sendWindow)) return;
      batch.index++;
      // A retained message replaced or cleared since the subscription is no longer owed.
      if (ctx.retained.get(message.topic, now) !== message) continue;
      // Retained messages sent for a new subscription keep RETAIN set (5.0 3.3.1.3; 3.1.1: [MQTT-3.3.1-8])
      deliver(ctx, session, deliveredForm(message, qos, true, batch.subscriptionIds));
    }
    backlog.shift();
  }
}

/** The message as one subscriber gets it: its QoS, retain flag and subscription identifiers. */
export function deliveredForm(message: StoredMessage, qos: 0 | 1 | 2, retain: boolean, subscriptionIds: readonly number[] | undefined): StoredMessage {
  const properties = subscriptionIds === undefined ? message.properties : { ...message.properties, subscriptionIdentifiers: subscriptionIds };
  const form: StoredMessage = { topic: message.topic, payload: message.payload, qos, retain };
  const extra: { properties?: StoredMessage['properties']; expiresAt?: number } = {};
  if (properties !== undefined) extra.properties = properties;
  if (message.expiresAt !== undefined) extra.expiresAt = message.expiresAt;
  return Object.assign(form, extra);
}

/** Sends queued entries while the window and the socket allow; drops the expired ones. */
export function drain(ctx: BrokerContext, session: Session): void {
  const connection = session.connection;
  if (connection === undefined) return;
  drainQueue(ctx, session, connection);
  if (session.retainedBacklog.length > 0) pumpRetained(ctx, session);
}

function drainQueue(ctx: BrokerContext, session: Session, connection: NonNullable<Session['connection']>): void {
  const now = ctx.now();
  while (session.queue.length > 0 && !connection.congested && session.inflight.size < connection.sendWindow) {
    const entry = session.queue.shift()!;
    ctx.counters.queuedMessages--;
    const message = entry.message;
    if (message.expiresAt !== undefined && message.expiresAt <= now) {
      countDrop(ctx.counters, 'expired');
      if (session.persistent) ctx.persist({ kind: 'outgoing.remove', clientId: session.clientId, seq: entry.seq });
      continue;
    }
    if (connection.policy !== undefined && !connection.mayReceive(message.topic)) {
      // Queued while offline, and the policy that now applies does not let it through.
      refuseReceive(ctx, connection, message);
      if (session.persistent) ctx.persist({ kind: 'outgoing.remove', clientId: session.clientId, seq: entry.seq });
      continue;
    }
    entry.state = 'sent';
    entry.packetId = session.allocatePacketId();
    session.inflight.set(entry.packetId, entry);
    ctx.counters.inflightMessages++;
    if (session.persistent) ctx.persist({ kind: 'outgoing.update', clientId: session.clientId, seq: entry.seq, state: 'sent', packetId: entry.packetId });
    connection.sendPublish(message, entry.packetId, false);
  }
}

/**
 * On a resumed session, sends again every unacknowledged PUBLISH with DUP set and every PUBREL,
 * in their original order [MQTT-4.4.0-1] [MQTT-3.3.1-1], then drains the queue.
 */
export function resend(ctx: BrokerContext, session: Session): void {
  const connection = session.connection;
  if (connection === undefined) return;
  const now = ctx.now();
  for (const entry of session.inflight.values()) {
    if (entry.state === 'released') {
      connection.sendPubrel(entry.packetId);
      continue;
    }
    const message = entry.message;
    if (message.expiresAt !== undefined && message.expiresAt <= now && message.qos === 1) {
      // Expired and never acknowledged: a QoS 1 message may simply be dropped.
      forgetInflight(ctx, session, entry);
      countDrop(ctx.counters, 'expired');
      continue;
    }
    connection.sendPublish(message, entry.packetId, true);
  }
  drain(ctx, session);
}

/** An inflight entry is done with (acknowledged, expired, or too large to send): forget it everywhere. */
export function forgetInflight(ctx: BrokerContext, session: Session, entry: OutgoingEntry): void {
  session.inflight.delete(entry.packetId);
  ctx.counters.inflightMessages--;
  if (session.persistent) ctx.persist({ kind: 'outgoing.remove', clientId: session.clientId, seq: entry.seq });
}

/** PUBACK, or PUBREC with an error code, or PUBCOMP: the entry is done. Returns false for an unknown id. */
export function completeOutgoing(ctx: BrokerContext, session: Session, packetId: number, expected: 'sent' | 'released'): boolean {
  const entry = session.inflight.get(packetId);
  if (entry === undefined || entry.state !== expected) return false;
  forgetInflight(ctx, session, entry);
  drain(ctx, session);
  return true;
}

/** PUBREC (success): the entry moves to released and a PUBREL goes out. */
export function releaseOutgoing(ctx: BrokerContext, session: Session, packetId: number): boolean {
  const entry = session.inflight.get(packetId);
  if (entry === undefined) return false;
  if (entry.state === 'sent') {
    entry.state = 'released';
    if (session.persistent) ctx.persist({ kind: 'outgoing.update', clientId: session.clientId, seq: entry.seq, state: 'released', packetId });
  }
  session.connection?.sendPubrel(packetId);
  return true;
}
