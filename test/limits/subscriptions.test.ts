/** Subscriptions per client, and topic length and levels for PUBLISH and SUBSCRIBE. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, connectWith, startGatehouse, type TestGatehouse } from '../helpers/index.js';

let server: TestGatehouse;

before(async () => {
  server = await startGatehouse({ limits: { maxSubscriptionsPerClient: 3, maxTopicLength: 32, maxTopicLevels: 4 } });
});

after(async () => {
  await server.stop();
});


describe('maxSubscriptionsPerClient', () => {
  it('refuses the subscription past the limit with 0x97 Quota exceeded (MQTT 5) and 0x80 (3.1.1)', async () => {
    const { client } = await connectWith(server.urls.mqtt, 5, { clientId: 'subs-5' }, { waitMs: 5000 });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: ['a', 'b', 'c', 'd'].map((topic) => ({ topic, qos: 1 as const })) });
    assert.deepEqual((await client.expect('suback')).granted, [1, 1, 1, 0x97]);
    // Replacing an existing subscription is not a new one.
    client.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'a', qos: 0 }] });
    assert.deepEqual((await client.expect('suback')).granted, [0]);
    client.send({ cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['b'] });
    await client.expect('unsuback');
    client.send({ cmd: 'subscribe', messageId: 4, subscriptions: [{ topic: 'e', qos: 1 }] });
    assert.deepEqual((await client.expect('suback')).granted, [1], 'a freed slot can be used again');
    assert.equal(server.broker.admin.getClient('subs-5')?.subscriptions, 3);
    client.destroy();

    const v4 = await connectWith(server.urls.mqtt, 4, { clientId: 'subs-4' }, { waitMs: 5000 });
    v4.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: ['a', 'b', 'c', 'd'].map((topic) => ({ topic, qos: 1 as const })) });
    assert.deepEqual((await v4.client.expect('suback')).granted, [1, 1, 1, 0x80]);
    v4.client.destroy();
  });
});

describe('maxTopicLength and maxTopicLevels', () => {
  it('answers SUBSCRIBE to a too long or too deep filter with 0x8F Topic Filter invalid', async () => {
    const { client } = await connectWith(server.urls.mqtt, 5, { clientId: 'filters' }, { waitMs: 5000 });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [
      { topic: 'x'.repeat(33), qos: 1 },
      { topic: 'a/b/c/d/e', qos: 1 },
      { topic: 'a/b/c/#', qos: 1 },
    ] });
    assert.deepEqual((await client.expect('suback')).granted, [0x8f, 0x8f, 1]);
    client.destroy();
  });

  for (const [name, topic] of [['too long', 'y'.repeat(33)], ['too deep', 'a/b/c/d/e']] as const) {
    it(`disconnects an MQTT 5 client that publishes to a ${name} topic with 0x90 Topic Name invalid`, async () => {
      const { client } = await connectWith(server.urls.mqtt, 5, { clientId: `pub-${name.replace(' ', '-')}` }, { waitMs: 5000 });
      client.send({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 1, messageId: 1, dup: false, retain: false });
      assert.equal((await client.expect('disconnect')).reasonCode, 0x90);
      // A PUBACK before the DISCONNECT already failed `expect`; none may follow it either.
      const rest = await client.closed();
      assert.equal(rest.some((packet) => packet.cmd === 'puback'), false);
    });
  }

  it('closes a 3.1.1 client that publishes to a too long topic, and keeps serving others', async () => {
    const { client } = await connectWith(server.urls.mqtt, 4, { clientId: 'pub-4' }, { waitMs: 5000 });
    client.send({ cmd: 'publish', topic: 'z'.repeat(40), payload: Buffer.from('x'), qos: 0, dup: false, retain: false });
    await client.closed();
    const ok = await connectClient(server.urls.mqtt, { clientId: 'fine' });
    await ok.client.publishAsync('a/b/c/d', 'x', { qos: 1 });
    await ok.client.endAsync();
  });
});
