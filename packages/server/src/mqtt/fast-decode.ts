/**
 * Decoders for the packets of the hot path (PUBLISH and the four acknowledgements) in their common,
 * well-formed shapes. Each returns undefined for anything unusual — a property it does not decode,
 * a repeated property, a string with U+0000 or U+FFFD, a length that does not add up — and the
 * reader then hands the same bytes to `mqtt-packet`, whose checks (codec.ts) report the exact error.
 * So these decoders only ever accept what the full path would accept, and decode it the same way.
 */
import type { Packet, PublishPacket } from './codec.js';

type PublishProperties = NonNullable<PublishPacket['properties']>;

/** Decodes a PUBLISH body (after the fixed header). */
export function decodePublish(header: number, body: Buffer, length: number, protocolVersion: 3 | 4 | 5): PublishPacket | undefined {
  const qos = (header >> 1) & 3;
  if (qos === 3 || body.length < 2) return undefined;
  const topicLength = body.readUInt16BE(0);
  let offset = 2 + topicLength;
  if (offset > body.length) return undefined;
  const topic = decodeString(body, 2, offset);
  if (topic === undefined) return undefined;
  let messageId: number | undefined;
  if (qos > 0) {
    if (offset + 2 > body.length) return undefined;
    messageId = body.readUInt16BE(offset);
    if (messageId === 0) return undefined;
    offset += 2;
  }
  let properties: PublishProperties | undefined;
  if (protocolVersion === 5) {
    const propertiesLength = readVarInt(body, offset);
    if (propertiesLength === undefined) return undefined;
    offset += propertiesLength.size;
    const end = offset + propertiesLength.value;
    if (end > body.length) return undefined;
    if (propertiesLength.value > 0) {
      properties = decodePublishProperties(body, offset, end);
      if (properties === undefined) return undefined;
    }
    offset = end;
  }
  const packet: PublishPacket = {
    cmd: 'publish',
    retain: (header & 1) !== 0,
    qos: qos as 0 | 1 | 2,
    dup: (header & 8) !== 0,
    length,
    topic,
    payload: body.subarray(offset),
  };
  if (messageId !== undefined) packet.messageId = messageId;
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

function decodePublishProperties(body: Buffer, start: number, end: number): PublishProperties | undefined {
  const properties: Record<string, unknown> = {};
  let offset = start;
  while (offset < end) {
    const id = body[offset++]!;
    switch (id) {
      case 0x01:
        if (offset + 1 > end || 'payloadFormatIndicator' in properties) return undefined;
        properties['payloadFormatIndicator'] = body[offset++] !== 0;
        break;
      case 0x02:
        if (offset + 4 > end || 'messageExpiryInterval' in properties) return undefined;
        properties['messageExpiryInterval'] = body.readUInt32BE(offset);
        offset += 4;
        break;
      case 0x23:
        if (offset + 2 > end || 'topicAlias' in properties) return undefined;
        properties['topicAlias'] = body.readUInt16BE(offset);
        offset += 2;
        break;
      case 0x03:
      case 0x08: {
        const name = id === 0x03 ? 'contentType' : 'responseTopic';
        if (offset + 2 > end || name in properties) return undefined;
        const stringEnd = offset + 2 + body.readUInt16BE(offset);
        if (stringEnd > end) return undefined;
        const value = decodeString(body, offset + 2, stringEnd);
        if (value === undefined) return undefined;
        properties[name] = value;
        offset = stringEnd;
        break;
      }
      case 0x09: {
        if (offset + 2 > end || 'correlationData' in properties) return undefined;
        const dataEnd = offset + 2 + body.readUInt16BE(offset);
        if (dataEnd > end) return undefined;
        properties['correlationData'] = body.subarray(offset + 2, dataEnd);
        offset = dataEnd;
        break;
      }
      case 0x26: {
        if (offset + 2 > end) return undefined;
        const nameEnd = offset + 2 + body.readUInt16BE(offset);
        if (nameEnd + 2 > end) return undefined;
        const valueEnd = nameEnd + 2 + body.readUInt16BE(nameEnd);
        if (valueEnd > end) return undefined;
        const name = decodeString(body, offset + 2, nameEnd);
        const value = decodeString(body, nameEnd + 2, valueEnd);
        if (name === undefined || value === undefined) return undefined;
        // As mqtt-packet does: a repeated name collects its values in an array, in order.
        const user = (properties['userProperties'] ??= Object.create(null)) as Record<string, string | string[]>;
        const existing = user[name];
        if (existing === undefined) user[name] = value;
        else if (Array.isArray(existing)) existing.push(value);
        else user[name] = [existing, value];
        offset = valueEnd;
        break;
      }
      default:
        return undefined;
    }
  }
  return offset === end ? properties as PublishProperties : undefined;
}

const ACK_COMMANDS = ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const;

/** Decodes a two-byte PUBACK, PUBREC, PUBREL or PUBCOMP (type 4 to 7) with the right flags. */
export function decodeShortAck(header: number, body: Buffer, protocolVersion: 3 | 4 | 5): Packet | undefined {
  const type = header >> 4;
  // [MQTT-2.2.2-1] PUBREL's flags are 0010, the others' 0000
  if ((header & 0x0f) !== (type === 6 ? 2 : 0) || body.length !== 2) return undefined;
  const packet = { cmd: ACK_COMMANDS[type - 4]!, messageId: body.readUInt16BE(0), length: 2 } as Packet & { reasonCode?: number };
  if (protocolVersion === 5) packet.reasonCode = 0;
  return packet;
}

/** UTF-8 text, or undefined when it holds U+0000 or U+FFFD (the full path then checks the bytes). */
function decodeString(body: Buffer, start: number, end: number): string | undefined {
  const text = body.toString('utf8', start, end);
  return text.includes('\u0000') || text.includes('\ufffd') ? undefined : text;
}

function readVarInt(buffer: Buffer, start: number): { value: number; size: number } | undefined {
  let value = 0;
  let multiplier = 1;
  for (let size = 1; size <= 4; size++) {
    const byte = buffer[start + size - 1];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { value, size };
    multiplier *= 128;
  }
  return undefined;
}
