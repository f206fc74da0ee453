/** Migration 0005 on a PostgreSQL schema a 0004 store left: existing policies become their own only version. */
import { test } from 'node:test';
import { Kysely } from 'kysely';
import { assertUpgraded, seedBefore0005 } from '../migrations/policy-upgrade.fixture.js';
import { createPostgresIdentityStore } from './postgres-identity-store.js';
import { createPostgresDialect } from './postgres-store.js';
import { connection, describeUnreachable, postgresReachable, testSchemas } from './postgres-test-harness.js';

if (!(await postgresReachable())) {
  describeUnreachable('migration 0005 on PostgreSQL');
} else {
  const schemas = testSchemas();

  test('a policy of a 0004 schema reads as its one default version after the upgrade', async () => {
    const schema = await schemas.fresh();
    const old = new Kysely<unknown>({ dialect: createPostgresDialect({ connection, schema }, { defaultMaxConnections: 1, label: 'test' }) });
    await seedBefore0005(old, { dialect: 'postgres', schema });
    await old.destroy();
    const store = createPostgresIdentityStore({ connection, schema });
    await store.open();
    try {
      await assertUpgraded(store);
    } finally {
      await store.close();
    }
  });
}
