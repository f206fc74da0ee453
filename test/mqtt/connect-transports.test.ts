/**
 * A representative subset of the CONNECT, session, will and malformed-packet rules over every
 * listener (TCP, TLS, WebSocket, WSS) and both protocol versions, with raw packets and MQTT.js.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import type mqttPacket from 'mqtt-packet';
import { RawMqtt, startBystander, startGatehouse, type TestGatehouse } from '../helpers/index.js';

const transports = ['mqtt', 'mqtts', 'ws', 'wss'] as const;

describe('CONNECT and sessions over every transport', () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startGatehouse({ limits: { maxKeepAlive: 60 } });
  });
  after(async () => {
    await gh.stop();
  });

  for (const transport of transports) {
    for (const version of [4, 5] as const) {
      test(`${transport} v${version}: [MQTT-3.1.4-5] CONNACK, PINGREQ, [MQTT-3.1.0-2] second CONNECT closes`, async () => {
        const client = await RawMqtt.connect(gh.urls[transport], { protocolVersion: version, ca: gh.caPem });
        const connack = await client.handshake({ clientId: `tr-${transport}-${version}`, keepalive: 30 });
        assert.equal(version === 5 ? connack.reasonCode : connack.returnCode, 0);
        if (version === 5) assert.ok((connack.properties?.maximumPacketSize ?? 0) > 0);
        client.send({ cmd: 'pingreq' });
        await client.expect('pingresp');
        client.send({ cmd: 'connect', protocolVersion: version, clientId: 'again', clean: true, keepalive: 0 });
        const rest = await client.closed();
        if (version === 5) assert.equal((rest[0] as mqttPacket.IDisconnectPacket | undefined)?.reasonCode, 0x82);
        else assert.deepEqual(rest, []);
      });

      test(`${transport} v${version}: [MQTT-3.8.1-1] a malformed SUBSCRIBE closes the connection and a bystander keeps working`, async () => {
        const bystander = await startBystander(gh.urls[transport === 'mqtt' ? 'ws' : 'mqtt'], { ca: gh.caPem });
        const client = await RawMqtt.connect(gh.urls[transport], { protocolVersion: version, ca: gh.caPem });
        await client.handshake({ clientId: `tr-bad-${transport}-${version}` });
        client.sendHex(version === 5 ? '80 07 0001 00 0001 61 00' : '80 06 0001 0001 61 00');
        const rest = await client.closed();
        if (version === 5) assert.equal((rest[0] as mqttPacket.IDisconnectPacket | undefined)?.reasonCode, 0x81);
        else assert.deepEqual(rest, []);
        await bystander.check();
        bystander.close();
      });
    }

    test(`${transport}: [MQTT-3.1.2-8] the will of a dropped connection reaches a subscriber on another transport`, async () => {
      const watcher = await RawMqtt.connect(gh.urls.wss, { protocolVersion: 5, ca: gh.caPem });
      await watcher.handshake({ clientId: `tr-watch-${transport}` });
      watcher.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `tr-will/${transport}`, qos: 0 }] });
      await watcher.expect('suback');
      const client = await RawMqtt.connect(gh.urls[transport], { protocolVersion: 4, ca: gh.caPem });
      await client.handshake({ clientId: `tr-will-${transport}`, will: { topic: `tr-will/${transport}`, payload: Buffer.from('bye'), qos: 0, retain: false } });
      client.destroy();
      const publish = await watcher.expect('publish');
      assert.equal(publish.payload.toString(), 'bye');
      watcher.destroy();
    });

    test(`${transport}: MQTT.js v5 connects with Session Expiry and resumes with Session Present`, async () => {
      const url = gh.urls[transport];
      const options = { protocolVersion: 5 as const, clientId: `tr-js-${transport}`, clean: false, reconnectPeriod: 0, ca: gh.caPem, servername: 'localhost', properties: { sessionExpiryInterval: 60 } };
      const first = await mqtt.connectAsync(url, options);
      await first.subscribeAsync(`tr-js/${transport}`, { qos: 1 });
      await first.endAsync();
      const second = await mqtt.connectAsync(url, options);
      const connack = await new Promise<mqttPacket.IConnackPacket>((resolve) => {
        // connectAsync resolves after 'connect'; the CONNACK is kept on the client as well.
        const ack = (second as unknown as { connackPacket?: mqttPacket.IConnackPacket }).connackPacket;
        if (ack !== undefined) resolve(ack);
        else second.once('connect', (packet) => resolve(packet));
      });
      assert.equal(connack.sessionPresent, true);
      await second.endAsync();
    });
  }

  test('[MQTT-3.1.4-3] a WSS connection takes over a TCP connection\'s session; the TCP one gets DISCONNECT 0x8E', async () => {
    const old = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    await old.handshake({ clientId: 'tr-takeover', clean: false, properties: { sessionExpiryInterval: 60 } });
    const fresh = await RawMqtt.connect(gh.urls.wss, { protocolVersion: 5, ca: gh.caPem });
    const connack = await fresh.handshake({ clientId: 'tr-takeover', clean: false, properties: { sessionExpiryInterval: 60 } });
    assert.equal(connack.sessionPresent, true);
    const rest = await old.closed();
    assert.equal((rest[0] as mqttPacket.IDisconnectPacket | undefined)?.reasonCode, 0x8e);
    fresh.destroy();
  });
});
