/** AUTH: steps of an enhanced authentication exchange, and re-authentication (MQTT 5 section 4.12). */
import { ProtocolError, ReasonCode, type AuthPacket } from '../../mqtt/index.js';
import type { Connection } from '../connection.js';
import type { AuthStep } from '../hooks.js';

export function handleAuth(connection: Connection, packet: AuthPacket): Promise<void> | undefined {
  if (connection.protocolVersion !== 5) throw new ProtocolError(ReasonCode.ProtocolError, 'AUTH exists only in MQTT 5');
  const method = packet.properties?.authenticationMethod;
  const data = packet.properties?.authenticationData;
  if (method === undefined || method !== connection.authMethod) {
    // [MQTT-4.12.0-5] [MQTT-4.12.1-1] AUTH must name the method of the exchange begun at CONNECT
    throw new ProtocolError(ReasonCode.ProtocolError, 'AUTH without the Authentication Method used at CONNECT');
  }
  if (connection.state === 'authenticating') {
    if (packet.reasonCode !== ReasonCode.ContinueAuthentication) throw new ProtocolError(ReasonCode.ProtocolError, 'Expected AUTH with reason Continue authentication');
    if (!connection.receiveAuth(data)) throw new ProtocolError(ReasonCode.ProtocolError, 'AUTH arrived when none was expected');
    return undefined;
  }
  if (connection.receiveAuth(data)) return undefined;
  if (packet.reasonCode !== ReasonCode.ReAuthenticate) throw new ProtocolError(ReasonCode.ProtocolError, 'Expected AUTH with reason Re-authenticate');
  return reauthenticate(connection, method, data);
}

async function reauthenticate(connection: Connection, method: string, data: Buffer | undefined): Promise<void> {
  const handler = connection.ctx.hooks.enhancedAuth?.[method];
  if (handler === undefined) throw new ProtocolError(ReasonCode.BadAuthenticationMethod, `Authentication method "${method}" is not supported`);
  const state = new Map<string, unknown>();
  const event = { clientId: connection.clientId, method, peer: connection.peer, state, reauthenticate: true };
  let step: AuthStep = await handler.start({ ...event, ...(data === undefined ? {} : { data }) });
  while (step.kind === 'continue') {
    if (connection.closed) return;
    connection.send({ cmd: 'auth', reasonCode: ReasonCode.ContinueAuthentication, properties: { authenticationMethod: method, ...(step.data === undefined ? {} : { authenticationData: step.data }) } });
    const reply = await connection.nextAuthPacket();
    step = await handler.continue({ ...event, ...(reply === undefined ? {} : { data: reply }) });
  }
  // [MQTT-4.12.1-2] a failed re-authentication disconnects
  if (step.kind === 'fail') throw new ProtocolError(ReasonCode.NotAuthorized, step.reason ?? 'Re-authentication failed');
  connection.send({ cmd: 'auth', reasonCode: ReasonCode.Success, properties: { authenticationMethod: method, ...(step.data === undefined ? {} : { authenticationData: step.data }) } });
}
