/**
 * PUBLISH from and to clients (MQTT 5.0 3.3, MQTT 3.1.1 3.3): topic names, Topic Alias in both
 * directions, Maximum Packet Size in both directions, server topics, and the malformed cases. Every
 * refusal is checked for its reason code and close, with a bystander that keeps working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertQuiet, expectClose, open, publishPacket, RawMqtt, startBystander, startTestBroker, subscribe, type Bystander, type TestBroker } from '../helpers/index.js';

for (const version of [4, 5] as const) {
  const label = version === 5 ? 'MQTT 5.0' : 'MQTT 3.1.1';
  describe(`PUBLISH topic names, ${label}`, () => {
    let gh: TestBroker;
    let bystander: Bystander;
    before(async () => {
      gh = await startTestBroker();
      bystander = await startBystander(gh.urls.mqtt);
    });
    after(async () => {
      bystander.close();
      await gh.stop();
    });

    for (const topic of ['a/+', 'a/#', '+', 'sport/tennis#']) {
      test(`[MQTT-3.3.2-2] [MQTT-4.7.0-1] a topic name with a wildcard ("${topic}") closes the connection (v5: 0x90)`, async () => {
        const client = await open(gh.urls.mqtt, version, `wild-topic-${version}`);
        client.send(publishPacket(topic, 'x', 1));
        await expectClose(client, version, 0x90);
        await bystander.check();
      });
    }

    test('[MQTT-4.7.3-1] an empty topic name without a Topic Alias closes the connection (v5: 0x82, 3.3.2.3.4)', async () => {
      const client = await open(gh.urls.mqtt, version, `empty-topic-${version}`);
      client.send(publishPacket('', 'x', 0));
      await expectClose(client, version, 0x82);
      await bystander.check();
    });

    test('[MQTT-4.7.3-4] topics are matched byte for byte: case and Unicode are not normalized', async () => {
      const sub = await open(gh.urls.mqtt, version, `exact-sub-${version}`);
      await subscribe(sub, [{ topic: `x${version}/Caf\u00e9`, qos: 0 }]);
      const pub = await open(gh.urls.mqtt, version, `exact-pub-${version}`);
      pub.send(publishPacket(`x${version}/caf\u00e9`, 'lower', 0));
      pub.send(publishPacket(`x${version}/Cafe\u0301`, 'decomposed', 0));
      pub.send(publishPacket(`x${version}/Caf\u00e9`, 'exact', 0));
      const message = await sub.expect('publish');
      assert.equal(message.payload.toString(), 'exact');
      await assertQuiet(sub);
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-3.3.1-2] a QoS 0 PUBLISH with DUP set is malformed and closes the connection (v5: 0x81)', async () => {
      const client = await open(gh.urls.mqtt, version, `dup-qos0-${version}`);
      // PUBLISH, DUP=1, QoS 0: topic "a", payload "x" (v5 adds an empty property length)
      client.sendHex(version === 5 ? '38 05 00 01 61 00 78' : '38 04 00 01 61 78');
      await expectClose(client, version, 0x81);
      await bystander.check();
    });

    test('publishing to $SYS is refused (v5: PUBACK 0x87) and not delivered, the connection stays', async () => {
      const sub = await open(gh.urls.mqtt, version, `sys-sub-${version}`);
      await subscribe(sub, [{ topic: '$SYS/#', qos: 0 }]);
      const pub = await open(gh.urls.mqtt, version, `sys-pub-${version}`);
      pub.send(publishPacket('$SYS/broker/uptime', 'fake', 1));
      const puback = await pub.expect('puback');
      if (version === 5) assert.equal(puback.reasonCode, 0x87);
      await assertQuiet(sub);
      pub.send({ cmd: 'pingreq' });
      await pub.expect('pingresp');
      sub.destroy();
      pub.destroy();
    });
  });
}

describe('MQTT 5.0 PUBLISH properties that are refused', () => {
  let gh: TestBroker;
  let bystander: Bystander;
  before(async () => {
    gh = await startTestBroker();
    bystander = await startBystander(gh.urls.mqtt);
  });
  after(async () => {
    bystander.close();
    await gh.stop();
  });

  test('[MQTT-3.3.4-6] a Subscription Identifier from a client is a protocol error: DISCONNECT 0x82', async () => {
    const client = await open(gh.urls.mqtt, 5, 'pub-subid');
    client.send(publishPacket('a/b', 'x', 0, { properties: { subscriptionIdentifier: 4 } }));
    await expectClose(client, 5, 0x82);
    await bystander.check();
  });

  test('[MQTT-3.3.2-14] a Response Topic with a wildcard is a protocol error: DISCONNECT 0x82', async () => {
    const client = await open(gh.urls.mqtt, 5, 'pub-response-wild');
    client.send(publishPacket('a/b', 'x', 1, { properties: { responseTopic: 'reply/+' } }));
    await expectClose(client, 5, 0x82);
    await bystander.check();
  });

  test('a payload marked UTF-8 that is not gets PUBACK 0x99 and is not delivered (3.3.2.3.2)', async () => {
    const sub = await open(gh.urls.mqtt, 5, 'pfi-sub');
    await subscribe(sub, [{ topic: 'pfi/t', qos: 0 }]);
    const client = await open(gh.urls.mqtt, 5, 'pfi-pub');
    client.send(publishPacket('pfi/t', Buffer.from([0xff, 0xfe, 0x00]), 1, { properties: { payloadFormatIndicator: true } }));
    assert.equal((await client.expect('puback')).reasonCode, 0x99);
    await assertQuiet(sub);
    sub.destroy();
    client.destroy();
  });
});

describe('Topic Alias, MQTT 5.0', () => {
  let gh: TestBroker;
  let bystander: Bystander;
  before(async () => {
    gh = await startTestBroker({ limits: { topicAliasMaximum: 4 } });
    bystander = await startBystander(gh.urls.mqtt);
  });
  after(async () => {
    bystander.close();
    await gh.stop();
  });

  test('[MQTT-3.3.2-12] aliases 1..max from the client are set by a topic and used with an empty one; they can be redefined', async () => {
    const sub = await open(gh.urls.mqtt, 5, 'alias-in-sub');
    await subscribe(sub, [{ topic: 'ta/#', qos: 0 }]);
    const pub = await open(gh.urls.mqtt, 5, 'alias-in-pub');
    pub.send(publishPacket('ta/one', '1', 0, { properties: { topicAlias: 4 } }));
    pub.send(publishPacket('', '2', 0, { properties: { topicAlias: 4 } }));
    pub.send(publishPacket('ta/two', '3', 0, { properties: { topicAlias: 4 } }));
    pub.send(publishPacket('', '4', 0, { properties: { topicAlias: 4 } }));
    const topics = [];
    for (let i = 0; i < 4; i++) topics.push((await sub.expect('publish')).topic);
    assert.deepEqual(topics, ['ta/one', 'ta/one', 'ta/two', 'ta/two']);
    sub.destroy();
    pub.destroy();
  });

  test('[MQTT-3.3.2-7] an alias does not carry over to a new connection: empty topic with it is a protocol error (0x82)', async () => {
    const first = await open(gh.urls.mqtt, 5, 'alias-carry');
    first.send(publishPacket('ta/carry', '1', 1, { properties: { topicAlias: 1 } }));
    await first.expect('puback');
    first.destroy();
    const second = await open(gh.urls.mqtt, 5, 'alias-carry');
    second.send(publishPacket('', '2', 0, { properties: { topicAlias: 1 } }));
    await expectClose(second, 5, 0x82);
    await bystander.check();
  });

  test('[MQTT-3.3.2-8] a Topic Alias of 0 gets DISCONNECT 0x94', async () => {
    const client = await open(gh.urls.mqtt, 5, 'alias-zero');
    client.send(publishPacket('ta/x', 'x', 0, { properties: { topicAlias: 0 } }));
    await expectClose(client, 5, 0x94);
    await bystander.check();
  });

  test('[MQTT-3.3.2-9] [MQTT-3.2.2-17] a Topic Alias above our Topic Alias Maximum gets DISCONNECT 0x94', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'alias-high' });
    assert.equal(connack.properties?.topicAliasMaximum, 4);
    client.send(publishPacket('ta/x', 'x', 0, { properties: { topicAlias: 5 } }));
    await expectClose(client, 5, 0x94);
    await bystander.check();
  });

  test('[MQTT-3.3.2-11] [MQTT-3.1.2-26] aliases to the client stay within its maximum; later messages use the alias with an empty topic', async () => {
    const sub = await open(gh.urls.mqtt, 5, 'alias-out', { properties: { topicAliasMaximum: 1 } });
    await subscribe(sub, [{ topic: 'tao/#', qos: 0 }]);
    const pub = await open(gh.urls.mqtt, 5, 'alias-out-pub');
    for (const topic of ['tao/a', 'tao/b', 'tao/a', 'tao/b']) pub.send(publishPacket(topic, topic, 0));
    const aliases = new Map<number, string>();
    for (let i = 0; i < 4; i++) {
      const message = await sub.expect('publish');
      const alias = message.properties?.topicAlias;
      let topic = message.topic;
      if (alias !== undefined) {
        assert.ok(alias >= 1 && alias <= 1, `alias ${alias} within the client's maximum`);
        if (topic === '') topic = aliases.get(alias) ?? assert.fail(`alias ${alias} used before it was set`);
        else aliases.set(alias, topic);
      }
      assert.equal(topic, message.payload.toString());
    }
    assert.equal(aliases.size, 1);
    sub.destroy();
    pub.destroy();
  });

  test('[MQTT-3.1.2-27] no Topic Alias Maximum from the client: no aliases to it', async () => {
    const sub = await open(gh.urls.mqtt, 5, 'alias-none');
    await subscribe(sub, [{ topic: 'tan/#', qos: 0 }]);
    const pub = await open(gh.urls.mqtt, 5, 'alias-none-pub');
    pub.send(publishPacket('tan/a', '1', 0));
    pub.send(publishPacket('tan/a', '2', 0));
    for (let i = 0; i < 2; i++) {
      const message = await sub.expect('publish');
      assert.equal(message.topic, 'tan/a');
      assert.equal(message.properties?.topicAlias, undefined);
    }
    sub.destroy();
    pub.destroy();
  });

  test('[MQTT-3.1.2-25] a message dropped as too large does not leave the client with an alias it never saw', async () => {
    const sub = await open(gh.urls.mqtt, 5, 'alias-drop', { properties: { topicAliasMaximum: 2, maximumPacketSize: 200 } });
    await subscribe(sub, [{ topic: 'tad/#', qos: 0 }]);
    const pub = await open(gh.urls.mqtt, 5, 'alias-drop-pub');
    pub.send(publishPacket('tad/a', 'x'.repeat(500), 0));
    pub.send(publishPacket('tad/a', 'small', 0));
    const message = await sub.expect('publish');
    assert.equal(message.payload.toString(), 'small');
    assert.equal(message.topic, 'tad/a', 'the first message the client sees on this topic names it');
    sub.destroy();
    pub.destroy();
  });
});

for (const version of [4, 5] as const) {
  const label = version === 5 ? 'MQTT 5.0' : 'MQTT 3.1.1';
  describe(`Maximum Packet Size, ${label}`, () => {
    let gh: TestBroker;
    let bystander: Bystander;
    before(async () => {
      gh = await startTestBroker({ limits: { maxPacketSize: 1024 } });
      bystander = await startBystander(gh.urls.mqtt);
    });
    after(async () => {
      bystander.close();
      await gh.stop();
    });

    test('a PUBLISH larger than our Maximum Packet Size closes the connection (v5: 0x95), checked at the fixed header', async () => {
      const client = await open(gh.urls.mqtt, version, `too-large-${version}`);
      const packet = publishPacket('big/t', 'x'.repeat(2000), 0);
      const bytes = (await import('mqtt-packet')).default.generate(packet, { protocolVersion: version });
      // Only the first bytes are sent: the server must refuse from the header alone.
      client.write(bytes.subarray(0, 16));
      await expectClose(client, version, 0x95);
      await bystander.check();
    });

    test('a PUBLISH just within our Maximum Packet Size is accepted', async () => {
      const sub = await open(gh.urls.mqtt, version, `fits-sub-${version}`);
      await subscribe(sub, [{ topic: 'fits/t', qos: 0 }]);
      const pub = await open(gh.urls.mqtt, version, `fits-pub-${version}`);
      // 1024 bytes in all: 1 + 2 (remaining length) + 2 + 6 (topic) [+ 1 properties] + payload
      const payloadLength = 1024 - 3 - 8 - (version === 5 ? 1 : 0);
      pub.send(publishPacket('fits/t', 'y'.repeat(payloadLength), 0));
      assert.equal((await sub.expect('publish')).payload.length, payloadLength);
      sub.destroy();
      pub.destroy();
    });
  });
}

describe('Maximum Packet Size of the client, MQTT 5.0', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker();
  });
  after(async () => {
    await gh.stop();
  });

  test('[MQTT-3.1.2-24] [MQTT-3.1.2-25] a message larger than the client\'s maximum is not sent; the next one is, and QoS 1 flow continues', async () => {
    const sub = await open(gh.urls.mqtt, 5, 'client-max', { properties: { maximumPacketSize: 128 } });
    await subscribe(sub, [{ topic: 'cm/t', qos: 1 }]);
    const pub = await open(gh.urls.mqtt, 5, 'client-max-pub');
    pub.send(publishPacket('cm/t', 'z'.repeat(200), 1));
    await pub.expect('puback');
    pub.send(publishPacket('cm/t', 'small', 1));
    await pub.expect('puback');
    const message = await sub.expect('publish');
    assert.equal(message.payload.toString(), 'small');
    sub.send({ cmd: 'puback', messageId: message.messageId! });
    await assertQuiet(sub);
    sub.destroy();
    pub.destroy();
  });
});
