/** `gatehouse thing-groups list|create|delete` as a real child process against a real admin API. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startIdentityAdminApiHarness, type IdentityAdminApiHarness } from '../api/admin-api-harness.js';
import { cliRunner } from './cli-test-kit.js';

describe('gatehouse thing-groups', () => {
  let harness: IdentityAdminApiHarness;

  const gatehouse = cliRunner(() => harness);

  before(async () => {
    harness = await startIdentityAdminApiHarness();
  });
  after(() => harness.close());

  test('creates a tree, lists it, refuses a missing parent and deleting a parent', async () => {
    assert.equal((await gatehouse('thing-groups', 'create', 'sites', '--tenant', 'acme')).stdout, 'Thing group "sites" of tenant "acme" is a root\n');
    assert.equal((await gatehouse('thing-groups', 'create', 'berlin', '--parent', 'sites', '--tenant', 'acme')).stdout, 'Thing group "berlin" of tenant "acme" is under "sites"\n');
    assert.equal((await harness.identity.getThingGroup('acme', 'berlin'))?.parent, 'sites');
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
