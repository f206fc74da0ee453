import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runShadowStoreContract } from '../contract/shadow-store.contract.js';
import { createPostgresShadowStore } from './postgres-shadow-store.js';
import { createPostgresStore } from './postgres-store.js';
import { connection, describeUnreachable, postgresReachable, testSchemas } from './postgres-test-harness.js';

const available = await postgresReachable();

describe('createPostgresShadowStore', () => {
  it('reports a server it cannot reach as STORE_UNAVAILABLE', async () => {
    const store = createPostgresShadowStore({ connection: { ...connection, port: 1, connectionTimeoutMillis: 2000 } });
    await assert.rejects(store.open(), { name: 'GatehouseError', code: 'STORE_UNAVAILABLE' });
    await store.close();
  });

  it('refuses a schema name that is not a plain identifier', () => {
    assert.throws(() => createPostgresShadowStore({ connection, schema: 'x"; DROP TABLE y; --' }), { code: 'CONFIG_INVALID' });
  });
});

if (!available) {
  describeUnreachable('ShadowStore contract: postgres');
} else {
  // One fresh schema per test store, all under one random prefix, dropped at the end.
  const schemas = testSchemas();
  const admin = schemas.admin;

  runShadowStoreContract('postgres', async () => {
    const schema = await schemas.fresh();
    const store = createPostgresShadowStore({ connection, schema });
    await store.open();
    const opened: { close(): Promise<void> }[] = [store];
    return {
      store,
      // Its own pool: to PostgreSQL, as separate as another process or node.
      async reopen() {
        const reopened = createPostgresShadowStore({ connection, schema });
        await reopened.open();
        opened.push(reopened);
        return reopened;
      },
      async cleanup() {
        for (const each of opened) await each.close();
      },
    };
  });

  describe('createPostgresShadowStore on the broker store\'s schema', () => {
    it('shares the schema and its migrations with createPostgresStore, and compares names bytewise whatever the database collation', async () => {
      const schema = await schemas.fresh();
      const broker = createPostgresStore({ connection, schema, maxConnections: 2 });
      const shadows = createPostgresShadowStore({ connection, schema });
      try {
        // Opened at once: the migration lock lets one migrate and the other find the tables made.
        await Promise.all([broker.open(), shadows.open()]);
        await broker.apply([{ kind: 'retained.put', message: { topic: 'a/b', payload: Buffer.from('x'), qos: 1, retain: true, storedAt: 1 } }]);
        assert.equal(await shadows.putShadow({ tenant: 'acme', thing: 'agent-7', name: 'config', state: '{}', metadata: '{}', version: 1, updatedAt: 1 }, undefined), true);
        assert.deepEqual((await broker.loadRetained()).map((message) => message.topic), ['a/b']);
        // The test database may sort bytewise anyway (C.UTF-8): check the column itself says "C".
        const columns = await admin.query<{ column_name: string; collation_name: string | null }>(
          "SELECT column_name, collation_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'shadows' ORDER BY column_name",
          [schema],
        );
        assert.deepEqual(
          columns.rows.map((row) => row.column_name),
          ['deleted_at', 'metadata', 'name', 'state', 'tenant', 'thing', 'updated_at', 'version'],
        );
        assert.equal(columns.rows.find((row) => row.column_name === 'name')?.collation_name, 'C');
      } finally {
        await broker.close();
        await shadows.close();
      }
    });
  });
}
