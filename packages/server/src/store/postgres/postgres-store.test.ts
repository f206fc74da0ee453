import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBrokerStoreContract } from '../contract/index.js';
import { createPostgresStore } from './postgres-store.js';
import { connection, describeUnreachable, postgresReachable, testSchemas } from './postgres-test-harness.js';

const available = await postgresReachable();

describe('createPostgresStore', () => {
  it('reports a server it cannot reach as STORE_UNAVAILABLE', async () => {
    // Port 1 refuses at once on loopback; no PostgreSQL needed.
    const store = createPostgresStore({ connection: { ...connection, port: 1, connectionTimeoutMillis: 2000 } });
    await assert.rejects(store.open(), { name: 'GatehouseError', code: 'STORE_UNAVAILABLE' });
    await store.close();
  });

  it('refuses a schema name that is not a plain identifier', () => {
    assert.throws(() => createPostgresStore({ connection, schema: 'x"; DROP TABLE y; --' }), { code: 'CONFIG_INVALID' });
  });
});

if (!available) {
  describeUnreachable('BrokerStore contract: postgres');
} else {
  // One fresh schema per test store, all under one random prefix, dropped at the end.
  const schemas = testSchemas();

  runBrokerStoreContract('postgres', async () => {
    const schema = await schemas.fresh();
    const store = createPostgresStore({ connection, schema, maxConnections: 4 });
    await store.open();
    const opened: { close(): Promise<void> }[] = [store];
    return {
      store,
      async reopen() {
        const reopened = createPostgresStore({ connection, schema, maxConnections: 4 });
        await reopened.open();
        opened.push(reopened);
        return reopened;
      },
      async cleanup() {
        for (const each of opened) await each.close();
      },
    };
  });
}
