/** Sessions: Clean Start, Session Present, Session Expiry, takeover and keepalive (MQTT 3.1.1 and 5.0). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import mqttPacket from 'mqtt-packet';
import { connectWith, publishAcked, startTestBroker, subscribe, type TestBroker } from '../helpers/index.js';

/** Publishes one QoS 1 message from a throwaway MQTT 5 client and disconnects it cleanly. */
async function publishQos1(url: string, topic: string, payload: string): Promise<void> {
  const { client } = await connectWith(url, 5, { clientId: `pub-${Math.random().toString(36).slice(2)}` });
  await publishAcked(client, topic, payload);
  client.send({ cmd: 'disconnect' });
  await client.closed();
}

describe('sessions', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker({ limits: { maxSessionExpiry: 3600 } });
  });
  after(async () => {
    await gh.stop();
  });

  for (const version of [4, 5] as const) {
    const persistent = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false };

    test(`[MQTT-3.1.2-6] [MQTT-3.2.2-4] v${version} Clean Start 0 without a session: Session Present 0`, async () => {
      const { client, connack } = await connectWith(gh.urls.mqtt, version, { clientId: `s-new-${version}`, ...persistent });
      assert.equal(connack.sessionPresent, false);
      client.destroy();
    });

    test(`[MQTT-3.1.2-5] [MQTT-3.2.2-3] [MQTT-3.1.2-23] v${version} Clean Start 0 resumes the session: subscriptions and queued QoS 1 messages`, async () => {
      const clientId = `s-resume-${version}`;
      const first = await connectWith(gh.urls.mqtt, version, { clientId, ...persistent });
      await subscribe(first.client, { topic: `resume/${version}`, qos: 1 });
      first.client.send({ cmd: 'disconnect' });
      await first.client.closed();
      await publishQos1(gh.urls.mqtt, `resume/${version}`, 'while-away');

      const second = await connectWith(gh.urls.mqtt, version, { clientId, ...persistent });
      assert.equal(second.connack.sessionPresent, true);
      const publish = await second.client.expect('publish');
      assert.equal(publish.topic, `resume/${version}`);
      assert.equal(publish.payload.toString(), 'while-away');
      assert.equal(publish.qos, 1);
      second.client.send({ cmd: 'puback', messageId: publish.messageId ?? 0 });
      second.client.destroy();
    });

    test(`[MQTT-3.1.2-4] [MQTT-3.2.2-2] v${version} Clean Start 1 discards the session`, async () => {
      const clientId = `s-clean-${version}`;
      const first = await connectWith(gh.urls.mqtt, version, { clientId, ...persistent });
      await subscribe(first.client, { topic: `clean/${version}`, qos: 1 });
      first.client.send({ cmd: 'disconnect' });
      await first.client.closed();

      const second = await connectWith(gh.urls.mqtt, version, { clientId, clean: true });
      assert.equal(second.connack.sessionPresent, false);
      await publishQos1(gh.urls.mqtt, `clean/${version}`, 'nobody-home');
      second.client.send({ cmd: 'pingreq' });
      assert.equal((await second.client.next()).cmd, 'pingresp', 'the old subscription is gone');
      second.client.destroy();
    });

    test(`[MQTT-3.1.4-3] v${version} a second connection with the same client id takes the session over`, async () => {
      const clientId = `s-takeover-${version}`;
      const old = await connectWith(gh.urls.mqtt, version, { clientId, ...persistent });
      await subscribe(old.client, { topic: `takeover/${version}`, qos: 1 });
      const fresh = await connectWith(gh.urls.mqtt, version, { clientId, ...persistent });
      assert.equal(fresh.connack.sessionPresent, true, 'the new connection gets the live session');
      const rest = await old.client.closed();
      if (version === 5) {
        assert.equal(rest.length, 1);
        assert.equal(rest[0]?.cmd, 'disconnect');
        assert.equal((rest[0] as mqttPacket.IDisconnectPacket).reasonCode, 0x8e);
      } else {
        assert.deepEqual(rest, [], 'a 3.1.1 client is just closed');
      }
      await publishQos1(gh.urls.mqtt, `takeover/${version}`, 'to-new');
      const publish = await fresh.client.expect('publish');
      assert.equal(publish.payload.toString(), 'to-new');
      fresh.client.destroy();
    });
  }

  test('v5 Session Expiry Interval 0 ends the session with the connection', async () => {
    const first = await connectWith(gh.urls.mqtt, 5, { clientId: 's-exp0', clean: false });
    await subscribe(first.client, { topic: 'exp0/t', qos: 1 });
    first.client.destroy();
    await first.client.closed();
    const second = await connectWith(gh.urls.mqtt, 5, { clientId: 's-exp0', clean: false });
    assert.equal(second.connack.sessionPresent, false);
    second.client.destroy();
  });

  test('v5 the session expires after its Session Expiry Interval', async () => {
    const first = await connectWith(gh.urls.mqtt, 5, { clientId: 's-exp1', clean: false, properties: { sessionExpiryInterval: 1 } });
    await subscribe(first.client, { topic: 'exp1/t', qos: 1 });
    first.client.send({ cmd: 'disconnect' });
    await first.client.closed();
    await sleep(2200);
    const second = await connectWith(gh.urls.mqtt, 5, { clientId: 's-exp1', clean: false, properties: { sessionExpiryInterval: 1 } });
    assert.equal(second.connack.sessionPresent, false);
    second.client.destroy();
  });

  test('v5 DISCONNECT may change the Session Expiry Interval (3.14.2.2.2)', async () => {
    const first = await connectWith(gh.urls.mqtt, 5, { clientId: 's-disc-exp', clean: false, properties: { sessionExpiryInterval: 60 } });
    first.client.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    await first.client.closed();
    const second = await connectWith(gh.urls.mqtt, 5, { clientId: 's-disc-exp', clean: false, properties: { sessionExpiryInterval: 60 } });
    assert.equal(second.connack.sessionPresent, false, 'expiry 0 at DISCONNECT ended the session');
    second.client.destroy();
  });

  test('v5 DISCONNECT with a non-zero Session Expiry after 0 at CONNECT is a protocol error (3.14.2.2.2)', async () => {
    const { client } = await connectWith(gh.urls.mqtt, 5, { clientId: 's-disc-bad', clean: true });
    client.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 30 } });
    const rest = await client.closed();
    assert.equal(rest[0]?.cmd, 'disconnect');
    assert.equal((rest[0] as mqttPacket.IDisconnectPacket).reasonCode, 0x82);
  });

  test('v3.1.1 clean session 0 keeps the session without expiry', async () => {
    const first = await connectWith(gh.urls.mqtt, 4, { clientId: 's-311-keep', clean: false });
    await subscribe(first.client, { topic: 'keep/t', qos: 1 });
    first.client.destroy();
    await first.client.closed();
    await sleep(1200);
    const second = await connectWith(gh.urls.mqtt, 4, { clientId: 's-311-keep', clean: false });
    assert.equal(second.connack.sessionPresent, true);
    second.client.destroy();
  });
});

