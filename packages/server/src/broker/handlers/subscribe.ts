/** SUBSCRIBE: one reason code per filter, then the retained messages each new subscription asks for. */
import { parseSharedFilter, validateSharedFilter, validateTopicFilter, hasWildcard } from '@gatehouse/protocol';
import { ProtocolError, ReasonCode, type SubscribePacket } from '../../mqtt/index.js';
import type { SubscriptionOptions } from '../../store/index.js';
import type { Connection } from '../connection.js';
import { runSyncHooks } from '../hooks.js';
import { newSessionSubscription, type SessionSubscription } from '../session.js';
import { scopedFilter, serviceMayAddress } from '../tenancy.js';
import { topicLimits } from './limits.js';
import { emitSubscriptionEvent } from './subscription-event.js';

export function handleSubscribe(connection: Connection, packet: SubscribePacket): void {
  const ctx = connection.ctx;
  const session = connection.session!;
  const v5 = connection.protocolVersion === 5;
  if (packet.subscriptions.length === 0) {
    // [MQTT-3.8.3-2] a SUBSCRIBE must contain at least one filter (3.1.1: [MQTT-3.8.3-3])
    throw new ProtocolError(ReasonCode.ProtocolError, 'SUBSCRIBE carries no topic filter');
  }
  const subscriptionId = packet.properties?.subscriptionIdentifier;
  if (subscriptionId !== undefined) {
    if (!ctx.features.subscriptionIdentifiersAvailable) {
      // 3.2.2.3.12: identifiers not available, so sending one is answered with 0xA1
      throw new ProtocolError(ReasonCode.SubscriptionIdentifiersNotSupported, 'Subscription identifiers are not available on this server');
    }
    if (Array.isArray(subscriptionId) || subscriptionId === 0) {
      // 3.8.2.1.2: one identifier, from 1 to 268,435,455
      throw new ProtocolError(ReasonCode.ProtocolError, 'Subscription Identifier must be a single value from 1 to 268435455');
    }
  }
  const mark = ctx.persistMark();
  // The filters that took effect, as the client wrote them, for the `subscribed` lifecycle event.
  const topics: string[] | undefined = ctx.lifecycle.active ? [] : undefined;
  const granted: number[] = [];
  const added: SessionSubscription[] = [];
  const isNew: boolean[] = [];
  for (const request of packet.subscriptions) {
    const filter = request.topic;
    const qos = request.qos;
    const shared = parseSharedFilter(filter);
    let reason = shared === undefined ? validateTopicFilter(filter, topicLimits(ctx.limits)) : validateSharedFilter(filter, topicLimits(ctx.limits));
    let code: number = qos;
    if (reason !== undefined) {
      code = ReasonCode.TopicFilterInvalid;
    } else if (shared !== undefined && !ctx.features.sharedSubscriptionAvailable) {
      code = ReasonCode.SharedSubscriptionsNotSupported;
      reason = 'Shared subscriptions are not available';
    } else if (!ctx.features.wildcardSubscriptionAvailable && hasWildcard(shared?.filter ?? filter)) {
      code = ReasonCode.WildcardSubscriptionsNotSupported;
      reason = 'Wildcard subscriptions are not available';
    } else if (shared !== undefined && request.nl === true) {
      // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error
      throw new ProtocolError(ReasonCode.ProtocolError, 'No Local must not be set on a shared subscription');
    } else if (!session.subscriptions.has(scopedFilter(connection.scope, filter, shared)) && session.subscriptions.size >= ctx.limits.maxSubscriptionsPerClient) {
      code = ReasonCode.QuotaExceeded;
      reason = `Subscription limit of ${ctx.limits.maxSubscriptionsPerClient} reached`;
    } else if (!serviceMayAddress(connection.scope, shared?.filter ?? filter)) {
      code = ReasonCode.NotAuthorized;
      reason = `Filter ${filter} is outside the tenants this principal may address`;
    } else if (connection.policy !== undefined && !connection.policy.maySubscribe(shared?.filter ?? filter)) {
      code = ReasonCode.NotAuthorized;
      reason = `Not authorized to subscribe to ${filter}`;
      ctx.authorizationDenied(connection, 'iot:Subscribe', shared?.filter ?? filter);
    } else {
      const decision = runSyncHooks(ctx.hooks.subscribe, { clientId: connection.clientId, filter, qos, peer: connection.peer });
      if (decision.kind === 'deny') {
        code = decision.reasonCode ?? ReasonCode.NotAuthorized;
        reason = decision.reason ?? 'Not authorized';
      }
    }
    if (code >= 0x80) {
      // 3.1.1 knows only 0x80 Failure [MQTT-3.9.3-2]
      granted.push(v5 ? code : 0x80);
      ctx.logger.debug({ clientId: connection.clientId, filter, reason }, 'subscription refused');
      continue;
    }
    // From here on the filter is the broker's name for it: inside the connection's tenant.
    const key = scopedFilter(connection.scope, filter, shared);
    const options: SubscriptionOptions = {
      qos,
      noLocal: v5 && request.nl === true,
      retainAsPublished: v5 && request.rap === true,
      retainHandling: v5 ? ((request.rh ?? 0) as 0 | 1 | 2) : 0,
      ...(subscriptionId === undefined ? {} : { subscriptionIdentifier: subscriptionId as number }),
    };
    const existing = session.subscriptions.get(key);
    if (existing !== undefined) {
      // [MQTT-3.8.4-3] an identical filter replaces the subscription
      existing.options = options;
      if (session.persistent) ctx.persist({ kind: 'subscription.put', clientId: session.clientId, subscription: { filter: key, options } });
      added.push(existing);
      isNew.push(false);
    } else {
      const subscription = newSessionSubscription(session, key, options);
      ctx.addSubscription(subscription);
      added.push(subscription);
      isNew.push(true);
    }
    granted.push(qos);
    topics?.push(filter);
  }
  // [MQTT-3.8.4-1] [MQTT-3.8.4-2] SUBACK with the same packet id, one code per filter in order [MQTT-3.8.4-6] [MQTT-3.9.3-1].
  // A persistent session's subscription is durable before the client hears it exists: a SUBACK lost
  // to a crash is a subscription the client would never know to make again.
  const durable = ctx.persistMark() !== mark;
  connection.acknowledge({ cmd: 'suback', messageId: packet.messageId ?? 0, granted }, durable);
  if (topics !== undefined && topics.length > 0) emitSubscriptionEvent(connection, 'subscribed', topics);
  const owed = added.filter((subscription, i) => {
    const handling = subscription.options.retainHandling;
    // [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] retained messages after SUBACK; Retain Handling 1 only for new ones, 2 never
    return subscription.group === undefined && handling !== 2 && !(handling === 1 && !isNew[i]);
  });
  if (owed.length === 0) return;
  // Right after the SUBACK, however long it waits for its commit.
  connection.afterAcknowledgements(() => {
    if (connection.session !== session) return;
    for (const subscription of owed) {
      if (session.subscriptions.get(subscription.filter) === subscription) ctx.sendRetained(subscription);
    }
  });
}
