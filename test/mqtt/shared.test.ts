/**
 * Shared subscriptions `$share/{group}/{filter}` (MQTT 5.0 4.8.2; also offered to 3.1.1 clients):
 * one member per group gets each message, groups and plain subscribers are independent, granted QoS
 * is respected, retained messages are not sent, and an unacknowledged message stays with its member.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IPublishPacket } from 'mqtt-packet';
import { collect, open, publishAcked, startTestBroker, subscribe, type RawMqtt, type TestBroker } from '../helpers/index.js';

/** Publishes each payload at QoS 1 and waits for its PUBACK before the next, so they arrive in order. */
async function publishEach(client: RawMqtt, topic: string, payloads: string[], options: { retain?: boolean } = {}): Promise<void> {
  for (const payload of payloads) await publishAcked(client, topic, payload, options);
}

const payloadsOf = (messages: IPublishPacket[]): string[] => messages.map((m) => m.payload.toString());

describe('Shared subscriptions', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker();
  });
  after(async () => {
    await gh.stop();
  });

  for (const version of [4, 5] as const) {
    test(`each message goes to one member of the group, in turn; a plain subscriber gets all (${version === 5 ? '5.0' : '3.1.1'} members)`, async () => {
      const p = `sh${version}`;
      const a = await open(gh.urls.mqtt, version, `${p}-a`);
      const b = await open(gh.urls.mqtt, version, `${p}-b`);
      await subscribe(a, { topic: `$share/workers/${p}/+`, qos: 1 });
      await subscribe(b, { topic: `$share/workers/${p}/+`, qos: 1 });
      const plain = await open(gh.urls.mqtt, version, `${p}-plain`);
      await subscribe(plain, { topic: `${p}/+`, qos: 1 });
      const pub = await open(gh.urls.mqtt, 5, `${p}-pub`);
      const sent = ['1', '2', '3', '4', '5', '6'];
      await publishEach(pub, `${p}/jobs`, sent);
      const [gotA, gotB, gotPlain] = await Promise.all([collect(a), collect(b), collect(plain)]);
      assert.deepEqual([...payloadsOf(gotA), ...payloadsOf(gotB)].sort(), sent, 'every message exactly once across the group');
      assert.equal(gotA.length, 3, 'round robin');
      assert.equal(gotB.length, 3, 'round robin');
      assert.deepEqual(payloadsOf(gotPlain), sent);
      for (const message of [...gotA, ...gotB]) assert.equal(message.topic, `${p}/jobs`, '[MQTT-3.3.2-3] the topic name, not the $share filter');
      for (const client of [a, b, plain, pub]) client.destroy();
    });
  }

  test('two groups on the same filter each get every message', async () => {
    const g1 = await open(gh.urls.mqtt, 5, 'groups-1');
    const g2 = await open(gh.urls.mqtt, 5, 'groups-2');
    await subscribe(g1, { topic: '$share/one/grp/t', qos: 0 });
    await subscribe(g2, { topic: '$share/two/grp/t', qos: 0 });
    const pub = await open(gh.urls.mqtt, 5, 'groups-pub');
    await publishEach(pub, 'grp/t', ['x', 'y']);
    assert.deepEqual(payloadsOf(await collect(g1)), ['x', 'y']);
    assert.deepEqual(payloadsOf(await collect(g2)), ['x', 'y']);
    for (const client of [g1, g2, pub]) client.destroy();
  });

  test('[MQTT-4.8.2-3] the member\'s granted QoS is respected', async () => {
    const member = await open(gh.urls.mqtt, 5, 'shq-member');
    await subscribe(member, { topic: '$share/q/shq/t', qos: 0 });
    const pub = await open(gh.urls.mqtt, 5, 'shq-pub');
    await publishEach(pub, 'shq/t', ['x']);
    const [message] = await collect(member);
    assert.equal(message?.qos, 0);
    member.destroy();
    pub.destroy();
  });

  test('retained messages are not sent for a new shared subscription (4.8.2)', async () => {
    const pub = await open(gh.urls.mqtt, 5, 'shr-pub');
    await publishEach(pub, 'shr/t', ['retained'], { retain: true });
    const member = await open(gh.urls.mqtt, 5, 'shr-member');
    await subscribe(member, { topic: '$share/r/shr/t', qos: 1 });
    assert.deepEqual(await collect(member), []);
    await publishEach(pub, 'shr/t', ['live']);
    assert.deepEqual(payloadsOf(await collect(member)), ['live']);
    member.destroy();
    pub.destroy();
  });

  test('a member that leaves or unsubscribes gets nothing more; the rest of the group gets everything', async () => {
    const stays = await open(gh.urls.mqtt, 5, 'shl-stays');
    const leaves = await open(gh.urls.mqtt, 5, 'shl-leaves');
    const unsubscribes = await open(gh.urls.mqtt, 5, 'shl-unsub');
    for (const client of [stays, leaves, unsubscribes]) await subscribe(client, { topic: '$share/l/shl/t', qos: 1 });
    leaves.destroy();
    unsubscribes.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['$share/l/shl/t'] });
    const unsuback = await unsubscribes.expect('unsuback');
    assert.deepEqual(unsuback.granted, [0]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const pub = await open(gh.urls.mqtt, 5, 'shl-pub');
    await publishEach(pub, 'shl/t', ['1', '2', '3']);
    assert.deepEqual(payloadsOf(await collect(stays)), ['1', '2', '3']);
    assert.deepEqual(await collect(unsubscribes), []);
    for (const client of [stays, unsubscribes, pub]) client.destroy();
  });

  test('[MQTT-4.8.2-4] an unacknowledged message stays with its member and is completed when it reconnects', async () => {
    const persistent = { clean: false, properties: { sessionExpiryInterval: 60 } };
    let member = await open(gh.urls.mqtt, 5, 'shp-member', persistent);
    await subscribe(member, { topic: '$share/p/shp/t', qos: 1 });
    const other = await open(gh.urls.mqtt, 5, 'shp-other');
    await subscribe(other, { topic: '$share/p/shp/t', qos: 1 });
    const pub = await open(gh.urls.mqtt, 5, 'shp-pub');
    await publishEach(pub, 'shp/t', ['a', 'b']);
    const [memberGot] = await collect(member, { ack: false });
    const otherGot = await collect(other);
    assert.ok(memberGot !== undefined, 'the member got one message');
    assert.equal(otherGot.length, 1);
    member.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    member = await open(gh.urls.mqtt, 5, 'shp-member', persistent);
    const again = await collect(member);
    assert.equal(again.length, 1);
    assert.equal(again[0]?.dup, true);
    assert.equal(again[0]?.payload.toString(), memberGot.payload.toString());
    assert.deepEqual(await collect(other), [], '[MQTT-4.8.2-5] not given to another member');
    for (const client of [member, other, pub]) client.destroy();
  });
});
