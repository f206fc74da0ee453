import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { after, before, describe, it } from 'node:test';
import { runConnectivityStoreContract } from '../contract/connectivity-store.contract.js';
import { SqlConnectivityStore, type ConnectivityDatabase } from '../sql/index.js';
import { createSqliteConnectivityStore } from './sqlite-connectivity-store.js';

let directory = '';
let counter = 0;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'gatehouse-sqlite-connectivity-'));
});

after(async () => {
  await rm(directory, { recursive: true, force: true });
});

runConnectivityStoreContract('sqlite', async () => {
  const path = join(directory, `run-${++counter}`, 'broker.db');
  const store = createSqliteConnectivityStore({ path });
  await store.open();
  const opened: { close(): Promise<void> }[] = [store];
  return {
    store,
    // A second store on the same file: its own connection, as a restarted process would have.
    async reopen() {
      const reopened = createSqliteConnectivityStore({ path });
      await reopened.open();
      opened.push(reopened);
      return reopened;
    },
    async cleanup() {
      for (const each of opened) await each.close();
    },
  };
});

describe('SqlConnectivityStore on SQLite', () => {
  it('writes a connect storm of 3000 records in one tick as one transaction of 6 multi-row INSERTs', async () => {
    const statements: string[] = [];
    const db = new Kysely<ConnectivityDatabase>({
      dialect: new SqliteDialect({ database: async () => new Database(join(directory, 'counted.db')) }),
      log: (event) => {
        if (event.level === 'query') statements.push(event.query.sql.slice(0, 12).toLowerCase());
      },
    });
    const store = new SqlConnectivityStore({ db, dialect: 'sqlite' });
    await store.open();
    try {
      statements.length = 0;
      const at = Date.now();
      await Promise.all(Array.from({ length: 3000 }, (_, i) => store.setConnectivity({ tenant: 't', thing: `storm-${i}`, connected: true, timestamp: at, clientId: `storm-${i}`, nodeId: 'n' })));
      assert.equal(statements.filter((sql) => sql.startsWith('insert')).length, 6, statements.join('\n'));
      assert.equal(statements.filter((sql) => sql.startsWith('begin')).length, 1, statements.join('\n'));
      assert.equal((await store.listConnectivity('t', ['storm-0', 'storm-2999'])).length, 2);
    } finally {
      await store.close();
    }
  });
});
