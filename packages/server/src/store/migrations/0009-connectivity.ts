/**
 * Per-thing connectivity (connected, since, last disconnect reason), written by the presence service,
 * with the node that held the connection so a restarted node can mark the rows a crash left connected.
 */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../sql/schema.js';

export function connectivityMigration(_dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('thing_connectivity')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('thing', 'text', (c) => c.notNull())
        .addColumn('connected', 'integer', (c) => c.notNull())
        // Epoch ms of the last connect or disconnect; a write older than this is dropped.
        .addColumn('changed_at', 'bigint', (c) => c.notNull())
        .addColumn('disconnect_reason', 'text')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('thing_connectivity_pk', ['tenant', 'thing'])
        .execute();
      // A starting node looks up the rows it left connected.
      await db.schema.createIndex('thing_connectivity_node').on('thing_connectivity').columns(['node_id', 'connected']).execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('thing_connectivity').ifExists().execute();
    },
  };
}
