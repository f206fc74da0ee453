/** `gatehouse shadow get|update|delete|list` as a real child process against a real admin API. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startShadowApiHarness, type ShadowApiHarness } from '../api/shadow/shadow-api-harness.js';
import { cliRunner } from './cli-test-kit.js';

describe('gatehouse shadow', () => {
  let harness: ShadowApiHarness;
  let dir: string;
  const gatehouse = cliRunner(() => harness);

  before(async () => {
    harness = await startShadowApiHarness();
    await harness.registerThing('acme', 'agent-7');
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-shadow-cli-'));
  });
  after(async () => {
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('update with --state and --file, get, a stale --version refused, list and delete', async () => {
    const first = await gatehouse('shadow', 'update', 'agent-7', '--name', 'config', '--state', '{"desired":{"interval":10}}', '--tenant', 'acme');
    assert.equal(first.stdout, 'Shadow "config" of thing "agent-7" is at version 1\n', first.stderr);
    assert.equal((await harness.shadowStore.getShadow('acme', 'agent-7', 'config'))?.version, 1);
    assert.ok(harness.published.some((p) => p.topic === '$tenants/acme/$aws/things/agent-7/shadow/name/config/update/delta'), 'devices get the delta');

    const file = join(dir, 'report.json');
    await writeFile(file, JSON.stringify({ state: { reported: { interval: 10 } } }));
    const second = await gatehouse('shadow', 'update', 'agent-7', '--name', 'config', '--file', file, '--version', '1', '--tenant', 'acme');
    assert.equal(second.stdout, 'Shadow "config" of thing "agent-7" is at version 2\n', second.stderr);

    const got = await gatehouse('shadow', 'get', 'agent-7', '--name', 'config', '--tenant', 'acme');
    assert.equal(got.code, 0);
    const document = JSON.parse(got.stdout) as { state: Record<string, unknown>; version: number };
    assert.deepEqual(document.state, { desired: { interval: 10 }, reported: { interval: 10 } }, 'no delta once reported matches');
    assert.equal(document.version, 2);

    const stale = await gatehouse('shadow', 'update', 'agent-7', '--name', 'config', '--state', '{"desired":{"interval":20}}', '--version', '1', '--tenant', 'acme');
    assert.equal(stale.code, 1);
    assert.equal(stale.stderr, 'Error: Version conflict\n');

    await gatehouse('shadow', 'update', 'agent-7', '--state', '{"reported":{"on":true}}', '--tenant', 'acme');
    assert.equal((await gatehouse('shadow', 'list', 'agent-7', '--tenant', 'acme')).stdout, 'config\n', 'the classic shadow is not listed');
    assert.deepEqual(JSON.parse((await gatehouse('shadow', 'list', 'agent-7', '--tenant', 'acme', '--json')).stdout).results, ['config']);

    assert.equal((await gatehouse('shadow', 'delete', 'agent-7', '--name', 'config', '--tenant', 'acme')).stdout, 'Deleted shadow "config" of thing "agent-7" (it was at version 2)\n');
    const gone = await gatehouse('shadow', 'get', 'agent-7', '--name', 'config', '--tenant', 'acme');
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, "Error: No shadow exists with name: 'config'\n");
    assert.equal((await gatehouse('shadow', 'list', 'agent-7', '--tenant', 'acme')).stdout, 'Thing "agent-7" has no named shadows\n');
  });

  test('refuses bad input before calling the API', async () => {
    const neither = await gatehouse('shadow', 'update', 'agent-7', '--tenant', 'acme');
    assert.equal(neither.code, 1);
    assert.match(neither.stderr, /give exactly one of --state and --file/);
    const notJson = await gatehouse('shadow', 'update', 'agent-7', '--state', '{desired:1}', '--tenant', 'acme');
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /Cannot read --state: it is not JSON/);
    const badVersion = await gatehouse('shadow', 'update', 'agent-7', '--state', '{}', '--version', 'x', '--tenant', 'acme');
    assert.equal(badVersion.code, 2, 'a usage error');
    const unknownThing = await gatehouse('shadow', 'update', 'nobody', '--state', '{"reported":{}}', '--tenant', 'acme');
    assert.equal(unknownThing.stderr, 'Error: Thing not found\n');
  });
});
