/** Binding a Node server to a port, turning EADDRINUSE into PORT_IN_USE, and tracking open sockets for close. */
import type { AddressInfo, Server, Socket } from 'node:net';
import { GatehouseError } from '../core/index.js';
import type { ListenAddress, ListenerHandle, ListenOptions } from './listener-handle.js';

/**
 * Listens `server` on `host:port`. The server may be retried on another port after a rejection,
 * which is how the composition root falls back from a taken default port.
 */
export function listenServer(server: Server, options: Pick<ListenOptions, 'name' | 'host' | 'port' | 'portSetting'>): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(
          new GatehouseError(
            'PORT_IN_USE',
            { host: options.host, port: options.port, listener: options.name, setting: options.portSetting ?? `listeners.${options.name}.port` },
            { cause: error },
          ),
        );
      } else {
        reject(error);
      }
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      resolve({ host: address.address, port: address.port });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: options.host, port: options.port, exclusive: true });
  });
}

/** Stops accepting; resolves once the listening socket is released, without waiting for open connections. */
export function stopListening(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    // server.close's callback waits for every connection to end; the broker ends them later,
    // so resolve as soon as the listening handle is gone (close() releases it synchronously).
    server.close();
    setImmediate(resolve);
  });
}

/** Remembers open sockets so that a shutdown can destroy stragglers. */
export class SocketTracker {
  readonly #sockets = new Set<Socket>();

  add(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  get size(): number {
    return this.#sockets.size;
  }

  /** Gives open sockets up to `graceMs` to close (so queued bytes are flushed), then destroys the rest. */
  async destroyAll(graceMs = 0): Promise<void> {
    if (graceMs > 0 && this.#sockets.size > 0) {
      const closes = [...this.#sockets].map((socket) => new Promise((resolve) => socket.once('close', resolve)));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(closes), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }
}

/**
 * Listens a transport's server and wraps it as a ListenerHandle. `afterStop` runs once the
 * listening socket is released (an HTTP server closes its idle keep-alive connections there).
 */
export async function listenHandle(
  server: Server,
  tracker: SocketTracker,
  options: ListenOptions,
  afterStop?: () => void,
): Promise<ListenerHandle> {
  server.on('error', (error) => options.onError?.(error, `${options.name} server`));
  const address = await listenServer(server, options);
  return {
    name: options.name,
    address,
    close: async () => {
      await stopListening(server);
      afterStop?.();
    },
    destroyConnections: (graceMs) => tracker.destroyAll(graceMs),
  };
}
