import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { runBrokerStoreContract } from '../contract/index.js';
import { createPostgresStore } from './postgres-store.js';

const NOT_REACHABLE =
  'PostgreSQL not reachable at 127.0.0.1:5432 — start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
const connection: pg.PoolConfig = { host: '127.0.0.1', port: 5432, database: 'test', user: process.env['PGUSER'] ?? 'postgres' };

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const available = await reachable();

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
  describe('BrokerStore contract: postgres', () => {
    it('needs PostgreSQL', (t) => {
      if (process.env['GATEHOUSE_REQUIRE_SERVICES'] === '1') throw new Error(NOT_REACHABLE);
      t.skip(NOT_REACHABLE);
    });
  });
} else {
  // One fresh schema per test store, all under one random prefix, dropped at the end.
  const prefix = `gh_test_${randomBytes(4).toString('hex')}`;
  const schemas: string[] = [];
  const admin = new pg.Pool({ ...connection, max: 2 });

  before(async () => {
    await admin.query('SELECT 1');
  });

  after(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  runBrokerStoreContract('postgres', async () => {
    const schema = `${prefix}_${schemas.length + 1}`;
    schemas.push(schema);
    await admin.query(`CREATE SCHEMA "${schema}"`);
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
