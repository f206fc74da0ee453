/**
 * SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK (MQTT 5.0 3.8-3.11 and 4.7, MQTT 3.1.1 3.8-3.11 and
 * 4.7): wildcards and `$`-topics, invalid filters, overlapping subscriptions, Subscription
 * Identifiers, No Local, and the malformed cases, by raw packets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { collect, expectClose, open, publishAcked, RawMqtt, startBystander, startTestBroker, subscribe, type TestBroker } from '../helpers/index.js';

for (const version of [4, 5] as const) {
  const label = version === 5 ? 'MQTT 5.0' : 'MQTT 3.1.1';
  const failure = version === 5 ? 0x8f : 0x80;
  describe(`Subscriptions, ${label}`, () => {
    let gh: TestBroker;
    before(async () => {
      gh = await startTestBroker({ limits: { maxSubscriptionsPerClient: 20 } });
    });
    after(async () => {
      await gh.stop();
    });

    test('[MQTT-4.7.1-1] [MQTT-4.7.1-2] + matches one level and # any number, including the parent level', async () => {
      const p = `w${version}`;
      const sub = await open(gh.urls.mqtt, version, `wild-sub-${version}`);
      assert.deepEqual(await subscribe(sub, [{ topic: `${p}/+/temp`, qos: 0 }, { topic: `${p}/house/#`, qos: 0 }], { expectGranted: false }), [0, 0]);
      const pub = await open(gh.urls.mqtt, version, `wild-pub-${version}`);
      for (const topic of [`${p}/kitchen/temp`, `${p}/house`, `${p}/house/a/b`, `${p}/a/b/temp`, `${p}//temp`, `${p}/other`]) await publishAcked(pub, topic, topic, { expectSuccess: true });
      const topics = (await collect(sub)).map((m) => m.topic).sort();
      assert.deepEqual(topics, [`${p}//temp`, `${p}/house`, `${p}/house/a/b`, `${p}/kitchen/temp`]);
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-4.7.2-1] filters starting with a wildcard do not match $-topics; $-filters do', async () => {
      const sub = await open(gh.urls.mqtt, version, `dollar-sub-${version}`);
      await subscribe(sub, [{ topic: '#', qos: 0 }, { topic: '+/status', qos: 0 }], { expectGranted: false });
      const dollar = await open(gh.urls.mqtt, version, `dollar-sub2-${version}`);
      await subscribe(dollar, [{ topic: `$app${version}/#`, qos: 0 }, { topic: `$app${version}/+`, qos: 0 }], { expectGranted: false });
      const pub = await open(gh.urls.mqtt, version, `dollar-pub-${version}`);
      await publishAcked(pub, `$app${version}/status`, 'dollar', { expectSuccess: true });
      const wildcard = (await collect(sub)).filter((m) => m.topic.startsWith('$'));
      assert.deepEqual(wildcard, [], '# and +/status must not see $app/status');
      const direct = await collect(dollar);
      assert.equal(direct.length, 1, '[MQTT-3.3.4-2] one delivery for two matching filters');
      sub.destroy();
      dollar.destroy();
      pub.destroy();
    });

    test('[MQTT-3.8.4-6] [MQTT-3.9.3-1] invalid filters are refused one by one in order, the valid ones granted (v5 0x8F, 3.1.1 0x80)', async () => {
      const sub = await open(gh.urls.mqtt, version, `invalid-sub-${version}`);
      const filters = ['ok/+', 'a/#/b', 'a+', '#/a', 'a/b#', '', 'ok/#', '$share/g', '$share//x', '$share/g+/x', '$share/g/'];
      const granted = await subscribe(sub, filters.map((topic) => ({ topic, qos: 1 })), { expectGranted: false });
      assert.deepEqual(granted, [1, failure, failure, failure, failure, failure, 1, failure, failure, failure, failure]);
      const pub = await open(gh.urls.mqtt, version, `invalid-pub-${version}`);
      await publishAcked(pub, 'ok/x', 'still subscribed', { expectSuccess: true });
      const got = await collect(sub);
      assert.equal(got.length, 1);
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-3.8.3-2] a SUBSCRIBE without filters is a protocol error (3.1.1: [MQTT-3.8.3-3]); others keep working', async () => {
      const bystander = await startBystander(gh.urls.mqtt);
      const client = await open(gh.urls.mqtt, version, `nofilter-${version}`);
      client.sendHex(version === 5 ? '82 03 0001 00' : '82 02 0001');
      await expectClose(client, version, 0x82);
      await bystander.check();
      bystander.close();
    });

    test('[MQTT-3.8.4-3] subscribing again to the same filter replaces the subscription (new QoS, one delivery)', async () => {
      const sub = await open(gh.urls.mqtt, version, `replace-sub-${version}`);
      await subscribe(sub, [{ topic: `rep${version}/t`, qos: 0 }], { expectGranted: false });
      await subscribe(sub, [{ topic: `rep${version}/t`, qos: 1 }], { expectGranted: false });
      const pub = await open(gh.urls.mqtt, version, `replace-pub-${version}`);
      await publishAcked(pub, `rep${version}/t`, 'x', { expectSuccess: true });
      const got = await collect(sub);
      assert.equal(got.length, 1);
      assert.equal(got[0]?.qos, 1);
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-3.3.4-2] overlapping subscriptions give one delivery at the highest granted QoS', async () => {
      const sub = await open(gh.urls.mqtt, version, `overlap-sub-${version}`);
      await subscribe(sub, [{ topic: `ov${version}/+`, qos: 0 }, { topic: `ov${version}/#`, qos: 1 }, { topic: `ov${version}/t`, qos: 0 }], { expectGranted: false });
      const pub = await open(gh.urls.mqtt, version, `overlap-pub-${version}`);
      await publishAcked(pub, `ov${version}/t`, 'x', { expectSuccess: true });
      const got = await collect(sub);
      assert.equal(got.length, 1);
      assert.equal(got[0]?.qos, 1);
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-3.10.4-1] [MQTT-3.10.4-2] [MQTT-3.10.4-5] [MQTT-3.11.3-1] UNSUBSCRIBE removes exactly matching filters; UNSUBACK even for unknown ones', async () => {
      const sub = await open(gh.urls.mqtt, version, `unsub-${version}`);
      await subscribe(sub, [{ topic: `un${version}/+`, qos: 0 }, { topic: `un${version}/a`, qos: 0 }], { expectGranted: false });
      sub.send({ cmd: 'unsubscribe', messageId: 900, unsubscriptions: [`un${version}/+`, `un${version}/#`] });
      const unsuback = await sub.expect('unsuback');
      assert.equal(unsuback.messageId, 900);
      if (version === 5) assert.deepEqual(unsuback.granted, [0x00, 0x11]);
      const pub = await open(gh.urls.mqtt, version, `unsub-pub-${version}`);
      await publishAcked(pub, `un${version}/a`, 'a', { expectSuccess: true });
      await publishAcked(pub, `un${version}/b`, 'b', { expectSuccess: true });
      const got = (await collect(sub)).map((m) => m.topic);
      assert.deepEqual(got, [`un${version}/a`], 'only the remaining exact subscription delivers');
      sub.destroy();
      pub.destroy();
    });

    test('a subscription beyond limits.maxSubscriptionsPerClient is refused (v5 0x97)', async () => {
      const sub = await open(gh.urls.mqtt, version, `quota-${version}`);
      const filters = Array.from({ length: 21 }, (_, i) => ({ topic: `q${version}/${i}`, qos: 0 as const }));
      const granted = await subscribe(sub, filters, { expectGranted: false });
      assert.deepEqual(granted.slice(0, 20), Array.from({ length: 20 }, () => 0));
      assert.equal(granted[20], version === 5 ? 0x97 : 0x80);
      sub.destroy();
    });
  });
}

describe('MQTT 5.0 subscription options and identifiers', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker();
  });
  after(async () => {
    await gh.stop();
  });

  test('[MQTT-3.8.3-3] No Local: the publisher does not get its own message; others do', async () => {
    const self = await open(gh.urls.mqtt, 5, 'nolocal-self');
    await subscribe(self, [{ topic: 'nl/t', qos: 1, nl: true }], { expectGranted: false });
    const other = await open(gh.urls.mqtt, 5, 'nolocal-other');
    await subscribe(other, [{ topic: 'nl/t', qos: 1, nl: true }], { expectGranted: false });
    await publishAcked(self, 'nl/t', 'mine', { expectSuccess: true });
    assert.equal((await collect(self)).length, 0);
    assert.equal((await collect(other)).length, 1);
    self.destroy();
    other.destroy();
  });

  test('[MQTT-3.3.4-3] [MQTT-3.3.4-4] one delivery for overlapping subscriptions carries every Subscription Identifier', async () => {
    const sub = await open(gh.urls.mqtt, 5, 'subid-sub');
    await subscribe(sub, [{ topic: 'sid/+', qos: 0 }], { properties: { subscriptionIdentifier: 7 }, expectGranted: false });
    await subscribe(sub, [{ topic: 'sid/#', qos: 1 }], { properties: { subscriptionIdentifier: 268_435_455 }, expectGranted: false });
    await subscribe(sub, [{ topic: 'sid/t', qos: 0 }], { expectGranted: false });
    const pub = await open(gh.urls.mqtt, 5, 'subid-pub');
    await publishAcked(pub, 'sid/t', 'x', { expectSuccess: true });
    const got = await collect(sub);
    assert.equal(got.length, 1);
    const ids = got[0]?.properties?.subscriptionIdentifier;
    assert.deepEqual((Array.isArray(ids) ? ids : [ids]).sort((a, b) => Number(a) - Number(b)), [7, 268_435_455]);
    await publishAcked(pub, 'sid/t/deeper', 'y', { expectSuccess: true });
    const deeper = await collect(sub);
    assert.equal(deeper[0]?.properties?.subscriptionIdentifier, 268_435_455, 'only the matching subscription\'s identifier');
    sub.destroy();
    pub.destroy();
  });

  test('a subscription replaced without an identifier loses it', async () => {
    const sub = await open(gh.urls.mqtt, 5, 'subid-replace');
    await subscribe(sub, [{ topic: 'sidr/t', qos: 0 }], { properties: { subscriptionIdentifier: 5 }, expectGranted: false });
    await subscribe(sub, [{ topic: 'sidr/t', qos: 0 }], { expectGranted: false });
    const pub = await open(gh.urls.mqtt, 5, 'subid-replace-pub');
    await publishAcked(pub, 'sidr/t', 'x', { expectSuccess: true });
    const got = await collect(sub);
    assert.equal(got[0]?.properties?.subscriptionIdentifier, undefined);
    sub.destroy();
    pub.destroy();
  });

  test('a Subscription Identifier of 0 is a protocol error (3.8.2.1.2): DISCONNECT 0x82, others keep working', async () => {
    const bystander = await startBystander(gh.urls.mqtt);
    const client = await open(gh.urls.mqtt, 5, 'subid-zero');
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }], properties: { subscriptionIdentifier: 0 } });
    await expectClose(client, 5, 0x82);
    await bystander.check();
    bystander.close();
  });

  test('[MQTT-3.8.3-4] No Local on a shared subscription is a protocol error: DISCONNECT 0x82', async () => {
    const bystander = await startBystander(gh.urls.mqtt);
    const client = await open(gh.urls.mqtt, 5, 'nolocal-shared');
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/a', qos: 0, nl: true }] });
    await expectClose(client, 5, 0x82);
    await bystander.check();
    bystander.close();
  });

  test('[MQTT-3.8.3-5] reserved bits in the subscription options are malformed: DISCONNECT 0x81', async () => {
    const client = await open(gh.urls.mqtt, 5, 'reserved-bits');
    // SUBSCRIBE id 1, no properties, filter "a", options 0xC0 (reserved bits 6-7 set)
    client.sendHex('82 07 0001 00 0001 61 c0');
    await expectClose(client, 5, 0x81);
  });

  test('[MQTT-3.8.1-1] SUBSCRIBE with wrong fixed-header flags is malformed: closed', async () => {
    const client = await open(gh.urls.mqtt, 5, 'sub-flags');
    client.sendHex('80 07 0001 00 0001 61 00');
    const packets = await client.closed();
    assert.ok(packets.every((p) => p.cmd === 'disconnect' && (p as { reasonCode?: number }).reasonCode === 0x81));
  });
});

describe('Features turned off, MQTT 5.0', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker({ features: { wildcardSubscriptionAvailable: false, sharedSubscriptionAvailable: false, subscriptionIdentifiersAvailable: false } });
  });
  after(async () => {
    await gh.stop();
  });

  test('CONNACK says so; wildcard filters get 0xA2 and shared ones 0x9E', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'features-off' });
    assert.equal(connack.properties?.wildcardSubscriptionAvailable, false);
    assert.equal(connack.properties?.sharedSubscriptionAvailable, false);
    assert.equal(connack.properties?.subscriptionIdentifiersAvailable, false);
    const granted = await subscribe(client, [{ topic: 'a/+', qos: 0 }, { topic: '$share/g/a', qos: 0 }, { topic: 'a/b', qos: 0 }], { expectGranted: false });
    assert.deepEqual(granted, [0xa2, 0x9e, 0]);
    client.destroy();
  });

  test('a Subscription Identifier when they are not available gets DISCONNECT 0xA1 (3.2.2.3.12)', async () => {
    const client = await open(gh.urls.mqtt, 5, 'subid-off');
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }], properties: { subscriptionIdentifier: 3 } });
    await expectClose(client, 5, 0xa1);
  });
});
