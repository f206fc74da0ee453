/** Subscriptions per client, and topic length and levels for PUBLISH and SUBSCRIBE. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, RawClient, startInProcessBroker, type InProcessBroker } from '../durability/fixtures.js';

let server: InProcessBroker;

before(async () => {
  server = await startInProcessBroker({ limits: { maxSubscriptionsPerClient: 3, maxTopicLength: 32, maxTopicLevels: 4 } });
});

after(async () => {
  await server.close();
});

const connect5 = (clientId: string) => ({ cmd: 'connect' as const, clientId, protocolVersion: 5 as const, clean: true, keepalive: 0 });

describe('maxSubscriptionsPerClient', () => {
  it('refuses the subscription past the limit with 0x97 Quota exceeded (MQTT 5) and 0x80 (3.1.1)', async () => {
    const { client } = await RawClient.connect(server.port, connect5('subs-5'));
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: ['a', 'b', 'c', 'd'].map((topic) => ({ topic, qos: 1 as const })) });
    assert.deepEqual((await client.next('suback')).granted, [1, 1, 1, 0x97]);
    // Replacing an existing subscription is not a new one.
    client.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'a', qos: 0 }] });
    assert.deepEqual((await client.next('suback')).granted, [0]);
    client.send({ cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['b'] });
    await client.next('unsuback');
    client.send({ cmd: 'subscribe', messageId: 4, subscriptions: [{ topic: 'e', qos: 1 }] });
    assert.deepEqual((await client.next('suback')).granted, [1], 'a freed slot can be used again');
    assert.equal(server.broker.admin.getClient('subs-5')?.subscriptions, 3);
    client.destroy();

    const v4 = await RawClient.connect(server.port, { cmd: 'connect', clientId: 'subs-4', protocolVersion: 4, clean: true, keepalive: 0 });
    v4.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: ['a', 'b', 'c', 'd'].map((topic) => ({ topic, qos: 1 as const })) });
    assert.deepEqual((await v4.client.next('suback')).granted, [1, 1, 1, 0x80]);
    v4.client.destroy();
  });
});

describe('maxTopicLength and maxTopicLevels', () => {
  it('answers SUBSCRIBE to a too long or too deep filter with 0x8F Topic Filter invalid', async () => {
    const { client } = await RawClient.connect(server.port, connect5('filters'));
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [
      { topic: 'x'.repeat(33), qos: 1 },
      { topic: 'a/b/c/d/e', qos: 1 },
      { topic: 'a/b/c/#', qos: 1 },
    ] });
    assert.deepEqual((await client.next('suback')).granted, [0x8f, 0x8f, 1]);
    client.destroy();
  });

  for (const [name, topic] of [['too long', 'y'.repeat(33)], ['too deep', 'a/b/c/d/e']] as const) {
    it(`disconnects an MQTT 5 client that publishes to a ${name} topic with 0x90 Topic Name invalid`, async () => {
      const { client } = await RawClient.connect(server.port, connect5(`pub-${name.replace(' ', '-')}`));
      client.send({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 1, messageId: 1, dup: false, retain: false });
      assert.equal((await client.next('disconnect')).reasonCode, 0x90);
      await client.waitClosed();
      assert.equal(client.received.some((packet) => packet.cmd === 'puback'), false);
    });
  }

  it('closes a 3.1.1 client that publishes to a too long topic, and keeps serving others', async () => {
    const { client } = await RawClient.connect(server.port, { cmd: 'connect', clientId: 'pub-4', protocolVersion: 4, clean: true, keepalive: 0 });
    client.send({ cmd: 'publish', topic: 'z'.repeat(40), payload: Buffer.from('x'), qos: 0, dup: false, retain: false });
    await client.waitClosed();
    const ok = await connectClient(server.url, { clientId: 'fine' });
    await ok.client.publishAsync('a/b/c/d', 'x', { qos: 1 });
    await ok.client.endAsync();
  });
});
