import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runIdentityStoreContract } from '../contract/identity-store.contract.js';
import { createPostgresIdentityStore } from './postgres-identity-store.js';
import { createPostgresStore } from './postgres-store.js';
import { connection, describeUnreachable, postgresReachable, testSchemas } from './postgres-test-harness.js';

const available = await postgresReachable();

describe('createPostgresIdentityStore', () => {
  it('reports a server it cannot reach as STORE_UNAVAILABLE', async () => {
    const store = createPostgresIdentityStore({ connection: { ...connection, port: 1, connectionTimeoutMillis: 2000 } });
    await assert.rejects(store.open(), { name: 'GatehouseError', code: 'STORE_UNAVAILABLE' });
    await store.close();
  });

  it('refuses a schema name that is not a plain identifier', () => {
    assert.throws(() => createPostgresIdentityStore({ connection, schema: 'x"; DROP TABLE y; --' }), { code: 'CONFIG_INVALID' });
  });
});

if (!available) {
  describeUnreachable('IdentityStore contract: postgres');
} else {
  // One fresh schema per test store, all under one random prefix, dropped at the end.
  const schemas = testSchemas();
  const admin = schemas.admin;
  const freshSchema = (): Promise<string> => schemas.fresh();

  runIdentityStoreContract('postgres', async () => {
    const schema = await freshSchema();
    const store = createPostgresIdentityStore({ connection, schema });
    await store.open();
    const opened: { close(): Promise<void> }[] = [store];
    return {
      store,
      async reopen() {
        const reopened = createPostgresIdentityStore({ connection, schema });
        await reopened.open();
        opened.push(reopened);
        return reopened;
      },
      async cleanup() {
        for (const each of opened) await each.close();
      },
    };
  });

  describe('createPostgresIdentityStore on the broker store\'s schema', () => {
    it('shares the schema and its migrations with createPostgresStore', async () => {
      const schema = await freshSchema();
      const broker = createPostgresStore({ connection, schema, maxConnections: 2 });
      const identity = createPostgresIdentityStore({ connection, schema });
      try {
        // Opened at once: the migration lock lets one migrate and the other find the tables made.
        await Promise.all([broker.open(), identity.open()]);
        await broker.apply([{ kind: 'retained.put', message: { topic: 'a/b', payload: Buffer.from('x'), qos: 1, retain: true, storedAt: 1 } }]);
        await identity.recordToken({ jti: 'j', tenant: 'default', thing: 'agent-7', expiresAt: 10, createdAt: 1 });
        assert.equal(await identity.consumeToken('j', 2), 'consumed');
        assert.deepEqual((await broker.loadRetained()).map((message) => message.topic), ['a/b']);
        const tables = await admin.query<{ table_name: string }>(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
          [schema],
        );
        const names = tables.rows.map((row) => row.table_name);
        for (const table of ['ca_certificates', 'device_certificates', 'provisioning_templates', 'registration_tokens', 'retained', 'sessions']) {
          assert.ok(names.includes(table), `table ${table} in ${schema}`);
        }
      } finally {
        await broker.close();
        await identity.close();
      }
    });
  });
}
