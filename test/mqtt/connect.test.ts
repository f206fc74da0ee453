/** CONNECT and CONNACK (MQTT 3.1.1 section 3.1-3.2, MQTT 5.0 section 3.1-3.2), by raw packets. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertHealthy, RawMqtt, startTestBroker, type TestBroker } from '../helpers/index.js';

describe('CONNECT and CONNACK', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker({ limits: { maxSessionExpiry: 3600, maxClientIdLength: 64 } });
  });
  after(async () => {
    await gh.stop();
  });

  test('[MQTT-3.1.4-5] [MQTT-3.2.2-2] v5 CONNACK 0x00 carries the server limits and Session Present 0', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'c-props', clean: true });
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.sessionPresent, false);
    assert.equal(connack.properties?.maximumPacketSize, 256 * 1024);
    assert.equal(connack.properties?.topicAliasMaximum, 16);
    assert.equal(connack.properties?.receiveMaximum, 100);
    assert.equal(connack.properties?.assignedClientIdentifier, undefined);
    assert.equal(connack.properties?.responseInformation, undefined, '[MQTT-3.1.2-28] no Response Information unless requested');
    client.destroy();
  });

  test('v5 CONNACK tells the granted Session Expiry Interval when the request exceeds the maximum', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'c-expiry', clean: true, properties: { sessionExpiryInterval: 999_999 } });
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.properties?.sessionExpiryInterval, 3600);
    client.destroy();
  });

  test('[MQTT-3.1.3-6] [MQTT-3.1.3-7] [MQTT-3.2.2-16] v5 empty client id gets an Assigned Client Identifier', async () => {
    const a = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const b = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const ackA = await a.handshake({ clientId: '' });
    const ackB = await b.handshake({ clientId: '' });
    assert.equal(ackA.reasonCode, 0);
    const idA = ackA.properties?.assignedClientIdentifier;
    const idB = ackB.properties?.assignedClientIdentifier;
    assert.ok(typeof idA === 'string' && idA.length > 0);
    assert.ok(typeof idB === 'string' && idB.length > 0);
    assert.notEqual(idA, idB);
    // Both stay connected: the ids are distinct sessions, not a takeover.
    a.send({ cmd: 'pingreq' });
    b.send({ cmd: 'pingreq' });
    await a.expect('pingresp');
    await b.expect('pingresp');
    a.destroy();
    b.destroy();
  });

  test('[MQTT-3.1.3-6] v3.1.1 empty client id with clean session 1 is accepted', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt);
    const connack = await client.handshake({ clientId: '', clean: true });
    assert.equal(connack.returnCode, 0);
    client.destroy();
  });

  test('[MQTT-3.1.3-8] v3.1.1 empty client id with clean session 0 gets return code 2 and close', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt);
    // mqtt-packet refuses to encode this CONNECT, so it is written by hand.
    client.sendHex('10 0c 0004 4d515454 04 00 003c 0000');
    const connack = await client.expect('connack');
    assert.equal(connack.returnCode, 2);
    assert.equal(connack.sessionPresent, false);
    await client.closed();
  });

  test('[MQTT-3.1.3-5] a 23-character alphanumeric client id is accepted', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt);
    const connack = await client.handshake({ clientId: 'abcdefghijklmnopqrstuvw', clean: true });
    assert.equal(connack.returnCode, 0);
    client.destroy();
  });

  for (const version of [4, 5] as const) {
    test(`[MQTT-3.1.3-8] v${version} client id the server does not accept: identifier rejected, close`, async () => {
      const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: version });
      const connack = await client.handshake({ clientId: 'x'.repeat(65) });
      if (version === 5) {
        assert.equal(connack.reasonCode, 0x85);
        assert.ok(typeof connack.properties?.reasonString === 'string', 'reason string explains the refusal');
      } else {
        assert.equal(connack.returnCode, 2);
      }
      assert.equal(connack.sessionPresent, false);
      await client.closed();
      await assertHealthy(gh.urls.mqtt);
    });
  }

  test('[MQTT-3.1.2-28] v5 Request Response Information 1 returns Response Information', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'c-rri', properties: { requestResponseInformation: true } });
    assert.equal(connack.reasonCode, 0);
    assert.ok(typeof connack.properties?.responseInformation === 'string' && connack.properties.responseInformation.length > 0);
    client.destroy();
  });

  test('[MQTT-3.1.2-29] v5 with Request Problem Information 0 a refused CONNECT may still carry a reason string', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'y'.repeat(65), properties: { requestProblemInformation: false } });
    assert.equal(connack.reasonCode, 0x85);
    await client.closed();
  });

  test('v5 Receive Maximum 0 is a protocol error (3.1.2.11.3)', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    // mqtt-packet refuses to encode 0, so the CONNECT is written by hand: properties 21 00 00.
    client.sendHex('10 12 0004 4d515454 05 02 003c 03 210000 0002 6331');
    const connack = await client.expect('connack');
    assert.equal(connack.reasonCode, 0x82);
    await client.closed();
    await assertHealthy(gh.urls.mqtt);
  });

  test('v5 Maximum Packet Size 0 is a protocol error (3.1.2.11.4)', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    client.sendHex('10 14 0004 4d515454 05 02 003c 05 2700000000 0002 6331');
    const connack = await client.expect('connack');
    assert.equal(connack.reasonCode, 0x82);
    await client.closed();
  });

  test('[MQTT-3.1.2-24] [MQTT-3.1.2-25] the server never sends a packet above the client\'s Maximum Packet Size', async () => {
    const small = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    assert.equal((await small.handshake({ clientId: 'c-small', properties: { maximumPacketSize: 128, userProperties: { region: 'eu' } } })).reasonCode, 0);
    small.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'mps/t', qos: 0 }] });
    await small.expect('suback');
    const publisher = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    await publisher.handshake({ clientId: 'c-small-pub' });
    publisher.send({ cmd: 'publish', topic: 'mps/t', payload: Buffer.alloc(500, 1), qos: 0, retain: false, dup: false });
    publisher.send({ cmd: 'publish', topic: 'mps/t', payload: Buffer.from('fits'), qos: 0, retain: false, dup: false });
    const publish = await small.expect('publish');
    assert.equal(publish.payload.toString(), 'fits', 'the oversized message was discarded, not sent');
    small.destroy();
    publisher.destroy();
  });

  for (const maximum of [0, 2] as const) {
    test(`[MQTT-3.1.2-26] [MQTT-3.1.2-27] v5 Topic Alias Maximum ${maximum}: the server uses ${maximum === 0 ? 'no aliases' : 'aliases 1..2 only'}`, async () => {
      const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
      await client.handshake({ clientId: `c-alias-${maximum}`, ...(maximum === 0 ? {} : { properties: { topicAliasMaximum: maximum } }) });
      client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `alias${maximum}/#`, qos: 0 }] });
      await client.expect('suback');
      const publisher = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
      await publisher.handshake({ clientId: `c-alias-pub-${maximum}` });
      const topics = ['a', 'b', 'c', 'a', 'b', 'c'].map((t) => `alias${maximum}/${t}`);
      for (const topic of topics) publisher.send({ cmd: 'publish', topic, payload: Buffer.from(topic), qos: 0, retain: false, dup: false });
      const known = new Map<number, string>();
      for (const topic of topics) {
        const publish = await client.expect('publish');
        const alias = publish.properties?.topicAlias;
        if (maximum === 0) assert.equal(alias, undefined);
        else if (alias !== undefined) {
          assert.ok(alias >= 1 && alias <= maximum, `alias ${alias}`);
          if (publish.topic !== '') known.set(alias, publish.topic);
        }
        assert.equal(publish.topic === '' ? known.get(alias ?? -1) : publish.topic, topic);
      }
      client.destroy();
      publisher.destroy();
    });
  }

  test('v5 Authentication Data without Authentication Method is a protocol error (3.1.2.11.10)', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'c-ad', properties: { authenticationData: Buffer.from('x') } });
    assert.equal(connack.reasonCode, 0x82);
    await client.closed();
  });

  for (const version of [4, 5] as const) {
    test(`[MQTT-3.1.0-2] v${version} a second CONNECT is a protocol error and closes the connection`, async () => {
      const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: version });
      await client.handshake({ clientId: `c-twice-${version}` });
      client.send({ cmd: 'connect', protocolVersion: version, clientId: `c-twice-${version}`, clean: true, keepalive: 0 });
      const rest = await client.closed();
      if (version === 5) {
        assert.equal(rest.length, 1);
        assert.equal(rest[0]?.cmd, 'disconnect');
        assert.equal((rest[0] as { reasonCode?: number }).reasonCode, 0x82);
      } else {
        assert.deepEqual(rest, []);
      }
      await assertHealthy(gh.urls.mqtt);
    });

    test(`[MQTT-3.1.0-1] v${version} a first packet other than CONNECT closes the connection without CONNACK`, async () => {
      const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: version });
      client.send({ cmd: 'pingreq' });
      const rest = await client.closed();
      assert.ok(rest.every((p) => p.cmd !== 'connack' || (p as { returnCode?: number; reasonCode?: number }).returnCode !== 0));
      await assertHealthy(gh.urls.mqtt);
    });
  }

  test('[MQTT-3.1.2-2] v3.1.1 server answers an unsupported protocol level with return code 1 and closes', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt);
    // Protocol level 7
    client.sendHex('10 0e 0004 4d515454 07 02 003c 0002 6331');
    const rest = await client.closed();
    assert.equal(rest.length, 1);
    assert.equal(rest[0]?.cmd, 'connack');
    assert.equal((rest[0] as { returnCode?: number }).returnCode, 1);
    await assertHealthy(gh.urls.mqtt);
  });

  test('[MQTT-3.1.2-1] a wrong protocol name closes the connection', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt);
    client.sendHex('10 0e 0004 4d515458 04 02 003c 0002 6331');
    const rest = await client.closed();
    assert.ok(rest.every((p) => p.cmd === 'connack' && (p as { returnCode?: number }).returnCode !== 0));
    await assertHealthy(gh.urls.mqtt);
  });

  test('[MQTT-3.1.4-6] data after a refused CONNECT is not processed', async () => {
    const subscriber = await RawMqtt.connect(gh.urls.mqtt);
    await subscriber.handshake({ clientId: 'c-watch' });
    subscriber.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'refused/#', qos: 0 }] });
    await subscriber.expect('suback');
    const client = await RawMqtt.connect(gh.urls.mqtt);
    // The refused CONNECT (client id too long) and a PUBLISH in one write.
    const connect = { cmd: 'connect', protocolVersion: 4, clientId: 'z'.repeat(65), clean: true, keepalive: 0 } as const;
    const publish = { cmd: 'publish', topic: 'refused/x', payload: Buffer.from('no'), qos: 0, retain: false, dup: false } as const;
    const { default: mqttPacket } = await import('mqtt-packet');
    client.write(Buffer.concat([mqttPacket.generate(connect, { protocolVersion: 4 }), mqttPacket.generate(publish, { protocolVersion: 4 })]));
    await client.closed();
    subscriber.send({ cmd: 'pingreq' });
    const next = await subscriber.next();
    assert.equal(next.cmd, 'pingresp', 'the subscriber got nothing from the refused client');
    subscriber.destroy();
  });

  test('[MQTT-3.2.0-1] CONNACK is the first packet even when packets follow CONNECT at once', async () => {
    const slow = await startTestBroker({ hooks: { connect: [async () => { await new Promise((r) => setTimeout(r, 50)); return { kind: 'allow' }; }] } });
    try {
      const client = await RawMqtt.connect(slow.urls.mqtt, { protocolVersion: 5 });
      const { default: mqttPacket } = await import('mqtt-packet');
      client.write(Buffer.concat([
        mqttPacket.generate({ cmd: 'connect', protocolVersion: 5, clientId: 'c-first', clean: true, keepalive: 0 }, { protocolVersion: 5 }),
        mqttPacket.generate({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'a/b', qos: 1 }] }, { protocolVersion: 5 }),
        mqttPacket.generate({ cmd: 'pingreq' }, { protocolVersion: 5 }),
      ]));
      assert.equal((await client.next()).cmd, 'connack');
      const suback = await client.expect('suback');
      assert.equal(suback.messageId, 7);
      await client.expect('pingresp');
      client.destroy();
    } finally {
      await slow.stop();
    }
  });

  test('[MQTT-3.1.4-2] connect hook deny: v5 0x87 / 0x86 and v3.1.1 return codes 5 / 4, then close', async () => {
    const guarded = await startTestBroker({
      hooks: {
        connect: [(event) => event.username === 'bad-password' ? { kind: 'deny', reasonCode: 0x86 } : event.username === 'ok' ? { kind: 'allow' } : { kind: 'deny' }],
      },
    });
    try {
      for (const [version, username, expected] of [[5, 'nobody', 0x87], [5, 'bad-password', 0x86], [4, 'nobody', 5], [4, 'bad-password', 4], [4, 'ok', 0], [5, 'ok', 0]] as const) {
        const client = await RawMqtt.connect(guarded.urls.mqtt, { protocolVersion: version });
        const connack = await client.handshake({ clientId: `c-${username}`, username, password: Buffer.from('pw') });
        assert.equal(version === 5 ? connack.reasonCode : connack.returnCode, expected, `v${version} ${username}`);
        if (expected !== 0) await client.closed();
        else client.destroy();
      }
    } finally {
      await guarded.stop();
    }
  });

  test('v5 Server busy (0x89) past the connection limit, 3.1.1 return code 3', async () => {
    const small = await startTestBroker({ limits: { maxConnections: 1 } });
    try {
      const first = await RawMqtt.connect(small.urls.mqtt, { protocolVersion: 5 });
      assert.equal((await first.handshake({ clientId: 'one' })).reasonCode, 0);
      const second = await RawMqtt.connect(small.urls.mqtt, { protocolVersion: 5 });
      assert.equal((await second.handshake({ clientId: 'two' })).reasonCode, 0x89);
      await second.closed();
      const third = await RawMqtt.connect(small.urls.mqtt);
      assert.equal((await third.handshake({ clientId: 'three' })).returnCode, 3);
      await third.closed();
      first.send({ cmd: 'pingreq' });
      await first.expect('pingresp');
      first.destroy();
    } finally {
      await small.stop();
    }
  });
});
