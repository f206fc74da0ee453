/** Enhanced authentication and re-authentication with the AUTH packet (MQTT 5.0 section 4.12, 3.15). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type mqttPacket from 'mqtt-packet';
import type { BrokerHooks } from '../../packages/server/src/broker/index.ts';
import { RawMqtt, startBystander, startTestBroker, type TestBroker } from '../helpers/index.js';

const METHOD = 'TEST-CHALLENGE';

/** Challenge "nonce"; the answer is the nonce reversed. Counts how many exchanges started. */
const started: string[] = [];
const hooks: BrokerHooks = {
  enhancedAuth: {
    [METHOD]: {
      start: (event) => {
        started.push(`${event.clientId}:${event.reauthenticate ? 're' : 'first'}`);
        event.state.set('nonce', 'abc');
        if (event.data?.toString() === 'skip') return { kind: 'success', data: Buffer.from('welcome') };
        return { kind: 'continue', data: Buffer.from('abc') };
      },
      continue: (event) => event.data?.toString() === 'cba' ? { kind: 'success', data: Buffer.from('ok') } : { kind: 'fail', reason: 'Wrong answer' },
    },
  },
};

function authPacket(reasonCode: number, data: string, method = METHOD): mqttPacket.IAuthPacket {
  return { cmd: 'auth', reasonCode, properties: { authenticationMethod: method, authenticationData: Buffer.from(data) } };
}

