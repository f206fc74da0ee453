/** DISCONNECT from a client: session expiry may change; reason 0x00 discards the will. */
import { ProtocolError, ReasonCode, type DisconnectPacket } from '../../mqtt/index.js';
import type { Connection } from '../connection.js';

export function handleDisconnect(connection: Connection, packet: DisconnectPacket): void {
  const ctx = connection.ctx;
  const session = connection.session!;
  const expiry = packet.properties?.sessionExpiryInterval;
  if (expiry !== undefined) {
    if (session.expiryInterval === 0 && expiry !== 0) {
      // [MQTT-3.14.2-2] an expiry of 0 at CONNECT cannot become non-zero at DISCONNECT
      throw new ProtocolError(ReasonCode.ProtocolError, 'Session Expiry Interval was 0 at CONNECT and cannot be changed at DISCONNECT');
    }
    ctx.updateSessionExpiry(session, Math.min(expiry, ctx.limits.maxSessionExpiry));
  }
  const reasonCode = packet.reasonCode ?? 0;
  // [MQTT-3.14.4-3] DISCONNECT 0x00 discards the will; 0x04 and other codes publish it
  connection.close('client-disconnect', reasonCode !== ReasonCode.Success);
}
