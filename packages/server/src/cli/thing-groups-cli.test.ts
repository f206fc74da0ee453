/** `gatehouse thing-groups list|create|delete` as a real child process against a real admin API. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startAdminApiHarness, testIdentityServices, type AdminApiHarness } from '../api/admin-api-harness.js';
import { MemoryIdentityStore, MemoryStore } from '../store/index.js';

const fixture = fileURLToPath(new URL('./admin-cli-fixture.ts', import.meta.url));

describe('gatehouse thing-groups', () => {
  let harness: AdminApiHarness;
  let identity: MemoryIdentityStore;

  const gatehouse = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GATEHOUSE_')));
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', fixture, ...args, '--url', harness.apiUrl, '--key', harness.adminKey], { env, timeout: 20_000 }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
      });
    });
  };

  before(async () => {
    identity = new MemoryIdentityStore();
    await identity.open();
    harness = await startAdminApiHarness({ store: new MemoryStore(), identity: await testIdentityServices(identity) });
  });
  after(async () => {
    await harness.close();
    await identity.close();
  });

  test('creates a tree, lists it, refuses a missing parent and deleting a parent', async () => {
    assert.equal((await gatehouse('thing-groups', 'create', 'sites', '--tenant', 'acme')).stdout, 'Thing group "sites" of tenant "acme" is a root\n');
    assert.equal((await gatehouse('thing-groups', 'create', 'berlin', '--parent', 'sites', '--tenant', 'acme')).stdout, 'Thing group "berlin" of tenant "acme" is under "sites"\n');
    assert.equal((await identity.getThingGroup('acme', 'berlin'))?.parent, 'sites');
    const listed = await gatehouse('thing-groups', 'list', '--tenant', 'acme');
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /^NAME +PARENT/);
    assert.match(listed.stdout, /\nberlin +sites /);

    const orphan = await gatehouse('thing-groups', 'create', 'x', '--parent', 'nowhere', '--tenant', 'acme');
    assert.equal(orphan.code, 1);
    assert.match(orphan.stderr, /parent group "nowhere" does not exist/);
    const parent = await gatehouse('thing-groups', 'delete', 'sites', '--tenant', 'acme');
    assert.equal(parent.code, 1);
    assert.match(parent.stderr, /it is the parent of "berlin"/);
    assert.equal((await gatehouse('thing-groups', 'delete', 'berlin', '--tenant', 'acme')).stdout, 'Deleted thing group "berlin"\n');
    assert.deepEqual(JSON.parse((await gatehouse('thing-groups', 'list', '--tenant', 'acme', '--json')).stdout).items.map((g: { name: string }) => g.name), ['sites']);
  });
});
