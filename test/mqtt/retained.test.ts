/**
 * Retained messages (MQTT 5.0 3.3.1.3 and 3.8.3.1, MQTT 3.1.1 3.3.1.3): store, replace, delete by an
 * empty payload, the RETAIN flag on delivery, Retain Handling 0/1/2, Retain As Published, and
 * retain not available.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertQuiet, open, publishAcked, RawMqtt, startBystander, startGatehouse, startTestBroker, subscribe, type TestBroker, type TestGatehouse } from '../helpers/index.js';
import mqtt from 'mqtt';

for (const version of [4, 5] as const) {
  const label = version === 5 ? 'MQTT 5.0' : 'MQTT 3.1.1';
  describe(`Retained messages, ${label}`, () => {
    let gh: TestBroker;
    before(async () => {
      gh = await startTestBroker();
    });
    after(async () => {
      await gh.stop();
    });

    test('[MQTT-3.3.1-5] a retained message is stored and sent with RETAIN 1 to a new subscription (3.1.1: [MQTT-3.3.1-6] [MQTT-3.3.1-8])', async () => {
      const pub = await open(gh.urls.mqtt, version, `r-store-pub-${version}`);
      await publishAcked(pub, `rs${version}/config`, 'v1', { retain: true });
      const sub = await open(gh.urls.mqtt, version, `r-store-sub-${version}`);
      await subscribe(sub, { topic: `rs${version}/+`, qos: 1 });
      const message = await sub.expect('publish');
      assert.equal(message.topic, `rs${version}/config`);
      assert.equal(message.payload.toString(), 'v1');
      assert.equal(message.retain, true);
      assert.equal(message.qos, 1);
      sub.send({ cmd: 'puback', messageId: message.messageId! });
      pub.destroy();
      sub.destroy();
    });

    test('[MQTT-3.3.1-5] a new retained message replaces the previous one of the topic', async () => {
      const pub = await open(gh.urls.mqtt, version, `r-replace-pub-${version}`);
      await publishAcked(pub, `rr${version}/config`, 'old', { retain: true });
      await publishAcked(pub, `rr${version}/config`, 'new', { retain: true });
      const sub = await open(gh.urls.mqtt, version, `r-replace-sub-${version}`);
      await subscribe(sub, { topic: `rr${version}/config`, qos: 0 });
      const message = await sub.expect('publish');
      assert.equal(message.payload.toString(), 'new');
      await assertQuiet(sub);
      pub.destroy();
      sub.destroy();
    });

    test('[MQTT-3.3.1-6] [MQTT-3.3.1-7] an empty retained message deletes the retained one and is not stored (3.1.1: [MQTT-3.3.1-10] [MQTT-3.3.1-11])', async () => {
      const pub = await open(gh.urls.mqtt, version, `r-delete-pub-${version}`);
      await publishAcked(pub, `rd${version}/config`, 'v1', { retain: true });
      const live = await open(gh.urls.mqtt, version, `r-delete-live-${version}`);
      await subscribe(live, { topic: `rd${version}/config`, qos: 0 });
      assert.equal((await live.expect('publish')).payload.toString(), 'v1');
      await publishAcked(pub, `rd${version}/config`, '', { retain: true });
      const deletion = await live.expect('publish');
      assert.equal(deletion.payload.length, 0, 'the empty message is processed normally for existing subscribers');
      const sub = await open(gh.urls.mqtt, version, `r-delete-sub-${version}`);
      await subscribe(sub, { topic: `rd${version}/#`, qos: 0 });
      await assertQuiet(sub);
      pub.destroy();
      live.destroy();
      sub.destroy();
    });

    test('[MQTT-3.3.1-8] a PUBLISH with RETAIN 0 neither stores nor replaces the retained message (3.1.1: [MQTT-3.3.1-12])', async () => {
      const pub = await open(gh.urls.mqtt, version, `r-plain-pub-${version}`);
      await publishAcked(pub, `rp${version}/config`, 'kept', { retain: true });
      await publishAcked(pub, `rp${version}/config`, 'not-retained');
      await publishAcked(pub, `rp${version}/other`, 'not-retained');
      const sub = await open(gh.urls.mqtt, version, `r-plain-sub-${version}`);
      await subscribe(sub, { topic: `rp${version}/#`, qos: 0 });
      assert.equal((await sub.expect('publish')).payload.toString(), 'kept');
      await assertQuiet(sub);
      pub.destroy();
      sub.destroy();
    });

    test('[MQTT-3.3.1-12] live delivery to an established subscription clears RETAIN (3.1.1: [MQTT-3.3.1-9])', async () => {
      const sub = await open(gh.urls.mqtt, version, `r-live-sub-${version}`);
      await subscribe(sub, { topic: `rl${version}/config`, qos: 0 });
      const pub = await open(gh.urls.mqtt, version, `r-live-pub-${version}`);
      await publishAcked(pub, `rl${version}/config`, 'live', { retain: true });
      const message = await sub.expect('publish');
      assert.equal(message.payload.toString(), 'live');
      assert.equal(message.retain, false);
      pub.destroy();
      sub.destroy();
    });

    test('[MQTT-3.8.4-3] [MQTT-3.3.1-9] resubscribing to the same filter sends the retained message again (configuration on resubscribe)', async () => {
      const pub = await open(gh.urls.mqtt, version, `r-resub-pub-${version}`);
      await publishAcked(pub, `rre${version}/config`, 'cfg', { retain: true });
      const sub = await open(gh.urls.mqtt, version, `r-resub-sub-${version}`);
      await subscribe(sub, { topic: `rre${version}/config`, qos: 0 });
      assert.equal((await sub.expect('publish')).payload.toString(), 'cfg');
      await subscribe(sub, { topic: `rre${version}/config`, qos: 0 });
      const again = await sub.expect('publish');
      assert.equal(again.payload.toString(), 'cfg');
      assert.equal(again.retain, true);
      pub.destroy();
      sub.destroy();
    });
  });
}

describe('Retain Handling and Retain As Published, MQTT 5.0', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker();
  });
  after(async () => {
    await gh.stop();
  });

  test('[MQTT-3.3.1-10] Retain Handling 1 sends retained messages for a new subscription only', async () => {
    const pub = await open(gh.urls.mqtt, 5, 'rh1-pub');
    await publishAcked(pub, 'rh1/config', 'cfg', { retain: true });
    const sub = await open(gh.urls.mqtt, 5, 'rh1-sub');
    await subscribe(sub, { topic: 'rh1/config', qos: 0, rh: 1 });
    assert.equal((await sub.expect('publish')).payload.toString(), 'cfg');
    await subscribe(sub, { topic: 'rh1/config', qos: 0, rh: 1 });
    await assertQuiet(sub);
    pub.destroy();
    sub.destroy();
  });

  test('[MQTT-3.3.1-11] Retain Handling 2 never sends retained messages on subscribe, but live messages flow', async () => {
    const pub = await open(gh.urls.mqtt, 5, 'rh2-pub');
    await publishAcked(pub, 'rh2/config', 'cfg', { retain: true });
    const sub = await open(gh.urls.mqtt, 5, 'rh2-sub');
    await subscribe(sub, { topic: 'rh2/config', qos: 0, rh: 2 });
    await assertQuiet(sub);
    await publishAcked(pub, 'rh2/config', 'cfg2', { retain: true });
    assert.equal((await sub.expect('publish')).payload.toString(), 'cfg2');
    pub.destroy();
    sub.destroy();
  });

  test('[MQTT-3.3.1-13] Retain As Published keeps RETAIN 1 on live delivery; [MQTT-3.3.1-12] without it RETAIN is 0', async () => {
    const rap = await open(gh.urls.mqtt, 5, 'rap-on');
    await subscribe(rap, { topic: 'rap/t', qos: 0, rap: true });
    const plain = await open(gh.urls.mqtt, 5, 'rap-off');
    await subscribe(plain, { topic: 'rap/t', qos: 0, rap: false });
    const pub = await open(gh.urls.mqtt, 5, 'rap-pub');
    await publishAcked(pub, 'rap/t', 'r', { retain: true });
    assert.equal((await rap.expect('publish')).retain, true);
    assert.equal((await plain.expect('publish')).retain, false);
    await publishAcked(pub, 'rap/t', 'not');
    assert.equal((await rap.expect('publish')).retain, false, 'RETAIN equals the received flag');
    pub.destroy();
    rap.destroy();
    plain.destroy();
  });

  test('a retained message keeps its properties and counts down its Message Expiry Interval', async () => {
    const pub = await open(gh.urls.mqtt, 5, 'rexp-pub');
    pub.send({ cmd: 'publish', topic: 'rexp/t', payload: Buffer.from('p'), qos: 1, messageId: 1, retain: true, dup: false, properties: { messageExpiryInterval: 60, contentType: 'text/plain', userProperties: { k: 'v' } } });
    await pub.expect('puback');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const sub = await open(gh.urls.mqtt, 5, 'rexp-sub');
    await subscribe(sub, { topic: 'rexp/t', qos: 0 });
    const message = await sub.expect('publish');
    assert.equal(message.properties?.contentType, 'text/plain');
    assert.deepEqual({ ...message.properties?.userProperties }, { k: 'v' });
    const left = message.properties?.messageExpiryInterval ?? 0;
    assert.ok(left >= 55 && left <= 59, `[MQTT-3.3.2-6] the interval sent is what is left (${left})`);
    pub.destroy();
    sub.destroy();
  });

  test('[MQTT-3.3.2-5] an expired retained message is no longer sent', async () => {
    const pub = await open(gh.urls.mqtt, 5, 'rexp2-pub');
    pub.send({ cmd: 'publish', topic: 'rexp2/t', payload: Buffer.from('p'), qos: 1, messageId: 1, retain: true, dup: false, properties: { messageExpiryInterval: 1 } });
    await pub.expect('puback');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const sub = await open(gh.urls.mqtt, 5, 'rexp2-sub');
    await subscribe(sub, { topic: 'rexp2/t', qos: 0 });
    await assertQuiet(sub);
    pub.destroy();
    sub.destroy();
  });
});

describe('Retain not available', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker({ features: { retainAvailable: false } });
  });
  after(async () => {
    await gh.stop();
  });

  test('v5 CONNACK says Retain Available 0 and a retained PUBLISH gets DISCONNECT 0x9A (3.2.2.3.5)', async () => {
    const bystander = await startBystander(gh.urls.mqtt);
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'noretain' });
    assert.equal(connack.properties?.retainAvailable, false);
    client.send({ cmd: 'publish', topic: 'nr/t', payload: Buffer.from('x'), qos: 0, retain: true, dup: false });
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x9a);
    await client.closed();
    await bystander.check();
    bystander.close();
  });
});

describe('Many retained messages for one new subscription', () => {
  const COUNT = 20_000;
  let gh: TestGatehouse;
  before(async () => {
    // A small socket buffer bound: the retained backlog must wait for 'drain', not drop.
    gh = await startGatehouse({ limits: { maxWriteBuffer: 64 * 1024, maxPublishRate: 0 } });
    const publisher = await mqtt.connectAsync(gh.urls.mqtt, { protocolVersion: 5 });
    const payload = Buffer.alloc(100, 7);
    for (let i = 0; i < COUNT; i++) publisher.publish(`many/${i % 100}/${i}`, payload, { qos: 0, retain: true });
    // PUBLISHes are handled in order, so the PUBACK of a last QoS 1 one means all are stored.
    await publisher.publishAsync('many/last', 'last', { qos: 1, retain: true });
    await publisher.endAsync();
  });
  after(async () => {
    await gh.stop();
  });

  for (const qos of [0, 1] as const) {
    test(`a QoS ${qos} subscription to "many/#" receives all ${COUNT + 1} retained messages, none dropped by the socket bound or the queue bound`, async () => {
      const client = await mqtt.connectAsync(gh.urls.mqtt, { protocolVersion: 5, clean: true });
      const topics = new Set<string>();
      const done = new Promise<void>((resolve) => {
        client.on('message', (topic, _payload, packet) => {
          assert.equal(packet.retain, true);
          topics.add(topic);
          if (topics.size === COUNT + 1) resolve();
        });
      });
      await client.subscribeAsync('many/#', { qos });
      await done;
      assert.equal(topics.size, COUNT + 1);
      const drops = gh.broker.admin.counters.drops;
      assert.equal(drops['slow-consumer'] ?? 0, 0);
      assert.equal(drops['queue-full'] ?? 0, 0);
      await client.endAsync();
    });
  }
});
