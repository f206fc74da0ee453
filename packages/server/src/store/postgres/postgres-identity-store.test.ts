import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { runIdentityStoreContract } from '../contract/identity-store.contract.js';
import { createPostgresIdentityStore } from './postgres-identity-store.js';
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
  describe('IdentityStore contract: postgres', () => {
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

  async function freshSchema(): Promise<string> {
    const schema = `${prefix}_${schemas.length + 1}`;
    schemas.push(schema);
    await admin.query(`CREATE SCHEMA "${schema}"`);
    return schema;
  }

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
