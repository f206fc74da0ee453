/** Migration 0005 on a SQLite file a 0004 store left: existing policies become their own only version. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { assertUpgraded, seedBefore0005 } from '../migrations/policy-upgrade.fixture.js';
import { createSqliteIdentityStore } from './sqlite-identity-store.js';

test('a policy of a 0004 database reads as its one default version after the upgrade', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'gatehouse-upgrade-'));
  const path = join(directory, 'broker.db');
  try {
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
    await seedBefore0005(old, { dialect: 'sqlite' });
    await old.destroy();
    const store = createSqliteIdentityStore({ path });
    await store.open();
    try {
      await assertUpgraded(store);
    } finally {
      await store.close();
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
