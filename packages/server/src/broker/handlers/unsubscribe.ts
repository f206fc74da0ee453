/** UNSUBSCRIBE: remove each filter and answer with one reason code per filter. */
import { ProtocolError, ReasonCode, type UnsubscribePacket } from '../../mqtt/index.js';
import { parseSharedFilter } from '@gatehouse/protocol';
import type { Connection } from '../connection.js';
import { scopedFilter } from '../tenancy.js';
import { emitSubscriptionEvent } from './subscription-event.js';

export function handleUnsubscribe(connection: Connection, packet: UnsubscribePacket): void {
  const ctx = connection.ctx;
  const session = connection.session!;
  if (packet.unsubscriptions.length === 0) {
    // [MQTT-3.10.3-2] at least one filter
    throw new ProtocolError(ReasonCode.ProtocolError, 'UNSUBSCRIBE carries no topic filter');
  }
  const codes: number[] = [];
  const topics: string[] | undefined = ctx.lifecycle.active ? [] : undefined;
  for (const filter of packet.unsubscriptions) {
    const subscription = session.subscriptions.get(scopedFilter(connection.scope, filter, parseSharedFilter(filter)));
    if (subscription === undefined) {
      codes.push(ReasonCode.NoSubscriptionExisted);
      continue;
    }
    ctx.removeSubscription(subscription);
    codes.push(ReasonCode.Success);
    topics?.push(filter);
  }
  // [MQTT-3.10.4-4] UNSUBACK even when nothing was removed; [MQTT-3.11.3-1] one code per filter (v5)
  // 3.1.1 UNSUBACK has no reason codes; the codec writes them only for MQTT 5.
  connection.send({ cmd: 'unsuback', messageId: packet.messageId ?? 0, granted: codes });
  if (topics !== undefined && topics.length > 0) emitSubscriptionEvent(connection, 'unsubscribed', topics);
}
