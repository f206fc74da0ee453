import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { encodePublish, type PublishProperties } from './publish-codec.js';

const text = fc.string({ maxLength: 20, unit: 'grapheme' });

const propertiesArb: fc.Arbitrary<PublishProperties> = fc.record({
  payloadFormatIndicator: fc.boolean(),
  contentType: text,
  responseTopic: text.filter((t) => t.length > 0),
  correlationData: fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
  userProperties: fc.dictionary(text.filter((t) => t.length > 0), fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 3 })), { minKeys: 1, maxKeys: 3 }),
  messageExpiryInterval: fc.integer({ min: 0, max: 0xffffffff }),
  subscriptionIdentifiers: fc.array(fc.integer({ min: 1, max: 268_435_455 }), { minLength: 1, maxLength: 3 }),
  topicAlias: fc.integer({ min: 1, max: 0xffff }),
}, { requiredKeys: [] });

test('encodePublish writes the same bytes as mqtt-packet generate, for 3.1.1 and 5, on random packets', () => {
  fc.assert(fc.property(
    fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
    fc.uint8Array({ maxLength: 300 }),
    fc.constantFrom<0 | 1 | 2>(0, 1, 2),
    fc.boolean(),
    fc.boolean(),
    fc.integer({ min: 1, max: 0xffff }),
    fc.constantFrom<4 | 5>(4, 5),
    propertiesArb,
    (topic, payloadBytes, qos, retain, dup, packetId, version, properties) => {
      const payload = Buffer.from(payloadBytes);
      const ours = encodePublish({ topic, payload, qos, retain, dup, packetId }, version, version === 5 ? properties : undefined);
      const reference: Record<string, unknown> = { cmd: 'publish', topic, payload, qos, retain, dup };
      if (qos > 0) reference['messageId'] = packetId;
      if (version === 5) {
        const { subscriptionIdentifiers, ...rest } = properties;
        const props: Record<string, unknown> = { ...rest };
        if (subscriptionIdentifiers !== undefined) props['subscriptionIdentifier'] = subscriptionIdentifiers.length === 1 ? subscriptionIdentifiers[0] : subscriptionIdentifiers;
        reference['properties'] = props;
      }
      const theirs = mqttPacket.generate(reference as never, { protocolVersion: version });
      // Same length and the same decoded packet (property order may differ from the object's key order).
      assert.equal(ours.length, theirs.length);
      const decode = (buffer: Buffer): unknown => {
        let packet: unknown;
        const parser = mqttPacket.parser({ protocolVersion: version });
        parser.on('packet', (p: unknown) => { packet = p; });
        parser.parse(buffer);
        return packet;
      };
      assert.deepEqual(decode(ours), decode(theirs));
    },
  ), { numRuns: 500 });
});

test('encodePublish puts the packet identifier right after the topic', () => {
  const buffer = encodePublish({ topic: 'a/b', payload: Buffer.from('x'), qos: 1, retain: false, dup: true, packetId: 0x1234 }, 4);
  assert.deepEqual([...buffer], [0x3a, 8, 0, 3, 0x61, 0x2f, 0x62, 0x12, 0x34, 0x78]);
});
