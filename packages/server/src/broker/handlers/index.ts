/**
 * The dispatch table: one handler per packet type. It enforces "CONNECT first, and once" and turns
 * every failure into the right CONNACK or DISCONNECT, so a handler only throws.
 */
import { ProtocolError, ReasonCode, type Packet } from '../../mqtt/index.js';
import type { Connection } from '../connection.js';
import { handleAuth } from './auth.js';
import { handleConnect } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handlePuback, handlePubcomp, handlePubrec, handlePubrel } from './acknowledgements.js';
import { handlePublish } from './publish.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

export function dispatch(connection: Connection, packet: Packet): void {
  try {
    if (connection.state === 'connecting') {
      // [MQTT-3.1.0-1] the first packet from the client must be CONNECT
      if (packet.cmd !== 'connect') throw new ProtocolError(ReasonCode.ProtocolError, `Expected CONNECT as the first packet, got ${packet.cmd.toUpperCase()}`);
      const pending = handleConnect(connection, packet);
      if (pending !== undefined) pending.catch((error: unknown) => onFailure(connection, error));
      return;
    }
    switch (packet.cmd) {
      case 'connect':
        // [MQTT-3.1.0-2] a second CONNECT is a protocol error
        throw new ProtocolError(ReasonCode.ProtocolError, 'CONNECT was sent twice on one connection');
      case 'publish':
        return handlePublish(connection, packet);
      case 'puback':
        return handlePuback(connection, packet);
      case 'pubrec':
        return handlePubrec(connection, packet);
      case 'pubrel':
        return handlePubrel(connection, packet);
      case 'pubcomp':
        return handlePubcomp(connection, packet);
      case 'subscribe':
        return handleSubscribe(connection, packet);
      case 'unsubscribe':
        return handleUnsubscribe(connection, packet);
      case 'pingreq':
        return connection.send({ cmd: 'pingresp' });
      case 'disconnect':
        return handleDisconnect(connection, packet);
      case 'auth': {
        const pending = handleAuth(connection, packet);
        if (pending !== undefined) pending.catch((error: unknown) => onFailure(connection, error));
        return;
      }
      case 'connack':
      case 'suback':
      case 'unsuback':
      case 'pingresp':
        // [MQTT-4.8.0-1] packets only a server may send are protocol errors from a client
        throw new ProtocolError(ReasonCode.ProtocolError, `A client must not send ${packet.cmd.toUpperCase()}`);
      default: {
        const unknown: never = packet;
        throw new ProtocolError(ReasonCode.ProtocolError, `Unknown packet ${(unknown as Packet).cmd}`);
      }
    }
  } catch (error) {
    onFailure(connection, error);
  }
}

function onFailure(connection: Connection, error: unknown): void {
  if (error instanceof ProtocolError) {
    connection.fail(error);
    return;
  }
  connection.ctx.logger.error({ err: error, clientId: connection.clientId }, 'unexpected error while handling a packet');
  connection.fail(new ProtocolError(ReasonCode.ImplementationSpecificError, 'Internal error'));
}
