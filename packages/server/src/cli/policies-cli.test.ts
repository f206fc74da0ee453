/** `gatehouse tenants`, `gatehouse policy` (but `test`) and `gatehouse audit` as real child processes against a real admin API. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAdminApiHarness, testIdentityServices, type AdminApiHarness } from '../api/admin-api-harness.js';
import { MemoryIdentityStore, MemoryStore } from '../store/index.js';
import { cliRunner } from './cli-test-kit.js';

const certificateId = '5e'.repeat(32);
const documentFor = (topic: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:*:*:topic/${topic}/*` }] });

describe('gatehouse tenants, policy and audit', () => {
  let harness: AdminApiHarness;
  let identity: MemoryIdentityStore;
  let dir: string;

  const gatehouse = cliRunner(() => harness);
  const file = async (name: string, content: unknown): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  };

  before(async () => {
    identity = new MemoryIdentityStore();
    await identity.open();
    harness = await startAdminApiHarness({ store: new MemoryStore(), identity: await testIdentityServices(identity) });
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-policy-cli-'));
  });
  after(async () => {
    await harness.close();
    await identity.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('tenants create, list, show, update; delete is refused while a certificate remains', async () => {
    const created = await gatehouse('tenants', 'create', 'acme', '--name', 'ACME Corp.');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Created tenant "acme" (ACME Corp.), ACTIVE\n');
    assert.equal((await gatehouse('tenants', 'create', 'globex', '--status', 'suspended')).code, 0);
    const taken = await gatehouse('tenants', 'create', 'acme');
    assert.equal(taken.code, 1);
    assert.equal(taken.stderr, 'Error: Cannot create tenant "acme": it already exists\n');
    assert.equal((await gatehouse('tenants', 'create', 'x', '--status', 'gone')).code, 2, 'a bad status is a usage error');

    const list = await gatehouse('tenants', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ID\s+NAME\s+STATUS\s+CREATED\nacme\s+ACME Corp\.\s+ACTIVE\s+\d{4}-.*\nglobex\s+-\s+SUSPENDED\s+\d{4}-/);
    const paged = await gatehouse('tenants', 'list', '--limit', '1');
    assert.match(paged.stdout, /More: --cursor acme\n$/);

    const updated = await gatehouse('tenants', 'update', 'globex', '--status', 'ACTIVE', '--name', 'Globex');
    assert.equal(updated.stdout, 'Updated tenant "globex" (Globex), ACTIVE\n');
    const unnamed = await gatehouse('tenants', 'update', 'globex', '--no-name');
    assert.equal(unnamed.stdout, 'Updated tenant "globex", ACTIVE\n');
    const show = await gatehouse('tenants', 'show', 'acme');
    assert.match(show.stdout, /^id: +acme\nname: +ACME Corp\.\nstatus: +ACTIVE\n/);

    await identity.putCertificate({
      id: certificateId, tenant: 'acme', status: 'ACTIVE', certificatePem: 'PEM', caId: 'cd'.repeat(32), serialNumber: '01', subject: 'CN=agent-1',
      notBefore: 1, notAfter: 2, issuedBy: 'gatehouse', createdAt: 1, updatedAt: 1,
    });
    const refused = await gatehouse('tenants', 'delete', 'acme');
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'Error: Cannot delete tenant "acme": it still has 1 certificate; delete them first\n');
    const deleted = await gatehouse('tenants', 'delete', 'globex');
    assert.equal(deleted.stdout, 'Deleted tenant "globex"\n');
    assert.equal((await gatehouse('tenants', 'show', 'globex')).stderr, 'Error: Tenant "globex" was not found\n');
  });

  test('policy create, show, list, and version create/default/delete with their refusals', async () => {
    const v1 = await file('v1.json', documentFor('v1'));
    const created = await gatehouse('policy', 'create', 'agent', '--tenant', 'acme', '--file', v1);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Created policy "agent" of tenant "acme" (version 1, the default)\n');
    const again = await gatehouse('policy', 'create', 'agent', '--tenant', 'acme', '--file', v1);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Cannot create policy "agent": it exists; add a version with `gatehouse policy version create`/);

    const broken = await gatehouse('policy', 'create', 'broken', '--tenant', 'acme', '--file', await file('broken.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { IpAdress: { 'aws:SourceIp': '10.0.0.0/8' } } }] }));
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^Error: Invalid policy document: Statement\[0\]\.Condition\.IpAdress: /);
    assert.equal(await identity.getPolicy('acme', 'broken'), undefined);
    const missingFile = await gatehouse('policy', 'create', 'x', '--tenant', 'acme', '--file', join(dir, 'nope.json'));
    assert.match(missingFile.stderr, /Cannot read --file .*nope\.json: no such file/);

    const v2 = await gatehouse('policy', 'version', 'create', 'agent', '--tenant', 'acme', '--file', await file('v2.json', documentFor('v2')));
    assert.equal(v2.stdout, 'Created version 2 of policy "agent" (not the default; the default is version 1)\n');
    const v3 = await gatehouse('policy', 'version', 'create', 'agent', '--tenant', 'acme', '--file', await file('v3.json', documentFor('v3')), '--default');
    assert.equal(v3.stdout, 'Created version 3 of policy "agent" (the default now)\n');
    const noPolicy = await gatehouse('policy', 'version', 'create', 'nobody', '--tenant', 'acme', '--file', v1);
    assert.match(noPolicy.stderr, /Policy "nobody" was not found; create it with `gatehouse policy create`/);
    assert.equal(await identity.getPolicy('acme', 'nobody'), undefined, 'version create never creates');

    for (const n of [4, 5]) assert.equal((await gatehouse('policy', 'version', 'create', 'agent', '--tenant', 'acme', '--file', v1)).code, 0, `version ${n}`);
    const sixth = await gatehouse('policy', 'version', 'create', 'agent', '--tenant', 'acme', '--file', v1);
    assert.equal(sixth.code, 1);
    assert.equal(sixth.stderr, 'Error: Cannot create a version of policy "agent": the policy agent already has the maximum number of versions (5); delete a version that is not the default first\n');

    const deleteDefault = await gatehouse('policy', 'version', 'delete', 'agent', '3', '--tenant', 'acme');
    assert.equal(deleteDefault.code, 1);
    assert.match(deleteDefault.stderr, /Cannot delete version 3 of policy "agent": it is the default version/);
    assert.equal((await gatehouse('policy', 'version', 'delete', 'agent', '5', '--tenant', 'acme')).stdout, 'Deleted version 5 of policy "agent"\n');
    assert.equal((await gatehouse('policy', 'version', 'default', 'agent', '2', '--tenant', 'acme')).stdout, 'Version 2 of policy "agent" is now the default\n');
    assert.equal((await identity.getPolicy('acme', 'agent'))?.version, 2);
    assert.match((await gatehouse('policy', 'version', 'default', 'agent', 'two', '--tenant', 'acme')).stderr, /"two" is not a version id/);

    const show = await gatehouse('policy', 'show', 'agent', '--tenant', 'acme');
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^name: +agent\ntenant: +acme\ndefault version: +2\n/);
    assert.match(show.stdout, /VERSION\s+DEFAULT\s+CREATED\n\s+1\s+\d{4}-.*\n\s+2\s+yes\s+\d{4}-.*\n\s+3\s+\d{4}-.*\n\s+4\s+\d{4}-/);
    assert.ok(show.stdout.includes('"Resource": "arn:aws:iot:*:*:topic/v2/*"'), show.stdout);
    const version3 = await gatehouse('policy', 'show', 'agent', '--tenant', 'acme', '--version', '3');
    assert.match(version3.stdout, /version: +3\ndefault: +no\n/);
    assert.ok(version3.stdout.includes('topic/v3/*'));
    const json = await gatehouse('policy', 'show', 'agent', '--tenant', 'acme', '--json');
    assert.equal((JSON.parse(json.stdout) as { defaultVersionId: number }).defaultVersionId, 2);

    const list = await gatehouse('policy', 'list', '--tenant', 'acme');
    assert.match(list.stdout, /^NAME\s+DEFAULT VERSION\s+UPDATED\nagent\s+2\s+\d{4}-/);
    assert.equal((await gatehouse('policy', 'list', '--tenant', 'empty')).stdout, 'No policies\n');
  });

  test('policy attach, targets, attached, detach; delete is refused while attached', async () => {
    const toCertificate = await gatehouse('policy', 'attach', 'agent', '--tenant', 'acme', '--certificate', certificateId);
    assert.equal(toCertificate.code, 0, toCertificate.stderr);
    assert.equal(toCertificate.stdout, `Attached policy "agent" to certificate ${certificateId}\n`);
    assert.equal((await gatehouse('policy', 'attach', 'agent', '--tenant', 'acme', '--thing-group', 'lab')).stdout, 'Attached policy "agent" to thing group "lab"\n');
    assert.equal((await gatehouse('policy', 'attach', 'agent', '--tenant', 'acme', '--tenant-wide')).stdout, 'Attached policy "agent" to tenant "acme" (every agent of it)\n');
    const none = await gatehouse('policy', 'attach', 'agent', '--tenant', 'acme');
    assert.equal(none.stderr, 'Error: Give exactly one of --certificate, --thing-group and --tenant-wide\n');
    const two = await gatehouse('policy', 'attach', 'agent', '--tenant', 'acme', '--thing-group', 'lab', '--tenant-wide');
    assert.equal(two.code, 1);
    const unknown = await gatehouse('policy', 'attach', 'agent', '--tenant', 'acme', '--certificate', 'ab'.repeat(32));
    assert.equal(unknown.stderr, `Error: Certificate "${'ab'.repeat(32)}" was not found\n`);

    const targets = await gatehouse('policy', 'targets', 'agent', '--tenant', 'acme');
    assert.match(targets.stdout, new RegExp(`^KIND\\s+ID\\ncertificate\\s+${certificateId}\\s*\\ntenant\\s+acme\\s*\\nthing-group\\s+lab\\s*\\n$`));
    const attached = await gatehouse('policy', 'attached', '--tenant', 'acme', '--thing-group', 'lab');
    assert.match(attached.stdout, /^NAME\s+DEFAULT VERSION\s+UPDATED\nagent\s+2\s+/);
    assert.equal((await gatehouse('policy', 'attached', '--tenant', 'acme', '--thing-group', 'other')).stdout, 'No policies attached to thing group "other"\n');

    const refused = await gatehouse('policy', 'delete', 'agent', '--tenant', 'acme');
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `Error: Cannot delete policy "agent": it is attached to 3 targets (certificate ${certificateId}, tenant acme, thing-group lab); detach it first\n`);

    assert.equal((await gatehouse('policy', 'detach', 'agent', '--tenant', 'acme', '--certificate', certificateId)).stdout, `Detached policy "agent" from certificate ${certificateId}\n`);
    assert.equal((await gatehouse('policy', 'detach', 'agent', '--tenant', 'acme', '--thing-group', 'lab')).code, 0);
    assert.equal((await gatehouse('policy', 'detach', 'agent', '--tenant', 'acme', '--tenant-wide')).code, 0);
    const notAttached = await gatehouse('policy', 'detach', 'agent', '--tenant', 'acme', '--thing-group', 'lab');
    assert.equal(notAttached.stderr, 'Error: Policy "agent" attachment "thing-group/lab" was not found\n');
    assert.equal((await gatehouse('policy', 'targets', 'agent', '--tenant', 'acme')).stdout, 'Policy "agent" is not attached to anything\n');

    assert.equal((await gatehouse('policy', 'delete', 'agent', '--tenant', 'acme')).stdout, 'Deleted policy "agent"\n');
    assert.equal(await identity.getPolicy('acme', 'agent'), undefined);
  });

  test('audit list shows the changes newest first, filtered by tenant and time', async () => {
    const list = await gatehouse('audit', 'list', '--tenant', 'acme', '--limit', '3');
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^AT\s+ACTOR\s+FROM\s+ACTION\s+TENANT\s+TARGET\s+DETAILS$/);
    assert.match(lines[1]!, /admin-api\s+127\.0\.0\.1\s+policy\.delete\s+acme\s+policy\/agent/);
    assert.match(lines[2]!, /policy\.detach\s+acme\s+policy\/agent\s+kind=tenant id=acme/);
    assert.match(lines.at(-1)!, /^More: --cursor \d+$/);

    const created = await gatehouse('audit', 'list', '--tenant', 'acme', '--limit', '1000');
    assert.match(created.stdout, /policy\.create\s+acme\s+policy\/agent\s+versionId=1 policyDocument=\{ "Version": "2012-10-17", "Statement": \[ \{ "Effect": "Allow", "Actio…\n/);
    assert.match(created.stdout, new RegExp(`policy\\.attach\\s+acme\\s+policy/agent\\s+kind=certificate id=${certificateId}\\n`));
    assert.match(created.stdout, /tenant\.create\s+acme\s+tenant\/acme\s+name=ACME Corp\. status=ACTIVE/);
    assert.equal((await gatehouse('audit', 'list', '--since', '2099-01-01T00:00:00Z')).stdout, 'No audit entries\n');
    assert.match((await gatehouse('audit', 'list', '--since', '1h')).stdout, /tenant\.delete\s+globex/);
    assert.equal((await gatehouse('audit', 'list', '--since', 'last week')).code, 2);
    const json = JSON.parse((await gatehouse('audit', 'list', '--json', '--limit', '1')).stdout) as { items: Array<{ action: string }> };
    assert.equal(json.items[0]?.action, 'policy.delete');
  });
});
