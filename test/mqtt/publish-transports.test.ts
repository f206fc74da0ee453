/**
 * A representative subset of the PUBLISH/SUBSCRIBE conformance tests on every listener of the real
 * server (TCP, TLS, WebSocket, WebSocket over TLS), MQTT 3.1.1 and 5.0: QoS 1 and 2 round trips,
 * retained on subscribe, DUP redelivery, a malformed PUBLISH, and MQTT.js with topic aliases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import type { IPublishPacket } from 'mqtt-packet';
import { open, persistentConnect, startGatehouse, type RawMqtt, type RawProtocolVersion, type TestGatehouse } from '../helpers/index.js';

const transports = ['mqtt', 'mqtts', 'ws', 'wss'] as const;
type Transport = (typeof transports)[number];

describe('PUBLISH and SUBSCRIBE on every listener', () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startGatehouse();
  });
  after(async () => {
    await gh?.stop();
  });

  function connectOver(transport: Transport, version: RawProtocolVersion, clientId: string, persistent = false): Promise<RawMqtt> {
    return open(gh.urls[transport], version, clientId, persistent ? persistentConnect(version, 60) : {}, { ca: gh.caPem });
  }

  for (const transport of transports) {
    for (const version of [4, 5] as const) {
      const label = `${transport}, ${version === 5 ? 'MQTT 5.0' : 'MQTT 3.1.1'}`;
      const p = `tr/${transport}${version}`;

      test(`${label}: QoS 1 and 2 round trip, retained on subscribe, DUP redelivery on reconnect`, async () => {
        const pub = await connectOver(transport, version, `${transport}${version}-pub`);
        pub.send({ cmd: 'publish', topic: `${p}/cfg`, payload: Buffer.from('retained'), qos: 1, messageId: 1, retain: true, dup: false });
        assert.equal((await pub.expect('puback')).messageId, 1);

        const subId = `${transport}${version}-sub`;
        let sub = await connectOver(transport, version, subId, true);
        sub.send({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: `${p}/#`, qos: 2 }] });
        assert.deepEqual((await sub.expect('suback')).granted, [2]);
        const retained = await sub.expect('publish');
        assert.equal(retained.retain, true);
        assert.equal(retained.payload.toString(), 'retained');
        sub.send({ cmd: 'puback', messageId: retained.messageId! });

        pub.send({ cmd: 'publish', topic: `${p}/q2`, payload: Buffer.from('two'), qos: 2, messageId: 2, retain: false, dup: false });
        assert.equal((await pub.expect('pubrec')).messageId, 2);
        pub.send({ cmd: 'pubrel', messageId: 2 });
        assert.equal((await pub.expect('pubcomp')).messageId, 2);
        const live = await sub.expect('publish');
        assert.equal(live.qos, 2);
        assert.equal(live.retain, false);
        assert.equal(live.dup, false);
        sub.destroy();

        sub = await connectOver(transport, version, subId, true);
        const again = await sub.expect('publish');
        assert.equal(again.dup, true, '[MQTT-3.3.1-1] redelivery has DUP 1');
        assert.equal(again.messageId, live.messageId, '[MQTT-4.4.0-1] with its original packet id');
        sub.send({ cmd: 'pubrec', messageId: again.messageId! });
        await sub.expect('pubrel');
        sub.send({ cmd: 'pubcomp', messageId: again.messageId! });
        sub.destroy();
        pub.destroy();
      });

      test(`${label}: [MQTT-3.3.1-4] a PUBLISH with QoS 3 is closed (v5: 0x81) and others keep working`, async () => {
        const bad = await connectOver(transport, version, `${transport}${version}-bad`);
        bad.sendHex(version === 5 ? '36 07 0001 61 0001 00 78' : '36 06 0001 61 0001 78');
        const packets = await bad.closed();
        if (version === 5) assert.equal((packets[0] as { reasonCode?: number } | undefined)?.reasonCode, 0x81);
        else assert.equal(packets.length, 0);
        const good = await connectOver(transport, version, `${transport}${version}-good`);
        good.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${p}/ok`, qos: 0 }] });
        await good.expect('suback');
        good.send({ cmd: 'publish', topic: `${p}/ok`, payload: Buffer.from('ok'), qos: 0, retain: false, dup: false } as IPublishPacket);
        assert.equal((await good.expect('publish')).payload.toString(), 'ok');
        good.destroy();
      });
    }

    // QoS 1: MQTT.js 5.14 emits a QoS 2 message with the raw (empty) topic of an aliased PUBLISH.
    test(`${transport}: MQTT.js 5 with topic aliases both ways, QoS 1 and properties`, async () => {
      const options = { ca: gh.caPem, servername: 'localhost', protocolVersion: 5 as const, reconnectPeriod: 0, connectTimeout: 5000 };
      const sub = await mqtt.connectAsync(gh.urls[transport], { ...options, clientId: `mqttjs-sub-${transport}`, properties: { topicAliasMaximum: 8 } });
      const pub = await mqtt.connectAsync(gh.urls[transport], { ...options, clientId: `mqttjs-pub-${transport}`, autoUseTopicAlias: true });
      try {
        const received: { topic: string; payload: string; userProperties: unknown; alias: number | undefined }[] = [];
        const done = new Promise<void>((resolve) => {
          sub.on('message', (topic, payload, packet) => {
            received.push({ topic, payload: payload.toString(), userProperties: { ...packet.properties?.userProperties }, alias: packet.properties?.topicAlias });
            if (received.length === 3) resolve();
          });
        });
        await sub.subscribeAsync(`mqttjs/${transport}/#`, { qos: 1 });
        for (const n of ['1', '2', '3']) {
          await pub.publishAsync(`mqttjs/${transport}/t`, n, { qos: 1, properties: { userProperties: { n } } });
        }
        await done;
        // [MQTT-3.3.2-11] the server aliased the topic for this client, within its maximum
        assert.deepEqual(received, ['1', '2', '3'].map((n) => ({ topic: `mqttjs/${transport}/t`, payload: n, userProperties: { n }, alias: 1 })));
      } finally {
        await Promise.all([sub.endAsync(), pub.endAsync()]);
      }
    });
  }
});
