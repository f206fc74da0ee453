import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { encodePacket, type Packet } from './codec.js';

function decode(bytes: Buffer, version: 3 | 4 | 5): Packet {
  let decoded: Packet | undefined;
  const parser = mqttPacket.parser({ protocolVersion: version });
  parser.on('packet', (packet: Packet) => { decoded = packet; });
  parser.parse(bytes);
  assert.ok(decoded, 'decodes');
  return decoded;
}

test('encodePacket writes success acknowledgements in the 2-byte form, which mqtt-packet decodes to the same packet', () => {
  for (const version of [3, 4, 5] as const) {
    for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
      for (const messageId of [1, 255, 256, 0xabcd, 0xffff]) {
        const packet = { cmd, messageId } as Packet;
        const bytes = encodePacket(packet, version);
        // 3.1.1: exactly mqtt-packet's bytes; 5.0: reason code and property length left out (3.4.2.1)
        if (version !== 5) assert.deepEqual(bytes, mqttPacket.generate(packet, { protocolVersion: version }), `${cmd} ${messageId} v${version}`);
        assert.equal(bytes.length, 4);
        const decoded = decode(bytes, version) as Packet & { reasonCode?: number };
        assert.equal(decoded.cmd, cmd);
        assert.equal(decoded.messageId, messageId);
        if (version === 5) assert.equal(decoded.reasonCode, 0);
      }
    }
    assert.deepEqual(encodePacket({ cmd: 'pingresp' }, version), mqttPacket.generate({ cmd: 'pingresp' }, { protocolVersion: version }));
  }
});

test('encodePacket leaves acknowledgements with a reason code or properties to mqtt-packet (MQTT 5)', () => {
  const packet = { cmd: 'puback', messageId: 7, reasonCode: 0x87, properties: { reasonString: 'no' } } as Packet;
  assert.deepEqual(encodePacket(packet, 5), mqttPacket.generate(packet, { protocolVersion: 5 }));
  assert.equal(encodePacket(packet, 5)[1]! > 2, true);
});
