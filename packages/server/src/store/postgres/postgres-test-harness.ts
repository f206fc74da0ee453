/**
 * What the PostgreSQL store tests share: the local server's address, whether it answers, the
 * skip-or-fail rule of GATEHOUSE_REQUIRE_SERVICES, and one fresh schema per store, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';

export const NOT_REACHABLE =
  'PostgreSQL not reachable at 127.0.0.1:5432 — start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
export const connection: pg.PoolConfig = { host: '127.0.0.1', port: 5432, database: 'test', user: process.env['PGUSER'] ?? 'postgres' };

export async function postgresReachable(): Promise<boolean> {
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

/** A suite that skips (or fails, when services are required) because PostgreSQL does not answer. */
export function describeUnreachable(name: string): void {
  describe(name, () => {
    it('needs PostgreSQL', (t) => {
      if (process.env['GATEHOUSE_REQUIRE_SERVICES'] === '1') throw new Error(NOT_REACHABLE);
      t.skip(NOT_REACHABLE);
    });
  });
}

export interface TestSchemas {
  /** Creates a new empty schema for one store. */
  fresh(): Promise<string>;
  readonly admin: pg.Pool;
}

/** Registers before/after hooks in the calling file: schemas under one random prefix, dropped after. */
export function testSchemas(): TestSchemas {
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
  return {
    admin,
    async fresh() {
      const schema = `${prefix}_${schemas.length + 1}`;
      schemas.push(schema);
      await admin.query(`CREATE SCHEMA "${schema}"`);
      return schema;
    },
  };
}
