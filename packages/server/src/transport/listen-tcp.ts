/** Plain MQTT over TCP: each accepted socket goes to the connection callback as it is. */
import { createServer } from 'node:net';
import type { ListenerHandle, ListenOptions } from './listener-handle.js';
import { listenHandle, SocketTracker } from './listen-server.js';

/**
 * Listens for MQTT over TCP.
 *
 * @example
 * const handle = await listenTcp({ name: 'mqtt', host: '127.0.0.1', port: 1883, onConnection: (s, peer) => broker.accept(s, peer) });
 */
export async function listenTcp(options: ListenOptions): Promise<ListenerHandle> {
  const tracker = new SocketTracker();
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
    options.onConnection(socket, {
      transport: 'tcp',
      listener: options.name,
      remoteAddress,
      remotePort: socket.remotePort ?? 0,
      localPort: socket.localPort ?? 0,
    });
  });
  return listenHandle(server, tracker, options);
}
