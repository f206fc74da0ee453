/** `gatehouse templates list|show|put|delete` as a real child process against a real admin API. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startIdentityAdminApiHarness, type IdentityAdminApiHarness } from '../api/admin-api-harness.js';
import { cliRunner } from './cli-test-kit.js';

const jitpTemplate = {
  Parameters: { 'AWS::IoT::Certificate::CommonName': { Type: 'String' } },
  Resources: {
    thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'AWS::IoT::Certificate::CommonName' } } },
    certificate: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' } },
    publish: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'publish' } },
    connect: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'connect' } },
  },
};

describe('gatehouse templates', () => {
  let harness: IdentityAdminApiHarness;
  let dir: string;

  const gatehouse = cliRunner(() => harness);

  before(async () => {
    harness = await startIdentityAdminApiHarness();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-templates-'));
  });
  after(async () => {
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('put --file creates, then replaces; list and show print it', async () => {
    const file = join(dir, 'jitp.json');
    await writeFile(file, JSON.stringify(jitpTemplate, null, 2));
    const created = await gatehouse('templates', 'put', 'jitp', '--tenant', 'acme', '--file', file);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Created provisioning template "jitp" of tenant "acme" (enabled; thing, certificate, 2 policies)\n');
    assert.deepEqual((await harness.identity.getTemplate('acme', 'jitp'))?.body, jitpTemplate);

    const replaced = await gatehouse('templates', 'put', 'jitp', '--tenant', 'acme', '--file', file, '--disabled');
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, /^Replaced provisioning template "jitp" of tenant "acme" \(disabled;/);

    const list = await gatehouse('templates', 'list', '--tenant', 'acme');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+ENABLED\s+RESOURCES\s+UPDATED\n/);
    assert.match(list.stdout, /\njitp\s+no\s+thing, certificate, 2 policies\s+\d{4}-/);

    const show = await gatehouse('templates', 'show', 'jitp', '--tenant', 'acme');
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^name: +jitp\ntenant: +acme\nenabled: +no\n/);
    assert.ok(show.stdout.includes('"Ref": "AWS::IoT::Certificate::CommonName"'), show.stdout);

    const json = await gatehouse('templates', 'show', 'jitp', '--tenant', 'acme', '--json');
    assert.deepEqual((JSON.parse(json.stdout) as { templateBody: unknown }).templateBody, jitpTemplate);
  });

  test('put prints the problems of an invalid template and exits 1; a missing file says so', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, JSON.stringify({ Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'Serial' } } } } }));
    const broken = await gatehouse('templates', 'put', 'broken', '--tenant', 'acme', '--file', file);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /Error: Invalid provisioning template: 1 problem: Resources\.thing\.Properties\.ThingName: Ref to unknown parameter "Serial"/);
    assert.equal(await harness.identity.getTemplate('acme', 'broken'), undefined);

    const missing = await gatehouse('templates', 'put', 'x', '--tenant', 'acme', '--file', join(dir, 'nope.json'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Cannot read --file .*nope\.json: no such file/);
  });

  test('delete removes it; deleting again fails with the API message', async () => {
    await harness.identity.putTemplate({ tenant: 'acme', name: 'gone', body: { Resources: {} }, enabled: true, createdAt: 1, updatedAt: 1 });
    const deleted = await gatehouse('templates', 'delete', 'gone', '--tenant', 'acme');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, 'Deleted provisioning template "gone"\n');
    assert.equal(await harness.identity.getTemplate('acme', 'gone'), undefined);
    const again = await gatehouse('templates', 'delete', 'gone', '--tenant', 'acme');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Provisioning template "gone" was not found/);
    const empty = await gatehouse('templates', 'list', '--tenant', 'nobody');
    assert.equal(empty.stdout, 'No provisioning templates\n');
  });
});
