/**
 * Aedes as a benchmark peer: default options and in-memory persistence, on `net` and `tls`
 * servers. Prints one JSON line `{ "port", "tlsPort" }` once listening.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { parseArgs } from 'node:util';
import type { createBroker } from 'aedes';
import aedesModule from 'aedes';

const { values } = parseArgs({
  options: {
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});

// aedes is CommonJS: its export is the factory, which the typings call both `default` and `createBroker`.
const broker = (aedesModule as unknown as typeof createBroker)();
// TCP_NODELAY like the other two brokers (docs/performance.md); Node's default leaves Nagle on.
const servers: Server[] = [createServer({ noDelay: true }, broker.handle)];
if (values['tls-cert'] !== undefined && values['tls-key'] !== undefined) {
  const [cert, key] = await Promise.all([readFile(values['tls-cert']), readFile(values['tls-key'])]);
  const tlsServer = createTlsServer({ cert, key }, broker.handle);
  tlsServer.on('secureConnection', (socket) => socket.setNoDelay(true));
  servers.push(tlsServer);
}
const ports: number[] = [];
for (const server of servers) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  ports.push(typeof address === 'object' && address !== null ? address.port : 0);
}
process.stdout.write(`${JSON.stringify({ port: ports[0], tlsPort: ports[1] })}\n`);

process.once('SIGTERM', () => {
  for (const server of servers) server.close();
  broker.close(() => process.exit(0));
});
