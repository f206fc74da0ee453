import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { GatehouseError, silentLogger } from '../core/index.js';
import { loadConfig } from './config.js';
import { startGatehouse } from './serve.js';

const NOT_REACHABLE =
  'PostgreSQL not reachable at 127.0.0.1:5432 — start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
const user = process.env['PGUSER'] ?? 'postgres';
const url = `postgres://${user}@127.0.0.1:5432/test`;
const allZero = ['mqtt', 'mqtts', 'ws', 'wss', 'admin'].map((name) => `listeners.${name}.port=0`);

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('startGatehouse with store.kind=postgres', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-serve-pg-'));
  });
  after(async () => rm(root, { recursive: true, force: true }));

  it('fails with STORE_UNAVAILABLE when the database cannot be reached, leaving nothing behind', async () => {
    const home = join(root, 'unreachable');
    const { config, explicitPorts } = await loadConfig({ env: {}, cwd: root, flags: { home, set: [...allZero, 'store.kind=postgres', 'store.url=postgres://nobody@127.0.0.1:1/none'] } });
    await assert.rejects(startGatehouse(config, { explicitPorts, logger: silentLogger(), banner: false }), (error: unknown) => {
      assert.ok(error instanceof GatehouseError);
      assert.equal(error.code, 'STORE_UNAVAILABLE');
      return true;
    });
    assert.equal(existsSync(join(home, 'endpoints.json')), false);
  });

  it('keeps retained messages in PostgreSQL across a restart', async (t) => {
    if (!(await reachable())) {
      if (process.env['GATEHOUSE_REQUIRE_SERVICES'] === '1') throw new Error(NOT_REACHABLE);
      t.skip(NOT_REACHABLE);
      return;
    }
    const schema = `gh_serve_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const inputs = { env: { GATEHOUSE_STORE: 'postgres', GATEHOUSE_STORE_URL: url }, cwd: root, flags: { home: join(root, 'pg'), set: [...allZero, `store.schema=${schema}`] } };
      const first = await loadConfig(inputs);
      const one = await startGatehouse(first.config, { explicitPorts: first.explicitPorts, logger: silentLogger(), banner: false });
      try {
        await one.broker.admin.publish({ topic: 'config/agent-1', payload: Buffer.from('v1'), qos: 1, retain: true });
      } finally {
        await one.close();
      }
      const two = await startGatehouse(first.config, { explicitPorts: first.explicitPorts, logger: silentLogger(), banner: false });
      try {
        const retained = two.broker.admin.getRetained('config/agent-1');
        assert.equal(retained === undefined ? undefined : Buffer.from(retained.payload, 'base64').toString(), 'v1');
      } finally {
        await two.close();
      }
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });
});
