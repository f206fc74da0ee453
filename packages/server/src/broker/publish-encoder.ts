/**
 * Encodes outgoing PUBLISH packets. While one message is being routed, each distinct form (protocol
 * family, QoS, retain flag) is encoded once and shared: QoS 0 subscribers get the same Buffer, QoS 1/2
 * subscribers a copy with their packet identifier patched in. Forms that differ per subscriber
 * (subscription identifiers, topic aliases) are encoded one by one.
 */
import { encodePublish, varIntSize, type PublishProperties } from '../mqtt/index.js';
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
  /** Characters cut from the front of the topic: a tenant's `$tenants/{tenant}/` prefix (tenancy.ts). */
  readonly topicOffset?: number;
}

interface CachedForm {
  readonly buffer: Buffer;
  /** Offset of the packet identifier (0 for QoS 0). */
  readonly packetIdOffset: number;
}

/** Slots: [topic cut ? 1 : 0][v5 ? 1 : 0][retain ? 1 : 0][qos]. One message reaches at most one tenant's prefix length and the full name. */
const SLOTS = 24;

export class PublishEncoder {
  #message: StoredMessage | undefined;
  #now = 0;
  readonly #forms: (CachedForm | undefined)[] = new Array<CachedForm | undefined>(SLOTS).fill(undefined);
  /** Slots filled for the current message: only those are cleared (most messages fill one). */
  readonly #filled: number[] = [];

  /** Starts sharing encodings for `message` until `end()`. */
  begin(message: StoredMessage, now: number): void {
    this.#clear();
    this.#message = message;
    this.#now = now;
  }

  end(): void {
    this.#message = undefined;
    this.#clear();
  }

  #clear(): void {
    const filled = this.#filled;
    for (let i = 0; i < filled.length; i++) this.#forms[filled[i]!] = undefined;
    filled.length = 0;
  }

  encode(message: StoredMessage, form: PublishForm, now: number): Buffer {
    const shareable = message === this.#message && now === this.#now && !form.dup
      && form.subscriptionIds === undefined && form.topicAlias === undefined;
    if (!shareable) return encodeForm(message, form, now);
    const slot = (form.topicOffset ? 12 : 0) + (form.protocolVersion === 5 ? 6 : 0) + (form.retain ? 3 : 0) + form.qos;
    let cached = this.#forms[slot];
    if (cached === undefined) {
      const buffer = encodeForm(message, { ...form, packetId: 1 }, now);
      cached = { buffer, packetIdOffset: form.qos === 0 ? 0 : packetIdOffset(buffer, outgoingTopic(message.topic, form.topicOffset)) };
      this.#forms[slot] = cached;
      this.#filled.push(slot);
    }
    if (form.qos === 0) return cached.buffer;
    const copy = Buffer.allocUnsafe(cached.buffer.length);
    cached.buffer.copy(copy);
    copy.writeUInt16BE(form.packetId, cached.packetIdOffset);
    return copy;
  }
}

/** The topic as the subscriber names it. */
function outgoingTopic(topic: string, offset: number | undefined): string {
  return offset ? topic.slice(offset) : topic;
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

function encodeForm(message: StoredMessage, form: PublishForm, now: number): Buffer {
  const fields = {
    topic: form.omitTopic === true ? '' : outgoingTopic(message.topic, form.topicOffset),
    payload: message.payload,
    qos: form.qos,
    retain: form.retain,
    dup: form.dup,
    packetId: form.packetId,
  };
  if (form.protocolVersion !== 5) return encodePublish(fields, form.protocolVersion);
  const p = message.properties;
  const properties: PublishProperties = {
    payloadFormatIndicator: p?.payloadFormatIndicator,
    contentType: p?.contentType,
    responseTopic: p?.responseTopic,
    correlationData: p?.correlationData,
    userProperties: p?.userProperties,
    // [MQTT-3.3.2-6] the interval sent is what is left of it
    messageExpiryInterval: message.expiresAt === undefined ? undefined : Math.max(1, Math.ceil((message.expiresAt - now) / 1000)),
    // [MQTT-3.3.4-3] one Subscription Identifier per matching subscription that had one
    subscriptionIdentifiers: form.subscriptionIds !== undefined && form.subscriptionIds.length > 0 ? form.subscriptionIds : undefined,
    topicAlias: form.topicAlias,
  };
  return encodePublish(fields, 5, properties);
}
