/**
 * Encodes outgoing PUBLISH packets. While one message is being routed, each distinct form (protocol
 * family, QoS, retain flag) is encoded once and shared: QoS 0 subscribers get the same Buffer, QoS 1/2
 * subscribers a copy with their packet identifier patched in. Forms that differ per subscriber
 * (subscription identifiers, topic aliases) are encoded one by one.
 */
import { encodePacket, varIntSize, type PublishPacket } from '../mqtt/index.js';
import type { StoredMessage } from '../store/index.js';

export interface PublishForm {
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly dup: boolean;
  readonly packetId: number;
  readonly protocolVersion: 3 | 4 | 5;
  readonly subscriptionIds?: readonly number[] | undefined;
  /** Outgoing topic alias; with `omitTopic` the topic name is left empty. */
  readonly topicAlias?: number | undefined;
  readonly omitTopic?: boolean | undefined;
}

interface CachedForm {
  readonly buffer: Buffer;
  /** Offset of the packet identifier (0 for QoS 0). */
  readonly packetIdOffset: number;
}

/** Slots: [v5 ? 1 : 0][retain ? 1 : 0][qos]. */
const SLOTS = 12;

export class PublishEncoder {
  #message: StoredMessage | undefined;
  #now = 0;
  readonly #forms: (CachedForm | undefined)[] = new Array<CachedForm | undefined>(SLOTS).fill(undefined);

  /** Starts sharing encodings for `message` until `end()`. */
  begin(message: StoredMessage, now: number): void {
    this.#message = message;
    this.#now = now;
    this.#forms.fill(undefined);
  }

  end(): void {
    this.#message = undefined;
    this.#forms.fill(undefined);
  }

  encode(message: StoredMessage, form: PublishForm, now: number): Buffer {
    const shareable = message === this.#message && now === this.#now && !form.dup
      && form.subscriptionIds === undefined && form.topicAlias === undefined;
    if (!shareable) return encodePacket(toPacket(message, form, now), form.protocolVersion);
    const slot = (form.protocolVersion === 5 ? 6 : 0) + (form.retain ? 3 : 0) + form.qos;
    let cached = this.#forms[slot];
    if (cached === undefined) {
      const buffer = encodePacket(toPacket(message, { ...form, packetId: 1 }, now), form.protocolVersion);
      cached = { buffer, packetIdOffset: form.qos === 0 ? 0 : packetIdOffset(buffer, message.topic) };
      this.#forms[slot] = cached;
    }
    if (form.qos === 0) return cached.buffer;
    const copy = Buffer.allocUnsafe(cached.buffer.length);
    cached.buffer.copy(copy);
    copy.writeUInt16BE(form.packetId, cached.packetIdOffset);
    return copy;
  }
}

/** Fixed header, remaining length, topic length and topic come before the packet identifier. */
function packetIdOffset(buffer: Buffer, topic: string): number {
  const remaining = buffer.length - 1 - varIntSizeFromBuffer(buffer);
  return 1 + varIntSize(remaining) + 2 + Buffer.byteLength(topic);
}

function varIntSizeFromBuffer(buffer: Buffer): number {
  let size = 1;
  while (size < 4 && (buffer[size]! & 0x80) !== 0) size++;
  return size;
}

function toPacket(message: StoredMessage, form: PublishForm, now: number): PublishPacket {
  const packet: PublishPacket = {
    cmd: 'publish',
    topic: form.omitTopic === true ? '' : message.topic,
    payload: message.payload,
    qos: form.qos,
    retain: form.retain,
    dup: form.dup,
  };
  if (form.qos > 0) packet.messageId = form.packetId;
  if (form.protocolVersion === 5) {
    const p = message.properties;
    const properties: NonNullable<PublishPacket['properties']> = {};
    if (p !== undefined) {
      if (p.payloadFormatIndicator !== undefined) properties.payloadFormatIndicator = p.payloadFormatIndicator;
      if (p.contentType !== undefined) properties.contentType = p.contentType;
      if (p.responseTopic !== undefined) properties.responseTopic = p.responseTopic;
      if (p.correlationData !== undefined) properties.correlationData = p.correlationData;
      if (p.userProperties !== undefined) properties.userProperties = p.userProperties as Record<string, string | string[]>;
    }
    if (message.expiresAt !== undefined) {
      // [MQTT-3.3.2-6] the interval sent is what is left of it
      properties.messageExpiryInterval = Math.max(1, Math.ceil((message.expiresAt - now) / 1000));
    }
    if (form.subscriptionIds !== undefined && form.subscriptionIds.length > 0) {
      // [MQTT-3.3.4-3] one Subscription Identifier per matching subscription that had one
      (properties as Record<string, unknown>).subscriptionIdentifier = form.subscriptionIds.length === 1 ? form.subscriptionIds[0] : [...form.subscriptionIds];
    }
    if (form.topicAlias !== undefined) properties.topicAlias = form.topicAlias;
    packet.properties = properties;
  }
  return packet;
}
