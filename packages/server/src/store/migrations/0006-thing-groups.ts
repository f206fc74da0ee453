/**
 * The static thing group tree: one row per group with its parent, so policies attached to a group
 * reach the things of its subgroups. The parent's existence, cycles and depth are checked by the store.
 */
import type { Kysely, Migration } from 'kysely';

export function thingGroupsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('thing_groups')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('parent', 'text')
        .addColumn('description', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('thing_groups_pk', ['tenant', 'name'])
        .execute();
      // deleteThingGroup looks for children before it deletes.
      await db.schema.createIndex('thing_groups_parent').on('thing_groups').columns(['tenant', 'parent']).execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('thing_groups').ifExists().execute();
    },
  };
}
