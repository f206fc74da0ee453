/** Plain MQTT over TCP: each accepted socket goes to the connection callback as it is (after a PROXY protocol header, when configured). */
import { createServer, type Socket } from 'node:net';
import type { ListenerHandle, ListenOptions } from './listener-handle.js';
import { listenHandle, SocketTracker } from './listen-server.js';
import { ProxyProtocolGate } from './proxy-protocol-gate.js';
import type { ProxyEndpoint } from './proxy-protocol.js';

/**
 * Listens for MQTT over TCP.
 *
 * @example
 * const handle = await listenTcp({ name: 'mqtt', host: '127.0.0.1', port: 1883, onConnection: (s, peer) => broker.accept(s, peer) });
 */
export async function listenTcp(options: ListenOptions): Promise<ListenerHandle> {
  const tracker = new SocketTracker();
  const gate = options.proxyProtocol === undefined ? undefined : new ProxyProtocolGate(options.proxyProtocol, { onRefused: (error) => options.onError?.(error, 'proxy protocol') });
  const hand = (socket: Socket, peer: ProxyEndpoint): void => {
    options.onConnection(socket, { transport: 'tcp', listener: options.name, remoteAddress: peer.address, remotePort: peer.port, localPort: socket.localPort ?? 0 });
  };
  // Small MQTT packets (PUBACK, PINGRESP) must not wait for Nagle.
  const server = createServer({ noDelay: true });
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    tracker.add(socket);
    socket.on('error', (error) => options.onError?.(error, 'tcp socket'));
    const remoteAddress = socket.remoteAddress;
    if (remoteAddress === undefined) {
      // Already gone between accept and now.
      socket.destroy();
      return;
    }
    if (gate !== undefined) gate.admit(socket, hand);
    else hand(socket, { address: remoteAddress, port: socket.remotePort ?? 0 });
  });
  return listenHandle(server, tracker, options);
}
