import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runIdentityStoreContract } from '../contract/identity-store.contract.js';
import { createSqliteIdentityStore } from './sqlite-identity-store.js';
import { createSqliteStore } from './sqlite-store.js';

let directory = '';
let counter = 0;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'gatehouse-sqlite-identity-'));
});

after(async () => {
  await rm(directory, { recursive: true, force: true });
});

runIdentityStoreContract('sqlite', async () => {
  const path = join(directory, `run-${++counter}`, 'broker.db');
  const store = createSqliteIdentityStore({ path });
  await store.open();
  const opened: { close(): Promise<void> }[] = [store];
  return {
    store,
    // A second store on the same file: its own connection, as a second process would have.
    async reopen() {
      const reopened = createSqliteIdentityStore({ path });
      await reopened.open();
      opened.push(reopened);
      return reopened;
    },
    async cleanup() {
      for (const each of opened) await each.close();
    },
  };
});

describe('createSqliteIdentityStore', () => {
  it('shares the broker store\'s file: either may open it first, and both keep working', async () => {
    const path = join(directory, 'shared', 'broker.db');
    const broker = createSqliteStore({ path });
    await broker.open();
    const identity = createSqliteIdentityStore({ path });
    await identity.open();
    await broker.apply([{ kind: 'retained.put', message: { topic: 'a/b', payload: Buffer.from('x'), qos: 1, retain: true, storedAt: 1 } }]);
    await identity.recordToken({ jti: 'j', tenant: 'default', thing: 'agent-7', expiresAt: 10, createdAt: 1 });
    await broker.close();
    await identity.close();

    // Reopened in the other order, on the already-migrated file.
    const identityAgain = createSqliteIdentityStore({ path });
    await identityAgain.open();
    const brokerAgain = createSqliteStore({ path });
    await brokerAgain.open();
    try {
      assert.equal(await identityAgain.consumeToken('j', 2), 'consumed');
      assert.deepEqual((await brokerAgain.loadRetained()).map((message) => message.topic), ['a/b']);
    } finally {
      await brokerAgain.close();
      await identityAgain.close();
    }
  });
});
