/**
 * Copies and JSON-encodes MessageProperties the same way for every backend, so memory, SQLite and
 * PostgreSQL hand back identical objects: only the known fields survive, Buffers are copied (JSON
 * carries them as base64), and user property arrays are fresh arrays.
 */
import type { MessageProperties, StoredMessage } from './ports.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type UserProperties = NonNullable<MessageProperties['userProperties']>;

function copyUserProperties(source: UserProperties): UserProperties {
  // fromEntries defines own properties, so a user property named "__proto__" stays data.
  return Object.fromEntries(Object.entries(source).map(([key, value]) => [key, Array.isArray(value) ? [...value] : value]));
}

/** A deep copy holding only the fields MessageProperties defines. */
export function copyProperties(source: MessageProperties): MessageProperties {
  const copy: Mutable<MessageProperties> = {};
  if (source.payloadFormatIndicator !== undefined) copy.payloadFormatIndicator = source.payloadFormatIndicator;
  if (source.contentType !== undefined) copy.contentType = source.contentType;
  if (source.responseTopic !== undefined) copy.responseTopic = source.responseTopic;
  if (source.correlationData !== undefined) copy.correlationData = Buffer.from(source.correlationData);
  if (source.userProperties !== undefined) copy.userProperties = copyUserProperties(source.userProperties);
  return copy;
}

/** A deep copy of a message: the caller may reuse or mutate its payload Buffer afterwards. */
export function copyMessage(source: StoredMessage): StoredMessage {
  const copy: Mutable<StoredMessage> = {
    topic: source.topic,
    payload: Buffer.from(source.payload),
    qos: source.qos,
    retain: source.retain,
  };
  if (source.properties !== undefined) copy.properties = copyProperties(source.properties);
  if (source.expiresAt !== undefined) copy.expiresAt = source.expiresAt;
  return copy;
}

/** JSON text for a properties column; correlationData travels as base64. */
export function encodePropertiesJson(properties: MessageProperties | undefined): string | null {
  if (properties === undefined) return null;
  const { correlationData, ...rest } = copyProperties(properties);
  return JSON.stringify(correlationData === undefined ? rest : { ...rest, correlationData: correlationData.toString('base64') });
}

function isStringRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reverses encodePropertiesJson; throws TypeError on text it did not write. */
export function decodePropertiesJson(text: string): MessageProperties {
  const parsed: unknown = JSON.parse(text);
  if (!isStringRecord(parsed)) throw new TypeError('Cannot decode stored message properties: not a JSON object');
  const decoded: Mutable<MessageProperties> = {};
  const { payloadFormatIndicator, contentType, responseTopic, correlationData, userProperties } = parsed;
  if (typeof payloadFormatIndicator === 'boolean') decoded.payloadFormatIndicator = payloadFormatIndicator;
  if (typeof contentType === 'string') decoded.contentType = contentType;
  if (typeof responseTopic === 'string') decoded.responseTopic = responseTopic;
  if (typeof correlationData === 'string') decoded.correlationData = Buffer.from(correlationData, 'base64');
  if (isStringRecord(userProperties)) {
    const entries = Object.entries(userProperties).filter(
      (entry): entry is [string, string | string[]] =>
        typeof entry[1] === 'string' || (Array.isArray(entry[1]) && entry[1].every((item) => typeof item === 'string')),
    );
    decoded.userProperties = Object.fromEntries(entries);
  }
  return decoded;
}