describe('enhanced authentication (AUTH)', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker({ hooks });
  });
  after(async () => {
    await gh.stop();
  });

  test('[MQTT-4.12.0-1] an unsupported Authentication Method gets CONNACK 0x8C and close; others are unaffected', async () => {
    const bystander = await startBystander(gh.urls.mqtt);
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'auth-unknown', properties: { authenticationMethod: 'SCRAM-SHA-999' } });
    assert.equal(connack.reasonCode, 0x8c);
    assert.equal(connack.sessionPresent, false);
    await client.closed();
    await bystander.check();
    bystander.close();
  });

  test('[MQTT-4.12.0-2] [MQTT-4.12.0-5] a challenge/response exchange ends in CONNACK 0x00 with the method', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    client.send({ cmd: 'connect', protocolVersion: 5, clientId: 'auth-ok', clean: true, keepalive: 0, properties: { authenticationMethod: METHOD } });
    const challenge = await client.expect('auth');
    assert.equal(challenge.reasonCode, 0x18);
    assert.equal(challenge.properties?.authenticationMethod, METHOD);
    assert.equal(Buffer.from(challenge.properties?.authenticationData ?? []).toString(), 'abc');
    client.send(authPacket(0x18, 'cba'));
    const connack = await client.expect('connack');
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.properties?.authenticationMethod, METHOD);
    assert.equal(Buffer.from(connack.properties?.authenticationData ?? []).toString(), 'ok');
    client.send({ cmd: 'pingreq' });
    await client.expect('pingresp');
    client.destroy();
  });

  test('a method that succeeds on the first step answers CONNACK at once', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'auth-skip', properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('skip') } });
    assert.equal(connack.reasonCode, 0);
    assert.equal(Buffer.from(connack.properties?.authenticationData ?? []).toString(), 'welcome');
    client.destroy();
  });

  test('[MQTT-3.2.2-6] a wrong answer gets CONNACK 0x87 and close', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    client.send({ cmd: 'connect', protocolVersion: 5, clientId: 'auth-wrong', clean: true, keepalive: 0, properties: { authenticationMethod: METHOD } });
    await client.expect('auth');
    client.send(authPacket(0x18, 'nope'));
    const connack = await client.expect('connack');
    assert.equal(connack.reasonCode, 0x87);
    await client.closed();
  });

  test('[MQTT-4.12.0-5] AUTH naming another method during the exchange is a protocol error', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    client.send({ cmd: 'connect', protocolVersion: 5, clientId: 'auth-other', clean: true, keepalive: 0, properties: { authenticationMethod: METHOD } });
    await client.expect('auth');
    client.send(authPacket(0x18, 'cba', 'OTHER'));
    const rest = await client.closed();
    assert.equal(rest.length, 1, JSON.stringify(rest));
    assert.equal(rest[0]?.cmd, 'connack');
    assert.equal((rest[0] as mqttPacket.IConnackPacket).reasonCode, 0x82);
  });

  test('[MQTT-4.12.1-1] re-authentication with AUTH 0x19 runs the method again and ends with AUTH 0x00', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    assert.equal((await client.handshake({ clientId: 'auth-re', properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('skip') } })).reasonCode, 0);
    started.length = 0;
    client.send(authPacket(0x19, ''));
    const challenge = await client.expect('auth');
    assert.equal(challenge.reasonCode, 0x18);
    client.send(authPacket(0x18, 'cba'));
    const done = await client.expect('auth');
    assert.equal(done.reasonCode, 0x00);
    assert.equal(done.properties?.authenticationMethod, METHOD);
    assert.deepEqual(started, ['auth-re:re']);
    client.send({ cmd: 'pingreq' });
    await client.expect('pingresp');
    client.destroy();
  });

  test('[MQTT-4.12.1-2] a failed re-authentication gets DISCONNECT 0x87 and close', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    await client.handshake({ clientId: 'auth-re-fail', properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('skip') } });
    client.send(authPacket(0x19, ''));
    await client.expect('auth');
    client.send(authPacket(0x18, 'wrong'));
    const rest = await client.closed();
    assert.equal(rest[0]?.cmd, 'disconnect');
    assert.equal((rest[0] as mqttPacket.IDisconnectPacket).reasonCode, 0x87);
  });

  test('[MQTT-4.12.1-1] re-authentication with another method is a protocol error', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    await client.handshake({ clientId: 'auth-re-other', properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('skip') } });
    client.send(authPacket(0x19, '', 'OTHER'));
    const rest = await client.closed();
    assert.equal((rest[0] as mqttPacket.IDisconnectPacket).reasonCode, 0x82);
  });

  test('AUTH on a connection that did not use enhanced authentication is a protocol error', async () => {
    const bystander = await startBystander(gh.urls.mqtt);
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    await client.handshake({ clientId: 'auth-none' });
    client.send(authPacket(0x19, ''));
    const rest = await client.closed();
    assert.equal(rest[0]?.cmd, 'disconnect');
    assert.equal((rest[0] as mqttPacket.IDisconnectPacket).reasonCode, 0x82);
    await bystander.check();
    bystander.close();
  });

  test('[MQTT-3.1.0-1] AUTH as the first packet closes the connection', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    client.send(authPacket(0x18, 'x'));
    const rest = await client.closed();
    assert.ok(rest.every((p) => p.cmd !== 'connack' || (p as mqttPacket.IConnackPacket).reasonCode !== 0));
  });

  test('an AUTH packet (type 15, reserved in 3.1.1 section 2.2.1) from a 3.1.1 client is malformed: closed', async () => {
    const bystander = await startBystander(gh.urls.mqtt);
    const client = await RawMqtt.connect(gh.urls.mqtt);
    await client.handshake({ clientId: 'auth-311' });
    client.sendHex('f0 00');
    const rest = await client.closed();
    assert.deepEqual(rest, []);
    await bystander.check();
    bystander.close();
  });

  test('a client that abandons the exchange is closed by the CONNECT timeout', async () => {
    const quick = await startTestBroker({ hooks, connectTimeoutMs: 500 });
    try {
      const client = await RawMqtt.connect(quick.urls.mqtt, { protocolVersion: 5 });
      client.send({ cmd: 'connect', protocolVersion: 5, clientId: 'auth-stall', clean: true, keepalive: 0, properties: { authenticationMethod: METHOD } });
      await client.expect('auth');
      await client.closed(4000);
    } finally {
      await quick.stop();
    }
  });
});
