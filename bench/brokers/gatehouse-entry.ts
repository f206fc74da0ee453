/**
 * Gatehouse as a bare benchmark broker: the Broker on the real TCP and TLS listeners, without the
 * app's config, API or services. Used when `packages/server/bin/gatehouse.js` is absent or when the
 * harness is told `--gatehouse-entry`. Prints one JSON line `{ "port", "tlsPort" }` once listening.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Broker } from '../../packages/server/src/broker/index.js';
import { silentLogger } from '../../packages/server/src/core/index.js';
import { ensureLocalPki } from '../../packages/server/src/pki/index.js';
import { MemoryStore, type BrokerStore } from '../../packages/server/src/store/index.js';
import { createSqliteStore } from '../../packages/server/src/store/sqlite/index.js';
import { listenTcp, listenTls, type ListenerHandle } from '../../packages/server/src/transport/index.js';
import { gatehouseBenchLimits } from './gatehouse-limits.js';

const { values } = parseArgs({
  options: {
    home: { type: 'string' },
    store: { type: 'string', default: 'memory' },
    tls: { type: 'boolean', default: false },
  },
});
const home = values.home;
if (home === undefined) throw new TypeError('gatehouse-entry needs --home <dir>');

const store: BrokerStore = values.store === 'sqlite' ? createSqliteStore({ path: join(home, 'broker.db') }) : new MemoryStore();
await store.open();
const broker = new Broker({ store, logger: silentLogger(), limits: gatehouseBenchLimits });
await broker.start();

const onConnection = broker.accept.bind(broker);
const listeners: ListenerHandle[] = [await listenTcp({ name: 'mqtt', host: '127.0.0.1', port: 0, onConnection })];
if (values.tls) {
  const pki = await ensureLocalPki({ dir: join(home, 'pki') });
  const [cert, key] = await Promise.all([readFile(pki.cert), readFile(pki.key)]);
  listeners.push(await listenTls({ name: 'mqtts', host: '127.0.0.1', port: 0, tls: { cert, key }, onConnection }));
}

process.stdout.write(`${JSON.stringify({ port: listeners[0]?.address.port, tlsPort: listeners[1]?.address.port, ca: values.tls ? join(home, 'pki', 'ca.pem') : undefined })}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    for (const listener of listeners) await listener.close();
    await broker.close();
    for (const listener of listeners) listener.destroyConnections();
    await store.close();
    process.exit(0);
  })();
});
