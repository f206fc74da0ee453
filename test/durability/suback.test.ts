/**
 * A persistent session's SUBACK is sent only once its subscription is committed: a SUBACK that a
 * crash could take back would leave a client sure of a subscription that no longer exists.
 * The store is the real SQLite one; a wrapper slows its commits so that the SUBACK, if it did not
 * wait, would surely arrive before the data is on disk.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Broker } from '../../packages/server/src/broker/index.ts';
import { silentLogger } from '../../packages/server/src/core/index.ts';
import type { BrokerStore } from '../../packages/server/src/store/index.ts';
import { createSqliteStore } from '../../packages/server/src/store/sqlite/index.ts';
import { open, persistentConnect, RawMqtt } from '../helpers/index.ts';

const COMMIT_DELAY_MS = 300;

function slowCommits(store: BrokerStore): BrokerStore {
  return {
    open: () => store.open(),
    apply: async (ops) => {
      await new Promise((resolve) => setTimeout(resolve, COMMIT_DELAY_MS));
      await store.apply(ops);
    },
    loadSessions: () => store.loadSessions(),
    loadRetained: () => store.loadRetained(),
    loadWills: () => store.loadWills(),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

describe('SUBACK of a persistent session waits for its commit', () => {
  let home: string;
  let store: BrokerStore;
  let broker: Broker;
  let server: net.Server;
  let url: string;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'gatehouse-suback-'));
    store = createSqliteStore({ path: join(home, 'gatehouse.db') });
    await store.open();
    broker = new Broker({ store: slowCommits(store), logger: silentLogger() });
    await broker.start();
    server = net.createServer((socket) => broker.accept(socket, { transport: 'tcp', remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0, localPort: 0, listener: 'test' }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  after(async () => {
    await broker.close();
    server.close();
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  for (const version of [4, 5] as const) {
    test(`v${version}: when the SUBACK arrives, another reader of the database already sees the subscription, and the retained message comes after the SUBACK`, async () => {
      const publisher = await open(url, version, `retainer-${version}`);
      publisher.send({ cmd: 'publish', topic: `durable-${version}/config`, payload: Buffer.from('v1'), qos: 1, messageId: 1, retain: true, dup: false });
      await publisher.expect('puback', 5000);
      publisher.destroy();

      const client = await open(url, version, `durable-sub-${version}`, persistentConnect(version));
      client.send({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: `durable-${version}/#`, qos: 1 }] });
      const suback = await client.next(5000);
      assert.equal(suback.cmd, 'suback');
      const reader = createSqliteStore({ path: join(home, 'gatehouse.db') });
      await reader.open();
      const sessions = await reader.loadSessions();
      await reader.close();
      const stored = sessions.find((session) => session.clientId === `durable-sub-${version}`);
      assert.deepEqual(stored?.subscriptions.map((subscription) => subscription.filter), [`durable-${version}/#`]);
      const retained = await client.next(5000);
      assert.equal(retained.cmd, 'publish');
      client.destroy();
    });
  }

  test('a clean session is not kept waiting: its SUBACK does not depend on the store', async () => {
    const client = await RawMqtt.connect(url, { protocolVersion: 5 });
    await client.handshake({ clientId: 'clean-sub', clean: true });
    const started = Date.now();
    client.send({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'clean/#', qos: 1 }] });
    await client.expect('suback', 5000);
    // Nothing durable was written, so no commit (slowed to 300 ms) stood in the way.
    assert.ok(Date.now() - started < COMMIT_DELAY_MS, 'SUBACK before any commit could finish');
    client.destroy();
  });
});
