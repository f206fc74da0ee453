import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBrokerStoreContract } from '../contract/index.js';
import { createSqliteStore } from './sqlite-store.js';

let directory = '';
let counter = 0;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'gatehouse-sqlite-store-'));
});

after(async () => {
  await rm(directory, { recursive: true, force: true });
});

runBrokerStoreContract('sqlite', async () => {
  // A directory that does not exist yet: the store must create it.
  const path = join(directory, `run-${++counter}`, 'nested', 'broker.db');
  const store = createSqliteStore({ path });
  await store.open();
  const opened: { close(): Promise<void> }[] = [store];
  return {
    store,
    async reopen() {
      const reopened = createSqliteStore({ path });
      await reopened.open();
      opened.push(reopened);
      return reopened;
    },
    async cleanup() {
      for (const each of opened) await each.close();
    },
  };
});

describe('createSqliteStore', () => {
  it('creates the directory and puts the file in WAL mode', async () => {
    const path = join(directory, 'fresh', 'dir', 'wal.db');
    const store = createSqliteStore({ path });
    await store.open();
    await store.close();
    const raw = new Database(path, { readonly: true });
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      raw.close();
    }
  });
});
