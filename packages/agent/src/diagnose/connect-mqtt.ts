/** Opens an MQTT session to the endpoint the way the agent does, and says how the server answered. */
import { MqttClient, type IConnackPacket } from 'mqtt';
import { openTransport } from '../open-transport.ts';
import type { DiagnosisContext, MqttOutcome } from './diagnosis-context.ts';

/**
 * The SDK's own transport (TCP or tunnel, TLS with ALPN, WebSocket upgrade for wss) and MQTT.js on
 * it, with a clean session so the diagnosis leaves nothing queued for the agent. Never rejects.
 */
export async function connectMqtt(context: DiagnosisContext): Promise<MqttOutcome> {
  const signal = AbortSignal.timeout(context.timeoutMs);
  let stream: Awaited<ReturnType<typeof openTransport>>['stream'];
  try {
    ({ stream } = await openTransport(context.url, { tls: context.tls, proxy: context.proxy, signal }));
  } catch (error) {
    return { kind: 'failed', error: error as Error };
  }
  let taken = false;
  const client = new MqttClient(() => {
    if (taken) throw new Error('The diagnosis opens one connection only');
    taken = true;
    return stream;
  }, {
    manualConnect: true,
    reconnectPeriod: 0,
    clean: true,
    keepalive: 60,
    connectTimeout: context.timeoutMs,
    protocolVersion: context.protocolVersion,
    ...(context.clientId === undefined ? {} : { clientId: context.clientId }),
  });
  context.cleanups.push(() => client.end(true));
  let reason: string | undefined;
  let lastError: Error | undefined;
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'connack') reason = packet.properties?.reasonString;
  });
  return new Promise<MqttOutcome>((resolve) => {
    client.once('connect', (connack: IConnackPacket) => resolve({ kind: 'accepted', client, connack }));
    client.on('error', (error) => {
      lastError = error;
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number') resolve({ kind: 'refused', code, reason });
    });
    client.once('close', () => resolve({ kind: 'failed', error: lastError ?? new Error('The server closed the connection before its CONNACK') }));
    client.connect();
  });
}
