/** Last will: when it is published, when it is discarded, Will Delay Interval and will on session end. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type mqttPacket from 'mqtt-packet';
import { assertQuiet, open, RawMqtt, startTestBroker, type RawProtocolVersion, type TestBroker } from '../helpers/index.js';

let watcherId = 0;

/** A v5 client subscribed to `filter` that collects PUBLISHes. */
async function watch(url: string, filter: string): Promise<RawMqtt> {
  const client = await RawMqtt.connect(url, { protocolVersion: 5 });
  await client.handshake({ clientId: `will-watch-${++watcherId}` });
  client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 1, rap: true }] });
  await client.expect('suback');
  return client;
}

/** Connects `clientId` with a last will (and any other CONNECT fields in `extra`). */
function withWill(url: string, version: RawProtocolVersion, clientId: string, will: NonNullable<mqttPacket.IConnectPacket['will']>, extra: Partial<mqttPacket.IConnectPacket> = {}): Promise<RawMqtt> {
  return open(url, version, clientId, { will, ...extra });
}

describe('last will', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker();
  });
  after(async () => {
    await gh.stop();
  });

  for (const version of [4, 5] as const) {
    test(`[MQTT-3.1.2-8] v${version} the will is published when the connection drops`, async () => {
      const watcher = await watch(gh.urls.mqtt, `w${version}/drop`);
      const client = await withWill(gh.urls.mqtt, version, `w-drop-${version}`, { topic: `w${version}/drop`, payload: Buffer.from('gone'), qos: 1, retain: false });
      client.destroy();
      const publish = await watcher.expect('publish');
      assert.equal(publish.topic, `w${version}/drop`);
      assert.equal(publish.payload.toString(), 'gone');
      assert.equal(publish.qos, 1);
      assert.equal(publish.retain, false, '[MQTT-3.1.2-14] will retain 0 is published without retain');
      watcher.destroy();
    });

    test(`[MQTT-3.1.2-10] [MQTT-3.14.4-3] v${version} DISCONNECT (0x00) discards the will`, async () => {
      const watcher = await watch(gh.urls.mqtt, `w${version}/clean`);
      const client = await withWill(gh.urls.mqtt, version, `w-clean-${version}`, { topic: `w${version}/clean`, payload: Buffer.from('x'), qos: 0, retain: false });
      client.send({ cmd: 'disconnect' });
      await client.closed();
      await assertQuiet(watcher, 500);
      watcher.destroy();
    });

    test(`[MQTT-3.1.2-15] v${version} a will with retain 1 is published as a retained message`, async () => {
      const client = await withWill(gh.urls.mqtt, version, `w-retain-${version}`, { topic: `w${version}/retain`, payload: Buffer.from('last'), qos: 0, retain: true });
      client.destroy();
      await client.closed();
      await sleep(100);
      const late = await watch(gh.urls.mqtt, `w${version}/retain`);
      const publish = await late.expect('publish');
      assert.equal(publish.payload.toString(), 'last');
      assert.equal(publish.retain, true);
      late.destroy();
    });

    test(`[MQTT-3.1.2-8] v${version} the will is published when the server closes the connection for a protocol error`, async () => {
      const watcher = await watch(gh.urls.mqtt, `w${version}/error`);
      const client = await withWill(gh.urls.mqtt, version, `w-error-${version}`, { topic: `w${version}/error`, payload: Buffer.from('broken'), qos: 0, retain: false });
      client.send({ cmd: 'connect', protocolVersion: version, clientId: `w-error-${version}`, clean: true, keepalive: 0 });
      await client.closed();
      const publish = await watcher.expect('publish');
      assert.equal(publish.payload.toString(), 'broken');
      watcher.destroy();
    });
  }

  test('v5 DISCONNECT with Will (0x04) publishes the will', async () => {
    const watcher = await watch(gh.urls.mqtt, 'w5/with-will');
    const client = await withWill(gh.urls.mqtt, 5, 'w-0x04', { topic: 'w5/with-will', payload: Buffer.from('asked'), qos: 0, retain: false });
    client.send({ cmd: 'disconnect', reasonCode: 0x04 });
    await client.closed();
    const publish = await watcher.expect('publish');
    assert.equal(publish.payload.toString(), 'asked');
    watcher.destroy();
  });

  test('[MQTT-3.1.3-10] v5 will properties and the order of User Properties are kept', async () => {
    const watcher = await watch(gh.urls.mqtt, 'w5/props');
    const client = await withWill(gh.urls.mqtt, 5, 'w-props', {
      topic: 'w5/props',
      payload: Buffer.from('{}'),
      qos: 0,
      retain: false,
      properties: { contentType: 'application/json', responseTopic: 'reply/here', correlationData: Buffer.from('c1'), userProperties: { b: '2', a: '1' }, payloadFormatIndicator: true },
    });
    client.destroy();
    const publish = await watcher.expect('publish');
    assert.equal(publish.properties?.contentType, 'application/json');
    assert.equal(publish.properties?.responseTopic, 'reply/here');
    assert.equal(Buffer.from(publish.properties?.correlationData ?? []).toString(), 'c1');
    assert.equal(publish.properties?.payloadFormatIndicator, true);
    assert.deepEqual(Object.keys(publish.properties?.userProperties ?? {}), ['b', 'a']);
    watcher.destroy();
  });

  test('[MQTT-3.1.2-8] v5 Will Delay Interval delays the will', async () => {
    const watcher = await watch(gh.urls.mqtt, 'w5/delay');
    const client = await withWill(gh.urls.mqtt, 5, 'w-delay', { topic: 'w5/delay', payload: Buffer.from('late'), qos: 0, retain: false, properties: { willDelayInterval: 2 } }, { clean: true, properties: { sessionExpiryInterval: 30 } });
    const dropped = Date.now();
    client.destroy();
    await assertQuiet(watcher, 1000);
    const publish = await watcher.expect('publish', 4000);
    assert.equal(publish.payload.toString(), 'late');
    assert.ok(Date.now() - dropped >= 1800, 'not before the delay');
    watcher.destroy();
  });

  test('[MQTT-3.1.3-9] v5 a new connection to the session before the Will Delay Interval cancels the will', async () => {
    const watcher = await watch(gh.urls.mqtt, 'w5/cancel');
    const session = { clean: false, properties: { sessionExpiryInterval: 30 } };
    const client = await withWill(gh.urls.mqtt, 5, 'w-cancel', { topic: 'w5/cancel', payload: Buffer.from('no'), qos: 0, retain: false, properties: { willDelayInterval: 1 } }, session);
    client.destroy();
    await client.closed();
    const back = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await back.handshake({ clientId: 'w-cancel', ...session });
    assert.equal(connack.sessionPresent, true);
    await assertQuiet(watcher, 2000);
    back.destroy();
    watcher.destroy();
  });

  test('[MQTT-3.1.3-9] v5 takeover with Clean Start 0 before the Will Delay Interval does not publish the will', async () => {
    const watcher = await watch(gh.urls.mqtt, 'w5/takeover-delay');
    const session = { clean: false, properties: { sessionExpiryInterval: 30 } };
    const old = await withWill(gh.urls.mqtt, 5, 'w-take-delay', { topic: 'w5/takeover-delay', payload: Buffer.from('no'), qos: 0, retain: false, properties: { willDelayInterval: 1 } }, session);
    const fresh = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    assert.equal((await fresh.handshake({ clientId: 'w-take-delay', ...session })).sessionPresent, true);
    await old.closed();
    await assertQuiet(watcher, 2000);
    fresh.destroy();
    watcher.destroy();
  });

  test('[MQTT-3.1.4-3] v5 takeover publishes the old connection\'s will when it has no delay', async () => {
    const watcher = await watch(gh.urls.mqtt, 'w5/takeover');
    const old = await withWill(gh.urls.mqtt, 5, 'w-take', { topic: 'w5/takeover', payload: Buffer.from('replaced'), qos: 0, retain: false });
    const fresh = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    await fresh.handshake({ clientId: 'w-take' });
    const publish = await watcher.expect('publish');
    assert.equal(publish.payload.toString(), 'replaced');
    fresh.destroy();
    old.destroy();
    watcher.destroy();
  });

  test('v5 will on session end: a Will Delay longer than the Session Expiry publishes when the session ends', async () => {
    const watcher = await watch(gh.urls.mqtt, 'w5/session-end');
    const client = await withWill(gh.urls.mqtt, 5, 'w-end', { topic: 'w5/session-end', payload: Buffer.from('ended'), qos: 0, retain: false, properties: { willDelayInterval: 60 } }, { clean: true, properties: { sessionExpiryInterval: 1 } });
    const dropped = Date.now();
    client.destroy();
    const publish = await watcher.expect('publish', 4000);
    assert.equal(publish.payload.toString(), 'ended');
    assert.ok(Date.now() - dropped >= 800, 'published at session end, not at once');
    watcher.destroy();
  });

  test('v5 will on session end: Clean Start 1 from a new connection publishes a delayed will at once', async () => {
    const watcher = await watch(gh.urls.mqtt, 'w5/clean-end');
    const client = await withWill(gh.urls.mqtt, 5, 'w-clean-end', { topic: 'w5/clean-end', payload: Buffer.from('now'), qos: 0, retain: false, properties: { willDelayInterval: 60 } }, { clean: false, properties: { sessionExpiryInterval: 60 } });
    client.destroy();
    await client.closed();
    await assertQuiet(watcher, 300);
    const back = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    await back.handshake({ clientId: 'w-clean-end', clean: true });
    const publish = await watcher.expect('publish');
    assert.equal(publish.payload.toString(), 'now');
    back.destroy();
    watcher.destroy();
  });

  test('[MQTT-3.1.2-8] v5 the will is published after a keepalive timeout', async () => {
    const watcher = await watch(gh.urls.mqtt, 'w5/keepalive');
    const client = await withWill(gh.urls.mqtt, 5, 'w-ka', { topic: 'w5/keepalive', payload: Buffer.from('silent'), qos: 0, retain: false }, { keepalive: 1 });
    const publish = await watcher.expect('publish', 4000);
    assert.equal(publish.payload.toString(), 'silent');
    await client.closed();
    watcher.destroy();
  });

  for (const [name, hex, tag] of [
    ['Will QoS 3', '10 16 0004 4d515454 04 1e 003c 0002 6331 0002 772f 0002 6869', 'MQTT-3.1.2-12'],
    ['Will QoS 1 without the Will Flag', '10 0e 0004 4d515454 04 0a 003c 0002 6331', 'MQTT-3.1.2-11'],
    ['Will Retain without the Will Flag', '10 0e 0004 4d515454 04 22 003c 0002 6331', 'MQTT-3.1.2-13'],
  ] as const) {
    test(`[${tag}] v3.1.1 CONNECT with ${name} is malformed: closed without success`, async () => {
      const client = await RawMqtt.connect(gh.urls.mqtt);
      client.sendHex(hex);
      const rest = await client.closed();
      assert.ok(rest.every((p) => p.cmd === 'connack' && (p as mqttPacket.IConnackPacket).returnCode !== 0), JSON.stringify(rest));
    });
  }

  test('v5 a will topic with a wildcard is refused with 0x90 Topic Name invalid', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'w-bad-topic', will: { topic: 'a/+', payload: Buffer.from(''), qos: 0, retain: false } });
    assert.equal(connack.reasonCode, 0x90);
    await client.closed();
  });
});
