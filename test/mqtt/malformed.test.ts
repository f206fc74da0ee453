/**
 * Malformed and hostile input beyond the packet scripts: fragmented and oversized packets, stalled
 * CONNECTs, random bytes, and many bad clients at once. The broker closes the offender with the reason
 * the spec asks and keeps serving a bystander that is connected the whole time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type mqttPacket from 'mqtt-packet';
import { RawMqtt, startBystander, startTestBroker, type Bystander, type TestBroker } from '../helpers/index.js';

describe('malformed input', () => {
  let gh: TestBroker;
  let bystander: Bystander;
  before(async () => {
    gh = await startTestBroker({ limits: { maxPacketSize: 4096 }, connectTimeoutMs: 1000 });
    bystander = await startBystander(gh.urls.mqtt);
  });
  after(async () => {
    bystander.close();
    await gh.stop();
  });

  test('a packet split into single bytes is reassembled', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const { default: mqttPacket } = await import('mqtt-packet');
    const bytes = mqttPacket.generate({ cmd: 'connect', protocolVersion: 5, clientId: 'm-split', clean: true, keepalive: 0, properties: { sessionExpiryInterval: 0, userProperties: { k: 'v' } } }, { protocolVersion: 5 });
    for (const byte of bytes) {
      client.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal((await client.expect('connack')).reasonCode, 0);
    client.destroy();
    await bystander.check();
  });

  test('[MQTT-3.2.2-15] a packet over the Maximum Packet Size is refused at its header with 0x95', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    const connack = await client.handshake({ clientId: 'm-big' });
    assert.equal(connack.properties?.maximumPacketSize, 4096);
    // Only the fixed header of a 1 MB PUBLISH: the broker must not wait for the body.
    client.sendHex('30 80 80 40');
    const rest = await client.closed();
    assert.equal((rest[0] as mqttPacket.IDisconnectPacket | undefined)?.reasonCode, 0x95);
    await bystander.check();
  });

  test('[MQTT-3.2.2-15] an oversized CONNECT is refused before CONNACK', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 4 });
    client.sendHex('10 ff ff 03');
    const rest = await client.closed();
    assert.ok(rest.every((p) => p.cmd === 'connack' && (p as mqttPacket.IConnackPacket).returnCode !== 0));
    await bystander.check();
  });

  test('a connection that never sends CONNECT is closed after the CONNECT timeout', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt);
    await client.closed(4000);
    await bystander.check();
  });

  test('a connection that sends half a CONNECT is closed after the CONNECT timeout', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt);
    client.sendHex('10 0e 0004 4d51');
    await client.closed(4000);
    await bystander.check();
  });

  test('a client that drops in the middle of a packet leaves the broker healthy', async () => {
    const client = await RawMqtt.connect(gh.urls.mqtt);
    await client.handshake({ clientId: 'm-drop' });
    client.sendHex('30 20 0005 612f622f63');
    client.destroy();
    await bystander.check();
  });

  test('fifty misbehaving clients at once: each is closed, the bystander keeps working', async () => {
    const bad = ['c1 00', '80 06 0001 0001 61 00', '36 05 0001 61 0001', '00 00', '30 ff ff ff ff 01', '20 02 0000'];
    await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const client = await RawMqtt.connect(gh.urls.mqtt);
      await client.handshake({ clientId: `m-crowd-${i}` });
      client.sendHex(bad[i % bad.length]!);
      await client.closed();
    }));
    await bystander.check();
  });

  test('random bytes after CONNECT never stop the broker (property test, 3.1.1 and 5)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(4 as const, 5 as const), fc.uint8Array({ minLength: 1, maxLength: 64 }), async (version, bytes) => {
        const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: version });
        await client.handshake({ clientId: 'm-fuzz' });
        client.write(bytes);
        // The broker either closes the connection or answers what happened to parse; both are fine.
        client.send({ cmd: 'pingreq' });
        try {
          for (;;) {
            const packet = await client.next(1000);
            if (packet.cmd === 'pingresp') break;
          }
        } catch {
          // closed, or our PINGREQ became part of a longer garbage packet
        }
        client.destroy();
      }),
      { numRuns: 40 },
    );
    await bystander.check();
  });

  test('random bytes as the first packet never stop the broker (property test)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (bytes) => {
        const client = await RawMqtt.connect(gh.urls.mqtt);
        client.write(bytes);
        try {
          await client.next(300);
        } catch {
          // closed, or still waiting for the rest of a packet
        }
        client.destroy();
      }),
      { numRuns: 40 },
    );
    await bystander.check();
  });
});
