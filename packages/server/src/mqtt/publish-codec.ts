/**
 * A PUBLISH encoder for the hot path: one allocation per packet, no intermediate buffers. It writes
 * exactly what `mqtt-packet`'s `generate` writes for the same packet (publish-codec.test.ts checks
 * that on random packets), about ten times faster.
 */
import { varIntSize } from './codec.js';

export interface PublishFields {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly dup: boolean;
  /** Ignored for QoS 0. */
  readonly packetId: number;
}

export interface PublishProperties {
  readonly payloadFormatIndicator?: boolean | undefined;
  readonly messageExpiryInterval?: number | undefined;
  readonly contentType?: string | undefined;
  readonly responseTopic?: string | undefined;
  readonly correlationData?: Buffer | undefined;
  readonly subscriptionIdentifiers?: readonly number[] | undefined;
  readonly topicAlias?: number | undefined;
  readonly userProperties?: Readonly<Record<string, string | readonly string[]>> | undefined;
}

/** Encodes a PUBLISH; `properties` is written only for MQTT 5 (pass undefined for 3.1.1). */
export function encodePublish(fields: PublishFields, protocolVersion: 3 | 4 | 5, properties?: PublishProperties): Buffer {
  const topicLength = Buffer.byteLength(fields.topic);
  let propertiesLength = 0;
  if (protocolVersion === 5) propertiesLength = properties === undefined ? 0 : propertiesSize(properties);
  const variable = 2 + topicLength + (fields.qos > 0 ? 2 : 0)
    + (protocolVersion === 5 ? varIntSize(propertiesLength) + propertiesLength : 0);
  const remaining = variable + fields.payload.length;
  const buffer = Buffer.allocUnsafe(1 + varIntSize(remaining) + remaining);
  buffer[0] = 0x30 | (fields.dup ? 0x08 : 0) | (fields.qos << 1) | (fields.retain ? 0x01 : 0);
  let offset = writeVarInt(buffer, 1, remaining);
  buffer.writeUInt16BE(topicLength, offset);
  offset += 2;
  offset += buffer.write(fields.topic, offset, 'utf8');
  if (fields.qos > 0) {
    buffer.writeUInt16BE(fields.packetId, offset);
    offset += 2;
  }
  if (protocolVersion === 5) {
    offset = writeVarInt(buffer, offset, propertiesLength);
    if (properties !== undefined && propertiesLength > 0) offset = writeProperties(buffer, offset, properties);
  }
  fields.payload.copy(buffer, offset);
  return buffer;
}

function propertiesSize(p: PublishProperties): number {
  let size = 0;
  if (p.payloadFormatIndicator !== undefined) size += 2;
  if (p.messageExpiryInterval !== undefined) size += 5;
  if (p.topicAlias !== undefined) size += 3;
  if (p.responseTopic !== undefined) size += 3 + Buffer.byteLength(p.responseTopic);
  if (p.correlationData !== undefined) size += 3 + p.correlationData.length;
  if (p.userProperties !== undefined) {
    for (const name of Object.keys(p.userProperties)) {
      const value = p.userProperties[name]!;
      const nameLength = Buffer.byteLength(name);
      if (typeof value === 'string') size += 5 + nameLength + Buffer.byteLength(value);
      else for (const item of value) size += 5 + nameLength + Buffer.byteLength(String(item));
    }
  }
  if (p.subscriptionIdentifiers !== undefined) {
    for (const id of p.subscriptionIdentifiers) size += 1 + varIntSize(id);
  }
  if (p.contentType !== undefined) size += 3 + Buffer.byteLength(p.contentType);
  return size;
}

/** In mqtt-packet's order (the order of the property object it is given, as the broker builds it). */
function writeProperties(buffer: Buffer, start: number, p: PublishProperties): number {
  let offset = start;
  if (p.payloadFormatIndicator !== undefined) {
    buffer[offset++] = 0x01;
    buffer[offset++] = p.payloadFormatIndicator ? 1 : 0;
  }
  if (p.contentType !== undefined) offset = writeString(buffer, writeByte(buffer, offset, 0x03), p.contentType);
  if (p.responseTopic !== undefined) offset = writeString(buffer, writeByte(buffer, offset, 0x08), p.responseTopic);
  if (p.correlationData !== undefined) {
    offset = writeByte(buffer, offset, 0x09);
    buffer.writeUInt16BE(p.correlationData.length, offset);
    offset += 2;
    offset += p.correlationData.copy(buffer, offset);
  }
  if (p.userProperties !== undefined) {
    for (const name of Object.keys(p.userProperties)) {
      const value = p.userProperties[name]!;
      const values = typeof value === 'string' ? [value] : value;
      for (const item of values) {
        offset = writeByte(buffer, offset, 0x26);
        offset = writeString(buffer, offset, name);
        offset = writeString(buffer, offset, String(item));
      }
    }
  }
  if (p.messageExpiryInterval !== undefined) {
    offset = writeByte(buffer, offset, 0x02);
    buffer.writeUInt32BE(p.messageExpiryInterval, offset);
    offset += 4;
  }
  if (p.subscriptionIdentifiers !== undefined) {
    for (const id of p.subscriptionIdentifiers) offset = writeVarInt(buffer, writeByte(buffer, offset, 0x0b), id);
  }
  if (p.topicAlias !== undefined) {
    offset = writeByte(buffer, offset, 0x23);
    buffer.writeUInt16BE(p.topicAlias, offset);
    offset += 2;
  }
  return offset;
}

function writeByte(buffer: Buffer, offset: number, value: number): number {
  buffer[offset] = value;
  return offset + 1;
}

function writeString(buffer: Buffer, offset: number, value: string): number {
  const length = buffer.write(value, offset + 2, 'utf8');
  buffer.writeUInt16BE(length, offset);
  return offset + 2 + length;
}

function writeVarInt(buffer: Buffer, start: number, value: number): number {
  let offset = start;
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    buffer[offset++] = byte;
  } while (rest > 0);
  return offset;
}
