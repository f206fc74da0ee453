/** PUBACK, PUBREC, PUBREL and PUBCOMP: the QoS 1 and QoS 2 flows in both directions (4.3). */
import { ReasonCode, type PubackPacket, type PubcompPacket, type PubrecPacket, type PubrelPacket } from '../../mqtt/index.js';
import type { Connection } from '../connection.js';
import { completeOutgoing, releaseOutgoing } from '../delivery.js';

export function handlePuback(connection: Connection, packet: PubackPacket): void {
  // An unknown packet id is ignored, as a late duplicate may be (4.3.2).
  completeOutgoing(connection.ctx, connection.session!, packet.messageId ?? 0, 'sent');
}

export function handlePubrec(connection: Connection, packet: PubrecPacket): void {
  const packetId = packet.messageId ?? 0;
  const session = connection.session!;
  if ((packet.reasonCode ?? 0) >= 0x80) {
    // [MQTT-4.3.3-4] [MQTT-4.4.0-2] a PUBREC with an error ends the exchange: no PUBREL, no resend
    completeOutgoing(connection.ctx, session, packetId, 'sent');
    return;
  }
  if (!releaseOutgoing(connection.ctx, session, packetId)) {
    // Still answer (3.6.2.1: 0x92 Packet Identifier not found), so the client can finish its side.
    connection.send(connection.protocolVersion === 5
      ? { cmd: 'pubrel', messageId: packetId, reasonCode: ReasonCode.PacketIdentifierNotFound }
      : { cmd: 'pubrel', messageId: packetId });
  }
}

export function handlePubrel(connection: Connection, packet: PubrelPacket): void {
  const ctx = connection.ctx;
  const session = connection.session!;
  const packetId = packet.messageId ?? 0;
  const known = session.incomingQos2.delete(packetId);
  if (known) {
    connection.inboundInflight = Math.max(0, connection.inboundInflight - 1);
    if (session.persistent) ctx.persist({ kind: 'incoming.remove', clientId: session.clientId, packetId });
  }
  // [MQTT-4.3.3-11] PUBCOMP with the same packet id; 0x92 when we did not know it (v5)
  connection.acknowledge(known || connection.protocolVersion !== 5
    ? { cmd: 'pubcomp', messageId: packetId }
    : { cmd: 'pubcomp', messageId: packetId, reasonCode: ReasonCode.PacketIdentifierNotFound }, false);
}

export function handlePubcomp(connection: Connection, packet: PubcompPacket): void {
  completeOutgoing(connection.ctx, connection.session!, packet.messageId ?? 0, 'released');
}
