/** The first schema of the broker store: sessions, their subscriptions and queues, retained messages and wills. */
import type { CreateTableBuilder, Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../sql/schema.js';

/**
 * Column types that differ between the dialects. Everything else is TEXT, INTEGER and BIGINT, which
 * mean the same on both (SQLite gives them integer affinity; BIGINT holds epoch milliseconds).
 */
function binaryType(dialect: SqlDialectName): 'bytea' | 'blob' {
  return dialect === 'postgres' ? 'bytea' : 'blob';
}

/** The columns of a stored application message, the same in outgoing, retained and wills. */
function addMessageColumns<T extends string, C extends string>(
  table: CreateTableBuilder<T, C>,
  binary: 'bytea' | 'blob',
): CreateTableBuilder<T, C | 'topic' | 'payload' | 'qos' | 'retain' | 'properties' | 'expires_at'> {
  return table
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('payload', binary, (c) => c.notNull())
    .addColumn('qos', 'integer', (c) => c.notNull())
    .addColumn('retain', 'integer', (c) => c.notNull())
    .addColumn('properties', 'text')
    .addColumn('expires_at', 'bigint');
}

export function initialMigration(dialect: SqlDialectName): Migration {
  const binary = binaryType(dialect);
  return {
    // Migrations run on a schema-less Kysely by design (they must not depend on today's types).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sessions')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('protocol_version', 'integer', (c) => c.notNull())
        .addColumn('expiry_interval', 'bigint', (c) => c.notNull())
        .addColumn('disconnected_at', 'bigint')
        .execute();

      await db.schema
        .createTable('subscriptions')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('filter', 'text', (c) => c.notNull())
        .addColumn('qos', 'integer', (c) => c.notNull())
        .addColumn('no_local', 'integer', (c) => c.notNull())
        .addColumn('retain_as_published', 'integer', (c) => c.notNull())
        .addColumn('retain_handling', 'integer', (c) => c.notNull())
        .addColumn('subscription_identifier', 'integer')
        .addPrimaryKeyConstraint('subscriptions_pk', ['client_id', 'filter'])
        .execute();

      await db.schema
        .createTable('outgoing')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('packet_id', 'integer')
        .$call((table) => addMessageColumns(table, binary))
        .addPrimaryKeyConstraint('outgoing_pk', ['client_id', 'seq'])
        .execute();

      await db.schema
        .createTable('incoming_qos2')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('packet_id', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('incoming_qos2_pk', ['client_id', 'packet_id'])
        .execute();

      await db.schema
        .createTable('retained')
        .$call((table) => addMessageColumns(table, binary))
        .addColumn('stored_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('retained_pk', ['topic'])
        .execute();

      await db.schema
        .createTable('wills')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .$call((table) => addMessageColumns(table, binary))
        .addColumn('publish_at', 'bigint', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['wills', 'retained', 'incoming_qos2', 'outgoing', 'subscriptions', 'sessions']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
