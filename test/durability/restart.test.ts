/**
 * Graceful restarts on a real SQLite file: sessions, subscriptions, queue order, incoming QoS 2 state,
 * retained messages and session expiry all come back from the store as they were.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IPublishPacket } from 'mqtt';
import { connectClient, connectWith, sleep, startGatehouse, waitFor, type TestGatehouse } from '../helpers/index.js';

let home = '';
let counter = 0;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'gatehouse-restart-'));
});

after(async () => {
  await rm(home, { recursive: true, force: true });
});

/** A fresh home (SQLite store) per test; `restart()` closes the broker gracefully and opens the same file again. */
async function brokerOnFile(): Promise<{ current: () => TestGatehouse; restart: (downMs?: number) => Promise<TestGatehouse>; close: () => Promise<void> }> {
  const path = join(home, `home-${++counter}`);
  let server = await startGatehouse({ store: 'sqlite', home: path });
  let open = true;
  return {
    current: () => server,
    async restart(downMs = 0) {
      await server.stop();
      open = false;
      if (downMs > 0) await sleep(downMs);
      server = await startGatehouse({ store: 'sqlite', home: path });
      open = true;
      return server;
    },
    async close() {
      if (open) await server.stop();
      open = false;
    },
  };
}

const persistentV5 = { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 3600 } };

