/** Migration 0008 on a PostgreSQL schema a 0007 store left: old things get ids, and their attributes and groups become filterable. */
import { test } from 'node:test';
import { Kysely } from 'kysely';
import { assertRegistryUpgraded, seedBefore0008 } from '../migrations/registry-upgrade.fixture.js';
import { createPostgresIdentityStore } from './postgres-identity-store.js';
import { createPostgresDialect } from './postgres-store.js';
import { connection, describeUnreachable, postgresReachable, testSchemas } from './postgres-test-harness.js';

if (!(await postgresReachable())) {
  describeUnreachable('migration 0008 on PostgreSQL');
} else {
  const schemas = testSchemas();

  test('things of a 0007 schema get a thingId and list by attribute and group after the upgrade', async () => {
    const schema = await schemas.fresh();
    const old = new Kysely<unknown>({ dialect: createPostgresDialect({ connection, schema }, { defaultMaxConnections: 1, label: 'test' }) });
    await seedBefore0008(old, { dialect: 'postgres', schema });
    await old.destroy();
    const store = createPostgresIdentityStore({ connection, schema });
    await store.open();
    try {
      await assertRegistryUpgraded(store);
    } finally {
      await store.close();
    }
  });
}
