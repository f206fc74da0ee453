/** `gatehouse things|types|groups|billing-groups|events` as a real child process against a real admin API. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRegistryAdminApiHarness, type RegistryAdminApiHarness } from '../api/registry-api-harness.js';
import { cliRunner } from './cli-test-kit.js';

describe('gatehouse registry commands', () => {
  let harness: RegistryAdminApiHarness;
  let dir: string;
  const gatehouse = cliRunner(() => harness);

  before(async () => {
    harness = await startRegistryAdminApiHarness();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-registry-cli-'));
    await harness.json('POST', '/v1/tenants', { id: 'acme' });
  });
  after(async () => {
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('things: create with a type and attributes, list with filters, update optimistically, show, delete', async () => {
    assert.equal((await gatehouse('types', 'create', 'camera', '--searchable-attribute', 'site', '--tenant', 'acme')).code, 0);
    const created = await gatehouse('things', 'create', 'cam-1', '--type', 'camera', '--attribute', 'site=lyon', '--attribute', 'fw=1.2', '--tenant', 'acme');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^Thing "cam-1" of tenant "acme" is at version 1 \(id [0-9a-f-]{36}\)\n$/);
    await gatehouse('things', 'create', 'cam-2', '--attribute', 'site=paris', '--tenant', 'acme');
    assert.deepEqual((await harness.identity.getThing('acme', 'cam-1'))?.attributes, { site: 'lyon', fw: '1.2' });

    const listed = await gatehouse('things', 'list', '--tenant', 'acme');
    assert.match(listed.stdout, /^NAME +TYPE +VERSION +ATTRIBUTES +GROUPS\n/);
    assert.match(listed.stdout, /\ncam-1 +camera +1 +site=lyon, fw=1\.2/);
    const filtered = await gatehouse('things', 'list', '--attribute-name', 'site', '--attribute-value', 'ly', '--use-prefix-attribute-value', '--tenant', 'acme', '--json');
    assert.deepEqual((JSON.parse(filtered.stdout) as { items: Array<{ thingName: string }> }).items.map((thing) => thing.thingName), ['cam-1']);
    const typed = await gatehouse('things', 'list', '--type', 'camera', '--tenant', 'acme', '--json');
    assert.deepEqual((JSON.parse(typed.stdout) as { items: Array<{ thingName: string }> }).items.map((thing) => thing.thingName), ['cam-1']);

    const updated = await gatehouse('things', 'update', 'cam-1', '--attribute', 'fw=1.3', '--attribute', 'site=', '--merge', '--expected-version', '1', '--tenant', 'acme');
    assert.equal(updated.stdout, 'Thing "cam-1" is at version 2\n');
    assert.deepEqual((await harness.identity.getThing('acme', 'cam-1'))?.attributes, { fw: '1.3' });
    const stale = await gatehouse('things', 'update', 'cam-1', '--remove-type', '--expected-version', '1', '--tenant', 'acme');
    assert.equal(stale.code, 1);
    assert.equal(stale.stderr, 'Error: Cannot update thing "cam-1": expected version 1, but the current version is 2; read it again\n');
    assert.equal((await gatehouse('things', 'update', 'cam-1', '--expected-version', 'x', '--tenant', 'acme')).code, 2, 'a usage error');
    const shown = await gatehouse('things', 'show', 'cam-1', '--tenant', 'acme');
    assert.match(shown.stdout, /^name: +cam-1\n/);
    assert.match(shown.stdout, /\nattribute fw: +1\.3\n/);

    assert.equal((await gatehouse('things', 'delete', 'cam-2', '--expected-version', '5', '--tenant', 'acme')).code, 1);
    assert.equal((await gatehouse('things', 'delete', 'cam-2', '--tenant', 'acme')).stdout, 'Deleted thing "cam-2"\n');
    assert.equal(await harness.identity.getThing('acme', 'cam-2'), undefined);
  });

  test('things bulk-create from a file answers each thing and fails when one failed', async () => {
    const file = join(dir, 'things.json');
    await writeFile(file, JSON.stringify([{ thingName: 'bulk-1' }, { thingName: 'bulk-2', thingTypeName: 'nope' }, { thingName: 'bulk-3', attributePayload: { attributes: { n: '3' } } }]));
    const run = await gatehouse('things', 'bulk-create', '--file', file, '--tenant', 'acme');
    assert.equal(run.code, 1);
    assert.match(run.stdout, /\nbulk-1 +201 +created\n/);
    assert.match(run.stdout, /\nbulk-2 +404 +Thing type "nope" was not found\n/);
    assert.equal(run.stderr, 'Error: 1 of 3 things were not created\n');
    assert.deepEqual((await harness.identity.getThing('acme', 'bulk-3'))?.attributes, { n: '3' });
    await writeFile(join(dir, 'bad.json'), '{not json');
    assert.match((await gatehouse('things', 'bulk-create', '--file', join(dir, 'bad.json'), '--tenant', 'acme')).stderr, /^Error: Cannot read --file .*bad\.json: it is not JSON/);
  });

  test('groups (alias of thing-groups): attributes, add-thing, list-things recursive, remove-thing; things groups', async () => {
    assert.equal((await gatehouse('groups', 'create', 'sites', '--attribute', 'region=eu', '--tenant', 'acme')).code, 0);
    await gatehouse('groups', 'create', 'berlin', '--parent', 'sites', '--tenant', 'acme');
    assert.deepEqual((await harness.identity.getThingGroup('acme', 'sites'))?.attributes, { region: 'eu' });
    assert.equal((await gatehouse('groups', 'add-thing', 'berlin', 'bulk-1', '--tenant', 'acme')).stdout, 'Thing "bulk-1" is now in thing group "berlin"\n');
    assert.equal((await gatehouse('groups', 'add-thing', 'berlin', 'bulk-1', '--tenant', 'acme')).stdout, 'Thing "bulk-1" already was in thing group "berlin"\n');
    assert.match((await gatehouse('groups', 'list-things', 'sites', '--tenant', 'acme')).stdout, /^No things\n$/);
    assert.match((await gatehouse('groups', 'list-things', 'sites', '--recursive', '--tenant', 'acme')).stdout, /\nbulk-1 +- +1 +berlin\n/);
    assert.match((await gatehouse('things', 'groups', 'bulk-1', '--tenant', 'acme')).stdout, /\nberlin +arn:gatehouse:iot::acme:thinggroup\/berlin\n/);
    assert.match((await gatehouse('thing-groups', 'show', 'sites', '--tenant', 'acme')).stdout, /\nattributes: +region=eu\n/);
    assert.equal((await gatehouse('groups', 'remove-thing', 'berlin', 'bulk-1', '--tenant', 'acme')).stdout, 'Thing "bulk-1" left thing group "berlin"\n');
    assert.deepEqual((await harness.identity.getThing('acme', 'bulk-1'))?.groups, []);
  });

  test('billing-groups and types: create, add-thing (moving it), list-things; deprecate and delete a type', async () => {
    await gatehouse('billing-groups', 'create', 'eu', '--description', 'Europe', '--tenant', 'acme');
    await gatehouse('billing-groups', 'create', 'us', '--tenant', 'acme');
    await gatehouse('billing-groups', 'add-thing', 'eu', 'bulk-1', '--tenant', 'acme');
    assert.equal((await gatehouse('billing-groups', 'add-thing', 'us', 'bulk-1', '--tenant', 'acme')).stdout, 'Thing "bulk-1" is in billing group "us" (it left "eu")\n');
    assert.match((await gatehouse('billing-groups', 'list-things', 'us', '--tenant', 'acme')).stdout, /\nbulk-1 /);
    assert.equal((await gatehouse('billing-groups', 'update', 'eu', '--description', 'EU', '--expected-version', '1', '--tenant', 'acme')).stdout, 'Billing group "eu" is at version 2\n');
    assert.match((await gatehouse('billing-groups', 'list', '--tenant', 'acme')).stdout, /\neu +2 +EU\n/);

    await gatehouse('types', 'create', 'old', '--tenant', 'acme');
    const refused = await gatehouse('types', 'delete', 'old', '--tenant', 'acme');
    assert.equal(refused.stderr, 'Error: Cannot delete thing type "old": it is not deprecated; deprecate it first\n');
    assert.equal((await gatehouse('types', 'deprecate', 'old', '--tenant', 'acme')).stdout, 'Thing type "old" is deprecated\n');
    assert.match((await gatehouse('types', 'list', '--tenant', 'acme')).stdout, /\nold +\d{4}-/);
    assert.equal((await gatehouse('types', 'undeprecate', 'old', '--tenant', 'acme')).stdout, 'Thing type "old" is not deprecated\n');
    await gatehouse('types', 'deprecate', 'old', '--tenant', 'acme');
    assert.equal((await gatehouse('types', 'delete', 'old', '--tenant', 'acme')).stdout, 'Deleted thing type "old"\n');
  });

  test('events get and set turn registry event types on and off', async () => {
    const first = await gatehouse('events', 'get', '--tenant', 'acme');
    assert.match(first.stdout, /^EVENT TYPE +ENABLED\nTHING +no\n/);
    const set = await gatehouse('events', 'set', '--enable', 'thing,thing_group_membership', '--tenant', 'acme');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /\nTHING +yes\n/);
    assert.match(set.stdout, /\nTHING_GROUP_MEMBERSHIP +yes\n/);
    assert.deepEqual((await harness.identity.getEventConfigurations('acme'))?.enabled, ['THING', 'THING_GROUP_MEMBERSHIP']);
    await gatehouse('things', 'create', 'evented', '--tenant', 'acme');
    assert.deepEqual(harness.takeEvents().map((event) => event.topic), ['$tenants/acme/$aws/events/thing/evented/created']);
    await gatehouse('events', 'set', '--disable', 'THING', '--tenant', 'acme');
    assert.deepEqual((await harness.identity.getEventConfigurations('acme'))?.enabled, ['THING_GROUP_MEMBERSHIP']);
    assert.equal((await gatehouse('events', 'set', '--tenant', 'acme')).stderr, 'Error: Cannot set event configurations: give --enable or --disable\n');
    assert.equal((await gatehouse('events', 'set', '--enable', 'JOBS', '--tenant', 'acme')).code, 1, 'a type Gatehouse does not publish is refused by the API');
  });
});
