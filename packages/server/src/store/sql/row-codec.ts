/** Turns stored messages into table rows and back; the one place that knows how columns encode values. */
import type { Selectable } from 'kysely';
import { decodePropertiesJson, encodePropertiesJson } from '../message-properties.js';
import type { OutgoingState, StoredMessage } from '../ports.js';
import type { MessageColumns } from './schema.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The insert form of MessageColumns (BIGINT written as a number). */
export interface MessageColumnValues {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number;
  properties: string | null;
  expires_at: number | null;
}

/** BIGINT arrives as a number from SQLite and as a decimal string from pg. */
export function toNumber(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}

export function toOptionalNumber(value: number | string | null): number | undefined {
  return value === null ? undefined : toNumber(value);
}

export function messageColumns(message: StoredMessage): MessageColumnValues {
  return {
    topic: message.topic,
    payload: message.payload,
    qos: message.qos,
    retain: message.retain ? 1 : 0,
    properties: encodePropertiesJson(message.properties),
    expires_at: message.expiresAt ?? null,
  };
}

export function toZeroToTwo(value: number, what: string): 0 | 1 | 2 {
  if (value === 0 || value === 1 || value === 2) return value;
  throw new TypeError(`Cannot read stored ${what} ${value}: expected 0, 1 or 2`);
}

export function toQos(value: number): 0 | 1 | 2 {
  return toZeroToTwo(value, 'QoS');
}

export function toOutgoingState(value: string): OutgoingState {
  if (value === 'queued' || value === 'sent' || value === 'released') return value;
  throw new TypeError(`Cannot read stored outgoing state "${value}"`);
}

export function messageFromRow(row: Selectable<MessageColumns>): StoredMessage {
  const message: Mutable<StoredMessage> = {
    topic: row.topic,
    // pg hands back a Buffer; better-sqlite3 too. Copy nothing: the row is ours alone.
    payload: row.payload,
    qos: toQos(row.qos),
    retain: row.retain !== 0,
  };
  if (row.properties !== null) message.properties = decodePropertiesJson(row.properties);
  const expiresAt = toOptionalNumber(row.expires_at);
  if (expiresAt !== undefined) message.expiresAt = expiresAt;
  return message;
}

/** Sort order that does not depend on a database collation: UTF-16 code units, as JS compares strings. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
