/** Migration 0008 on a SQLite file a 0007 store left: old things get ids, and their attributes and groups become filterable. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { assertRegistryUpgraded, seedBefore0008 } from '../migrations/registry-upgrade.fixture.js';
import { createSqliteIdentityStore } from './sqlite-identity-store.js';

test('things of a 0007 database get a thingId and list by attribute and group after the upgrade', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'gatehouse-upgrade-'));
  const path = join(directory, 'broker.db');
  try {
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
    await seedBefore0008(old, { dialect: 'sqlite' });
    await old.destroy();
    const store = createSqliteIdentityStore({ path });
    await store.open();
    try {
      await assertRegistryUpgraded(store);
    } finally {
      await store.close();
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
