/**
 * Kysely table types of the broker store, shared by SQLite and PostgreSQL. Booleans are 0/1
 * integers and times are BIGINT epoch milliseconds, so both dialects hold the same values; `pg`
 * returns BIGINT as a string, which is why the epoch columns read back as `number | string`.
 */
import type { ColumnType } from 'kysely';

/** BIGINT: written as a number, read as a number (SQLite) or a decimal string (pg). */
export type BigIntColumn = ColumnType<number | string, number, number>;
export type NullableBigIntColumn = ColumnType<number | string | null, number | null, number | null>;

export interface SessionsTable {
  client_id: string;
  protocol_version: number;
  expiry_interval: BigIntColumn;
  disconnected_at: NullableBigIntColumn;
}

export interface SubscriptionsTable {
  client_id: string;
  filter: string;
  qos: number;
  no_local: number;
  retain_as_published: number;
  retain_handling: number;
  subscription_identifier: number | null;
}

/** The columns every stored application message has (outgoing, retained, wills). */
export interface MessageColumns {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number;
  /** MessageProperties as JSON text, Buffers base64-encoded; null when the message has none. */
  properties: string | null;
  expires_at: NullableBigIntColumn;
}

export interface OutgoingTable extends MessageColumns {
  client_id: string;
  seq: BigIntColumn;
  state: string;
  packet_id: number | null;
}

export interface IncomingQos2Table {
  client_id: string;
  packet_id: number;
}

export interface RetainedTable extends MessageColumns {
  stored_at: BigIntColumn;
}

export interface WillsTable extends MessageColumns {
  client_id: string;
  publish_at: BigIntColumn;
}

export interface BrokerDatabase {
  sessions: SessionsTable;
  subscriptions: SubscriptionsTable;
  outgoing: OutgoingTable;
  incoming_qos2: IncomingQos2Table;
  retained: RetainedTable;
  wills: WillsTable;
}

/** Which SQL dialect a store talks to; migrations and a few statements differ by it. */
export type SqlDialectName = 'sqlite' | 'postgres';
