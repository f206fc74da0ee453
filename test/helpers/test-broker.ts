/**
 * Starts a broker for the conformance and MQTT black-box tests. Without hooks or timing overrides it
 * is the real Gatehouse (`startGatehouse`); with them, a bare Broker on a TCP listener, because
 * `startGatehouse` has no Server Keep Alive or CONNECT timeout setting (the hook tests were written
 * against the bare Broker and still run there).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Broker, type BrokerFeatures, type BrokerHooks, type BrokerLimits } from '../../packages/server/src/broker/index.ts';
import { silentLogger } from '../../packages/server/src/core/index.ts';
import { MemoryStore } from '../../packages/server/src/store/index.ts';
import { startGatehouse } from './start-gatehouse.js';

export interface TestBrokerOptions {
  readonly limits?: Partial<BrokerLimits>;
  readonly features?: Partial<BrokerFeatures>;
  readonly hooks?: BrokerHooks;
  readonly serverKeepAlive?: number;
  readonly connectTimeoutMs?: number;
}

export interface TestBroker {
  readonly urls: { readonly mqtt: string };
  stop(): Promise<void>;
}

/**
 * @example
 * const gh = await startTestBroker({ limits: { maxPacketSize: 1024 } });
 * const client = await RawMqtt.connect(gh.urls.mqtt);
 * await gh.stop();
 */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  if (options.hooks === undefined && options.serverKeepAlive === undefined && options.connectTimeoutMs === undefined) {
    return startGatehouse({ ...(options.limits === undefined ? {} : { limits: options.limits }), ...(options.features === undefined ? {} : { features: options.features }) });
  }
  const store = new MemoryStore();
  await store.open();
  const broker = new Broker({ store, logger: silentLogger(), ...options });
  await broker.start();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.accept(socket, { transport: 'tcp', remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0, localPort: 0, listener: 'test' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    urls: { mqtt: `mqtt://127.0.0.1:${port}` },
    async stop() {
      await broker.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}
