/**
 * Test support for the 0008 upgrade: a database migrated only up to 0007 holding things with
 * attributes and groups, as a store of that release left them. Not used at run time.
 */
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import type { IdentityStoreBackend } from '../identity-ports.js';
import type { SqlDialectName } from '../sql/schema.js';
import { migrateBefore } from './migrate-before.fixture.js';

/** Migrates `db` to 0007 only (with the bookkeeping tables migrateToLatest uses) and writes two things and a group. */
export async function seedBefore0008(db: Kysely<unknown>, options: { readonly dialect: SqlDialectName; readonly schema?: string }): Promise<void> {
  await migrateBefore(db, options, '0008');
  await sql`INSERT INTO thing_groups (tenant, name, parent, description, created_at, updated_at) VALUES ('acme', 'lab', NULL, 'Lab', 1000, 1000)`.execute(db);
  await sql`INSERT INTO things (tenant, name, thing_type, attributes, thing_groups, version, created_at, updated_at)
    VALUES ('acme', 'agent-1', 'camera', '{"site":"lyon","fw":"1.2"}', '["lab"]', 3, 1000, 2000)`.execute(db);
  await sql`INSERT INTO things (tenant, name, thing_type, attributes, thing_groups, version, created_at, updated_at)
    VALUES ('acme', 'agent-2', NULL, '{}', '[]', 1, 1000, 1000)`.execute(db);
}

/** What the upgraded store must answer about the seeded things. */
export async function assertRegistryUpgraded(store: IdentityStoreBackend): Promise<void> {
  const one = await store.getThing('acme', 'agent-1');
  const two = await store.getThing('acme', 'agent-2');
  assert.match(one?.thingId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'each old thing gets a thingId');
  assert.notEqual(one?.thingId, two?.thingId);
  assert.deepEqual({ ...one, thingId: undefined }, { tenant: 'acme', name: 'agent-1', thingId: undefined, thingType: 'camera', attributes: { site: 'lyon', fw: '1.2' }, groups: ['lab'], version: 3, createdAt: 1000, updatedAt: 2000 });
  assert.deepEqual((await store.listThings('acme', { limit: 10, attributeName: 'site', attributeValue: 'ly', usePrefixAttributeValue: true })).items.map((each) => each.name), ['agent-1']);
  assert.deepEqual((await store.listThings('acme', { limit: 10, thingGroup: 'lab' })).items.map((each) => each.name), ['agent-1']);
  assert.deepEqual((await store.listThings('acme', { limit: 10, thingType: 'camera' })).items.map((each) => each.name), ['agent-1']);
  assert.deepEqual(await store.getThingGroup('acme', 'lab'), { tenant: 'acme', name: 'lab', description: 'Lab', createdAt: 1000, updatedAt: 1000 });
  assert.equal(await store.replaceThingGroup({ tenant: 'acme', name: 'lab', version: 2, createdAt: 1000, updatedAt: 3000 }, 1), true, 'an old group is at version 1');
}
