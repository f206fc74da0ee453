/** Maximum packet size inbound: an oversized packet ends only its own connection. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, connectWith, RawMqtt, startGatehouse, type TestGatehouse } from '../helpers/index.js';

const MAX = 1024;
let server: TestGatehouse;

before(async () => {
  server = await startGatehouse({ limits: { maxPacketSize: MAX } });
});

after(async () => {
  await server.stop();
});

function bigPublish(size: number) {
  return { cmd: 'publish' as const, topic: 'big/one', payload: Buffer.alloc(size, 0x61), qos: 0 as const, dup: false, retain: false };
}

describe('maxPacketSize', () => {
  it('tells MQTT 5 clients its maximum in CONNACK and answers a larger PUBLISH with DISCONNECT 0x95', async () => {
    const { client, connack } = await connectWith(server.urls.mqtt, 5, { clientId: 'big-5' }, { waitMs: 5000 });
    assert.equal(connack.properties?.maximumPacketSize, MAX);
    // Just under the limit passes.
    client.send({ ...bigPublish(MAX - 64), qos: 1, messageId: 1 });
    assert.equal((await client.expect('puback')).messageId, 1);
    client.send(bigPublish(MAX + 1));
    const disconnect = await client.expect('disconnect');
    // [MQTT-3.2.2-15] a packet above the Maximum Packet Size is answered with 0x95 Packet too large
    assert.equal(disconnect.reasonCode, 0x95);
    await client.closed();
  });

  it('closes a 3.1.1 connection that sends a larger packet', async () => {
    const { client, connack } = await connectWith(server.urls.mqtt, 4, { clientId: 'big-4' }, { waitMs: 5000 });
    assert.equal(connack.returnCode, 0);
    client.send(bigPublish(64 * 1024));
    const rest = await client.closed();
    assert.equal(rest.some((packet) => packet.cmd === 'disconnect'), false);
  });

  it('refuses an oversized CONNECT and stays up for everyone else', async () => {
    const watcher = await connectClient(server.urls.mqtt, { clientId: 'bystander', protocolVersion: 5 });
    for (const protocolVersion of [4, 5] as const) {
      const big = await RawMqtt.connect(server.urls.mqtt, { protocolVersion, waitMs: 5000 });
      big.send({ cmd: 'connect', clientId: 'big-connect', protocolVersion, clean: true, keepalive: 0, username: 'u'.repeat(2 * MAX) });
      // Its version was never read, so no CONNACK (3.1.1 would have said "not authorized", wrongly).
      assert.deepEqual(await big.closed(), []);
    }
    // The bystander's connection still works, and new clients are served.
    await watcher.client.subscribeAsync('still/here', { qos: 1 });
    const fresh = await connectClient(server.urls.mqtt, { clientId: 'after-big', protocolVersion: 5 });
    await fresh.client.publishAsync('still/here', 'ok', { qos: 1 });
    await fresh.client.endAsync();
    await watcher.client.endAsync();
    assert.ok((server.broker.admin.counters.disconnects['protocol-error'] ?? 0) >= 2);
  });
});