describe('keepalive', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker({ limits: { maxKeepAlive: 2 } });
  });
  after(async () => {
    await gh.stop();
  });

  for (const version of [4, 5] as const) {
    test(`[MQTT-3.1.2-22] [MQTT-3.1.2-24] v${version} a silent client is closed after 1.5 times its keepalive`, async () => {
      const { client, connack } = await connectWith(gh.urls.mqtt, version, { clientId: `ka-silent-${version}`, keepalive: 1 });
      if (version === 5) assert.equal(connack.properties?.serverKeepAlive, undefined, 'keepalive 1 is within the maximum');
      const started = Date.now();
      const rest = await client.closed(4000);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 1400, `closed after ${elapsed} ms, before 1.5 x keepalive`);
      if (version === 5) {
        assert.equal(rest[0]?.cmd, 'disconnect');
        assert.equal((rest[0] as mqttPacket.IDisconnectPacket).reasonCode, 0x8d);
      }
    });

    test(`[MQTT-3.12.4-1] v${version} PINGREQ gets PINGRESP and keeps the connection open`, async () => {
      const { client } = await connectWith(gh.urls.mqtt, version, { clientId: `ka-ping-${version}`, keepalive: 1 });
      for (let i = 0; i < 5; i++) {
        await sleep(600);
        client.send({ cmd: 'pingreq' });
        assert.equal((await client.next()).cmd, 'pingresp');
      }
      assert.equal(client.isClosed, false);
      client.destroy();
    });
  }

  test('[MQTT-3.2.2-21] v5 Server Keep Alive replaces a keepalive above the maximum, and is enforced', async () => {
    const { client, connack } = await connectWith(gh.urls.mqtt, 5, { clientId: 'ka-server', keepalive: 600 });
    assert.equal(connack.properties?.serverKeepAlive, 2);
    const started = Date.now();
    const rest = await client.closed(6000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 2900, `closed after ${elapsed} ms`);
    assert.equal((rest[0] as mqttPacket.IDisconnectPacket).reasonCode, 0x8d);
  });

  test('[MQTT-3.2.2-21] v5 keepalive 0 is answered with Server Keep Alive when the server has a maximum', async () => {
    const { client, connack } = await connectWith(gh.urls.mqtt, 5, { clientId: 'ka-zero', keepalive: 0 });
    assert.equal(connack.properties?.serverKeepAlive, 2);
    client.destroy();
  });

  test('[MQTT-3.2.2-22] v5 without Server Keep Alive the client value applies: keepalive 0 never times out', async () => {
    const open = await startTestBroker({ limits: { maxKeepAlive: 0 } });
    try {
      const { client, connack } = await connectWith(open.urls.mqtt, 5, { clientId: 'ka-none', keepalive: 0 });
      assert.equal(connack.properties?.serverKeepAlive, undefined);
      await sleep(2500);
      client.send({ cmd: 'pingreq' });
      assert.equal((await client.next()).cmd, 'pingresp');
      client.destroy();
    } finally {
      await open.stop();
    }
  });
});
