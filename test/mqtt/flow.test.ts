/**
 * Flow control and queueing (MQTT 5.0 4.9 and 3.3.4, 4.6): Receive Maximum in both directions, the
 * inflight window for 3.1.1 clients, offline queues of persistent sessions and their bound.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertQuiet, collect, open, persistentConnect, publishPacket, RawMqtt, startBystander, startTestBroker, subscribe, type TestBroker } from '../helpers/index.js';

describe('Receive Maximum of the server, MQTT 5.0', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker({ limits: { receiveMaximum: 2 } });
  });
  after(async () => {
    await gh.stop();
  });

  test('CONNACK tells our Receive Maximum; a third unreleased QoS 2 PUBLISH gets DISCONNECT 0x93 [MQTT-3.3.4-7]', async () => {
    const bystander = await startBystander(gh.urls.mqtt);
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'recv-max' });
    assert.equal(connack.properties?.receiveMaximum, 2);
    client.send(publishPacket('rm/t', '1', 2, { messageId: 1 }));
    client.send(publishPacket('rm/t', '2', 2, { messageId: 2 }));
    await client.expect('pubrec');
    await client.expect('pubrec');
    // QoS 0 does not count against the quota.
    client.send(publishPacket('rm/t', 'zero', 0));
    // [MQTT-4.9.0-3] PUBREL still flows, frees one slot, and another QoS 2 is accepted.
    client.send({ cmd: 'pubrel', messageId: 1 });
    assert.equal((await client.expect('pubcomp')).messageId, 1);
    client.send(publishPacket('rm/t', '3', 2, { messageId: 3 }));
    assert.equal((await client.expect('pubrec')).messageId, 3);
    client.send(publishPacket('rm/t', '4', 2, { messageId: 4 }));
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x93);
    await client.closed();
    await bystander.check();
    bystander.close();
  });
});

for (const version of [4, 5] as const) {
  const label = version === 5 ? 'MQTT 5.0' : 'MQTT 3.1.1';
  describe(`Outgoing window, ${label}`, () => {
    let gh: TestBroker;
    before(async () => {
      // 3.1.1 clients get limits.maxInflight; v5 clients ask for less with Receive Maximum.
      gh = await startTestBroker({ limits: { maxInflight: version === 5 ? 100 : 2 } });
    });
    after(async () => {
      await gh.stop();
    });

    test(`[MQTT-3.3.4-9] [MQTT-4.9.0-2] no more than ${version === 5 ? 'the client\'s Receive Maximum' : 'limits.maxInflight'} unacknowledged PUBLISHes; [MQTT-3.3.4-10] QoS 0 is not held back`, async () => {
      const sub = await open(gh.urls.mqtt, version, `window-${version}`, version === 5 ? { properties: { receiveMaximum: 2 } } : {});
      await subscribe(sub, { topic: 'win/+', qos: 2 });
      const pub = await open(gh.urls.mqtt, version, `window-pub-${version}`);
      for (let i = 1; i <= 5; i++) {
        pub.send(publishPacket('win/q', `m${i}`, i % 2 === 0 ? 2 : 1, { messageId: i }));
        const ack = await pub.next();
        if (ack.cmd === 'pubrec') {
          pub.send({ cmd: 'pubrel', messageId: i });
          await pub.expect('pubcomp');
        }
      }
      const first = await sub.expect('publish');
      const second = await sub.expect('publish');
      assert.deepEqual([first.payload.toString(), second.payload.toString()], ['m1', 'm2']);
      await assertQuiet(sub);
      pub.send(publishPacket('win/zero', 'qos0', 0));
      const zero = await sub.expect('publish');
      assert.equal(zero.payload.toString(), 'qos0');
      sub.send({ cmd: 'puback', messageId: first.messageId! });
      const third = await sub.expect('publish');
      assert.equal(third.payload.toString(), 'm3', '[MQTT-4.6.0-6] queued messages keep their order');
      await assertQuiet(sub);
      // A QoS 2 slot is freed by PUBCOMP, not by PUBREC.
      sub.send({ cmd: 'pubrec', messageId: second.messageId! });
      await sub.expect('pubrel');
      await assertQuiet(sub);
      sub.send({ cmd: 'pubcomp', messageId: second.messageId! });
      assert.equal((await sub.expect('publish')).payload.toString(), 'm4');
      sub.destroy();
      pub.destroy();
    });
  });

  for (const overflow of ['drop-oldest', 'drop-newest'] as const) {
    describe(`Offline queue (${overflow}), ${label}`, () => {
      let gh: TestBroker;
      before(async () => {
        gh = await startTestBroker({ limits: { maxQueuedMessages: 3, queueOverflow: overflow } });
      });
      after(async () => {
        await gh.stop();
      });

      test('QoS 1/2 messages wait for a persistent session, QoS 0 ones do not; the queue is bounded', async () => {
        const id = `offline-${overflow}-${version}`;
        let sub = await open(gh.urls.mqtt, version, id, persistentConnect(version));
        await subscribe(sub, { topic: 'off/+', qos: 2 });
        sub.destroy();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const pub = await open(gh.urls.mqtt, version, `offline-pub-${overflow}-${version}`);
        pub.send(publishPacket('off/zero', 'qos0', 0));
        for (let i = 1; i <= 5; i++) {
          pub.send(publishPacket('off/q', `m${i}`, 1, { messageId: i }));
          await pub.expect('puback');
        }
        sub = await open(gh.urls.mqtt, version, id, persistentConnect(version));
        const messages = await collect(sub);
        for (const message of messages) {
          assert.equal(message.qos, 1);
          assert.equal(message.dup, false, 'first delivery of a queued message is not a redelivery');
        }
        const got = messages.map((message) => message.payload.toString());
        assert.deepEqual(got, overflow === 'drop-oldest' ? ['m3', 'm4', 'm5'] : ['m1', 'm2', 'm3']);
        sub.destroy();
        pub.destroy();
      });
    });
  }
}

describe('A session with clean start does not keep its queue', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker();
  });
  after(async () => {
    await gh.stop();
  });

  test('[MQTT-3.1.2-4] messages queued for a session are gone after a Clean Start reconnect', async () => {
    let sub = await open(gh.urls.mqtt, 5, 'clean-queue', persistentConnect(5));
    await subscribe(sub, { topic: 'cq/t', qos: 1 });
    sub.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const pub = await open(gh.urls.mqtt, 5, 'clean-queue-pub');
    pub.send(publishPacket('cq/t', 'queued', 1, { messageId: 1 }));
    await pub.expect('puback');
    sub = await open(gh.urls.mqtt, 5, 'clean-queue', { clean: true });
    await assertQuiet(sub);
    sub.destroy();
    pub.destroy();
  });
});
