import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { encodePacket, type Packet } from './codec.js';
import { PacketReader } from './packet-reader.js';
import type { ProtocolError } from './protocol-error.js';

const text = fc.string({ maxLength: 12, unit: 'grapheme' });
const nonEmpty = text.filter((t) => t.length > 0);
const publishArb = (version: 4 | 5): fc.Arbitrary<Packet> => fc.record({
  topic: fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }).filter((t) => !t.includes('+') && !t.includes('#')),
  payload: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  retain: fc.boolean(),
  dup: fc.boolean(),
  messageId: fc.integer({ min: 1, max: 0xffff }),
  properties: version === 5
    ? fc.record({
      payloadFormatIndicator: fc.boolean(),
      messageExpiryInterval: fc.integer({ min: 0, max: 0xffffffff }),
      contentType: text,
      responseTopic: text.filter((t) => t.length > 0),
      correlationData: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
      topicAlias: fc.integer({ min: 1, max: 100 }),
      // Non-empty values: mqtt-packet drops an earlier value of a repeated name when it is "" (ours keeps it).
      userProperties: fc.dictionary(text.filter((t) => t.length > 0), fc.oneof(nonEmpty, fc.array(nonEmpty, { minLength: 2, maxLength: 3 })), { minKeys: 1, maxKeys: 3 }),
    }, { requiredKeys: [] })
    : fc.constant(undefined),
}).map(({ qos, dup, messageId, properties, ...rest }) => ({
  cmd: 'publish', ...rest, qos, dup: qos === 0 ? false : dup,
  ...(qos === 0 ? {} : { messageId }),
  ...(properties === undefined || Object.keys(properties).length === 0 ? {} : { properties }),
}) as Packet);
const ackArb = fc.record({ cmd: fc.constantFrom('puback', 'pubrec', 'pubrel', 'pubcomp'), messageId: fc.integer({ min: 1, max: 0xffff }) }) as fc.Arbitrary<Packet>;

function connectBytes(version: 4 | 5): Buffer {
  return encodePacket({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean: true, clientId: 'c', keepalive: 0 }, version);
}

/** What the library parser alone makes of the bytes: the reference. */
function libraryDecode(bytes: Buffer, version: 4 | 5): unknown[] {
  const packets: unknown[] = [];
  const parser = mqttPacket.parser({ protocolVersion: version });
  parser.on('packet', (packet) => packets.push(normalize(packet)));
  parser.parse(bytes);
  return packets;
}

function normalize(packet: unknown): unknown {
  // Compare as plain data (user property objects have no prototype in either decoder). The library
  // gives every packet PUBLISH's fields; on the others they mean nothing and the broker never reads them.
  const plain = JSON.parse(JSON.stringify(packet)) as Record<string, unknown>;
  if (plain['cmd'] !== 'publish') for (const field of ['retain', 'qos', 'dup', 'topic', 'payload']) delete plain[field];
  return plain;
}

for (const version of [4, 5] as const) {
  test(`PacketReader decodes PUBLISH and acknowledgements exactly as mqtt-packet does, in any chunking (v${version})`, () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(publishArb(version), ackArb), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
      (packets, cuts) => {
        const stream = Buffer.concat([connectBytes(version), ...packets.map((p) => encodePacket(p, version))]);
        const got: unknown[] = [];
        const errors: ProtocolError[] = [];
        const reader = new PacketReader(1 << 20, (packet) => got.push(normalize(packet)), (error) => errors.push(error));
        let offset = 0;
        for (let i = 0; offset < stream.length; i++) {
          const size = cuts[i % cuts.length]!;
          reader.push(stream.subarray(offset, offset + size));
          offset += size;
        }
        assert.deepEqual(errors, []);
        assert.deepEqual(got, libraryDecode(stream, version));
      },
    ), { numRuns: 300 });
  });
}

test('PacketReader refuses a packet over the maximum size from its header, before the body arrives', () => {
  const errors: ProtocolError[] = [];
  const reader = new PacketReader(100, () => {}, (error) => errors.push(error));
  reader.push(connectBytes(4));
  reader.push(Buffer.from([0x30, 0xe8, 0x07])); // PUBLISH with Remaining Length 1000, no body yet
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.reasonCode, 0x95);
});

test('PacketReader hands unusual packets to the full parser, which reports them (U+0000 in a topic)', () => {
  const errors: ProtocolError[] = [];
  const reader = new PacketReader(1000, () => {}, (error) => errors.push(error));
  reader.push(connectBytes(4));
  reader.push(Buffer.from([0x30, 0x05, 0x00, 0x02, 0x61, 0x00, 0x78]));
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.reasonCode, 0x81);
});
