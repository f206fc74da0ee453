/** Server-initiated DISCONNECT (MQTT 5.0 section 3.14, 4.13): reason codes, reason strings, wills. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type mqttPacket from 'mqtt-packet';
import { RawMqtt, startGatehouse } from '../helpers/index.ts';

describe('server-initiated DISCONNECT', () => {
  test('[MQTT-3.14.2-1] an operator disconnect sends 0x98 with a reason string to v5 and closes 3.1.1 silently', async () => {
    const gh = await startGatehouse();
    try {
      const v5 = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
      await v5.handshake({ clientId: 'sd-admin-5' });
      const v4 = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 4 });
      await v4.handshake({ clientId: 'sd-admin-4' });
      assert.equal(gh.broker.admin.disconnectClient('sd-admin-5'), true);
      assert.equal(gh.broker.admin.disconnectClient('sd-admin-4'), true);
      const rest = await v5.closed();
      assert.equal(rest.length, 1);
      const disconnect = rest[0] as mqttPacket.IDisconnectPacket;
      assert.equal(disconnect.reasonCode, 0x98);
      assert.ok(typeof disconnect.properties?.reasonString === 'string' && disconnect.properties.reasonString.length > 0);
      assert.equal(disconnect.properties?.sessionExpiryInterval, undefined, 'a server never sends Session Expiry on DISCONNECT');
      assert.deepEqual(await v4.closed(), []);
      assert.equal(gh.broker.admin.disconnectClient('sd-admin-5'), false, 'no longer connected');
    } finally {
      await gh.stop();
    }
  });

  test('[MQTT-3.1.2-29] with Request Problem Information 0 the DISCONNECT still carries the reason code', async () => {
    const gh = await startGatehouse();
    try {
      const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
      await client.handshake({ clientId: 'sd-rpi', properties: { requestProblemInformation: false } });
      gh.broker.admin.disconnectClient('sd-rpi');
      const rest = await client.closed();
      assert.equal((rest[0] as mqttPacket.IDisconnectPacket).reasonCode, 0x98);
    } finally {
      await gh.stop();
    }
  });

  test('shutdown sends 0x8B Server shutting down to every v5 client on every listener', async () => {
    const gh = await startGatehouse();
    let stopped = false;
    try {
      const clients = await Promise.all(['mqtt', 'ws'].map(async (listener) => {
        const client = await RawMqtt.connect(gh.urls[listener as 'mqtt' | 'ws'], { protocolVersion: 5 });
        await client.handshake({ clientId: `sd-shutdown-${listener}` });
        return client;
      }));
      await gh.stop();
      stopped = true;
      for (const client of clients) {
        const rest = await client.closed();
        assert.equal((rest[0] as mqttPacket.IDisconnectPacket | undefined)?.reasonCode, 0x8b);
      }
    } finally {
      if (!stopped) await gh.stop();
    }
  });

  test('the reason string of a protocol-error DISCONNECT names the problem', async () => {
    const gh = await startGatehouse();
    try {
      const client = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
      await client.handshake({ clientId: 'sd-reason' });
      client.sendHex('30 06 0003 612f2b 00');
      const rest = await client.closed();
      const disconnect = rest[0] as mqttPacket.IDisconnectPacket;
      assert.equal(disconnect.reasonCode, 0x90);
      assert.match(disconnect.properties?.reasonString ?? '', /wildcard|\+/i);
    } finally {
      await gh.stop();
    }
  });
});