describe('graceful restart on SQLite', () => {
  it('keeps sessions, subscriptions and the queue in order, for MQTT 5 and 3.1.1', async () => {
    const servers = await brokerOnFile();
    try {
      let url = servers.current().urls.mqtt;
      const v5 = await connectClient(url, { clientId: 'keeper-5', ...persistentV5 });
      await v5.client.subscribeAsync('order/#', { qos: 1 });
      await v5.client.endAsync();
      const v4 = await connectClient(url, { clientId: 'keeper-4', protocolVersion: 4, clean: false });
      await v4.client.subscribeAsync('order/#', { qos: 1 });
      await v4.client.endAsync();

      const publisher = await connectClient(url, { clientId: 'pub-1' });
      for (let i = 1; i <= 30; i++) await publisher.client.publishAsync(`order/${i % 3}`, String(i), { qos: 1 });
      await publisher.client.endAsync();

      url = (await servers.restart()).urls.mqtt;
      const admin = servers.current().broker.admin;
      for (const clientId of ['keeper-5', 'keeper-4']) {
        const session = admin.getSession(clientId);
        assert.ok(session, `${clientId} came back from the store`);
        assert.deepEqual(session.subscriptions.map((s) => [s.filter, s.options.qos]), [['order/#', 1]]);
        assert.equal(session.queued + session.inflight, 30);
      }

      const late = await connectClient(url, { clientId: 'pub-2' });
      for (let i = 31; i <= 40; i++) await late.client.publishAsync(`order/${i % 3}`, String(i), { qos: 1 });
      await late.client.endAsync();

      for (const [clientId, options] of [['keeper-5', persistentV5], ['keeper-4', { protocolVersion: 4 as const, clean: false }]] as const) {
        const got: number[] = [];
        const { client, connack } = await connectClient(url, { clientId, ...options }, (_topic, payload) => got.push(Number(payload.toString())));
        assert.equal(connack.sessionPresent, true, `${clientId} resumes its session`);
        await waitFor(() => got.length >= 40, `${clientId} to receive 40 messages (has ${got.length})`);
        await sleep(100);
        assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => i + 1), `${clientId} gets every message once, in publish order`);
        await client.endAsync();
      }
    } finally {
      await servers.close();
    }
  });

  it('completes an incoming QoS 2 exchange across a restart without delivering twice', async () => {
    const servers = await brokerOnFile();
    try {
      let url = servers.current().urls.mqtt;
      const watcher = await connectClient(url, { clientId: 'watcher', ...persistentV5 });
      const seen: IPublishPacket[] = [];
      watcher.client.on('message', (_t, _p, packet) => seen.push(packet));
      await watcher.client.subscribeAsync('q2/#', { qos: 1 });

      const connect = { clientId: 'q2-sender', clean: false, properties: { sessionExpiryInterval: 3600 } };
      const first = await connectWith(servers.current().urls.mqtt, 5, connect, { waitMs: 5000 });
      first.client.send({ cmd: 'publish', topic: 'q2/x', payload: Buffer.from('once'), qos: 2, messageId: 7, dup: false, retain: false });
      const pubrec = await first.client.expect('pubrec');
      assert.equal(pubrec.messageId, 7);
      await waitFor(() => seen.length === 1, 'the watcher to get the QoS 2 message');
      await waitFor(() => servers.current().broker.admin.getSession('watcher')?.inflight === 0, 'the watcher to acknowledge');
      // The sender vanishes before PUBREL: the broker must remember packet id 7 across the restart.
      first.client.destroy();
      await watcher.client.endAsync();

      url = (await servers.restart()).urls.mqtt;
      const again = await connectClient(url, { clientId: 'watcher', ...persistentV5 }, (_t, _p, packet) => seen.push(packet));
      const second = await connectWith(servers.current().urls.mqtt, 5, connect, { waitMs: 5000 });
      assert.equal(second.connack.sessionPresent, true);
      // [MQTT-4.3.3-10] the resent PUBLISH is acknowledged again and not delivered again
      second.client.send({ cmd: 'publish', topic: 'q2/x', payload: Buffer.from('once'), qos: 2, messageId: 7, dup: true, retain: false });
      assert.equal((await second.client.expect('pubrec')).messageId, 7);
      second.client.send({ cmd: 'pubrel', messageId: 7 });
      const pubcomp = await second.client.expect('pubcomp');
      assert.equal(pubcomp.messageId, 7);
      assert.equal(pubcomp.reasonCode ?? 0, 0, 'PUBCOMP is a success: the broker knew packet id 7 after the restart');
      // A second PUBREL finds nothing: the id was released.
      second.client.send({ cmd: 'pubrel', messageId: 7 });
      assert.equal((await second.client.expect('pubcomp')).reasonCode, 0x92);
      await sleep(300);
      assert.equal(seen.length, 1, 'the message was delivered exactly once');
      second.client.destroy();
      await again.client.endAsync();

      // The release itself was durable: after another restart the id is unknown.
      await servers.restart();
      const third = await connectWith(servers.current().urls.mqtt, 5, connect, { waitMs: 5000 });
      third.client.send({ cmd: 'pubrel', messageId: 7 });
      assert.equal((await third.client.expect('pubcomp')).reasonCode, 0x92);
      third.client.destroy();
    } finally {
      await servers.close();
    }
  });

  it('keeps retained messages, and their removal', async () => {
    const servers = await brokerOnFile();
    try {
      let url = servers.current().urls.mqtt;
      const publisher = await connectClient(url, { clientId: 'retainer', protocolVersion: 5 });
      await publisher.client.publishAsync('cfg/a', 'alpha', { qos: 1, retain: true });
      await publisher.client.publishAsync('cfg/b', 'beta', { qos: 1, retain: true, properties: { contentType: 'text/plain' } });
      await publisher.client.publishAsync('cfg/c', 'gamma', { qos: 1, retain: true });
      await publisher.client.publishAsync('cfg/c', '', { qos: 1, retain: true });
      await publisher.client.endAsync();

      url = (await servers.restart()).urls.mqtt;
      const reader = await connectClient(url, { clientId: 'reader', protocolVersion: 5 });
      const got = new Map<string, IPublishPacket>();
      reader.client.on('message', (topic, _payload, packet) => got.set(topic, packet));
      await reader.client.subscribeAsync('cfg/#', { qos: 1 });
      await waitFor(() => got.size >= 2, 'two retained messages');
      await sleep(200);
      assert.deepEqual([...got.keys()].sort(), ['cfg/a', 'cfg/b'], 'cfg/c was cleared before the restart and stays cleared');
      assert.equal(got.get('cfg/a')!.payload.toString(), 'alpha');
      assert.equal(got.get('cfg/a')!.retain, true);
      assert.equal(got.get('cfg/b')!.properties?.contentType, 'text/plain');
      await reader.client.endAsync();
    } finally {
      await servers.close();
    }
  });

  it('counts session expiry across the time the broker was down', async () => {
    const servers = await brokerOnFile();
    try {
      let url = servers.current().urls.mqtt;
      for (const [clientId, expiry] of [['short', 3], ['mid', 6], ['long', 3600]] as const) {
        const { client } = await connectClient(url, { clientId, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: expiry } });
        await client.subscribeAsync(`exp/${clientId}`, { qos: 1 });
        await client.endAsync();
      }
      const disconnectedAt = Date.now();
      url = (await servers.restart(3500)).urls.mqtt;
      const admin = servers.current().broker.admin;
      await sleep(200);
      assert.equal(admin.getSession('short'), undefined, 'a 3 s session is gone after 3.5 s of downtime');
      assert.ok(admin.getSession('mid'), 'a 6 s session is still there after 3.7 s');
      assert.ok(admin.getSession('long'));

      // If the restart had reset the clock, "mid" would live until 3.5 + 6 s; it must end at 6 s.
      await sleep(Math.max(0, disconnectedAt + 7000 - Date.now()));
      assert.equal(admin.getSession('mid'), undefined, 'the 6 s session expired 6 s after its disconnect, not after the restart');
      assert.ok(admin.getSession('long'));

      const short = await connectClient(url, { clientId: 'short', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3 } });
      assert.equal(short.connack.sessionPresent, false);
      await short.client.endAsync();
      const long = await connectClient(url, { clientId: 'long', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 } });
      assert.equal(long.connack.sessionPresent, true);
      await long.client.endAsync();
    } finally {
      await servers.close();
    }
  });
});
