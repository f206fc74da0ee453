// Per-thing connectivity, black-box: which thing a connection counts for, the admin API's
// GetThingConnectivityData body and the CLI, and what a crash and a clean stop leave behind.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectClient, startGatehouse, startGatehouseProcess, type TestGatehouse } from '../helpers/index.ts';
import { onboardDevice, requestJson, type JsonAnswer } from '../identity/onboarding-kit.ts';
import { cliRunner, type CliRun } from '../../packages/server/src/cli/cli-test-kit.ts';

/** `gatehouse things connectivity ...` as a child process of the real admin commands, against an admin API. */
function cli(adminUrl: string, adminKey: string, ...args: string[]): Promise<CliRun> {
  return cliRunner(() => ({ apiUrl: adminUrl, adminKey }))('things', 'connectivity', ...args);
}

async function connectivityOf(adminUrl: string, adminKey: string, tenant: string, thing: string): Promise<JsonAnswer> {
  return requestJson(`${adminUrl}/v1/tenants/${tenant}/things/${thing}/connectivity`, { headers: { authorization: `Bearer ${adminKey}` } });
}

describe('thing connectivity', () => {
  let gh: TestGatehouse;
  const get = (thing: string, tenant = 'default'): Promise<JsonAnswer> => connectivityOf(gh.urls.admin, gh.adminKey, tenant, thing);
  /** Polls the API until the thing's `connected` is as expected; the answer's body. */
  async function until(thing: string, connected: boolean): Promise<Record<string, unknown>> {
    let last: JsonAnswer | undefined;
    await waitForAsync(async () => (last = await get(thing)).body['connected'] === connected, `${thing} connected=${String(connected)}`);
    assert.equal(last?.status, 200, JSON.stringify(last?.body));
    return last!.body;
  }

  before(async () => {
    gh = await startGatehouse();
    const server = { adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem };
    await onboardDevice(server, 'agent-1');
    await onboardDevice(server, 'agent-2');
    await onboardDevice(server, 'agent-quiet');
  });
  after(async () => {
    await gh.stop();
  });

  test('a client id that names a thing counts for it: connected, then the last disconnect\'s reason, kept while connected again', async () => {
    const before = Date.now();
    const { client } = await connectClient(gh.urls.mqtt, { clientId: 'agent-1', protocolVersion: 5 });
    const connected = await until('agent-1', true);
    assert.deepEqual(Object.keys(connected).sort(), ['connected', 'thingName', 'timestamp']);
    assert.equal(connected['thingName'], 'agent-1');
    assert.ok(Number(connected['timestamp']) >= before && Number(connected['timestamp']) <= Date.now(), 'epoch ms of the connect');

    const kicked = await fetch(`${gh.urls.admin}/v1/clients/agent-1`, { method: 'DELETE', headers: { authorization: `Bearer ${gh.adminKey}` } });
    assert.equal(kicked.status, 204);
    const disconnected = await until('agent-1', false);
    assert.equal(disconnected['disconnectReason'], 'API_INITIATED_DISCONNECT');
    assert.ok(Number(disconnected['timestamp']) >= Number(connected['timestamp']));
    await client.endAsync(true);

    const { client: again } = await connectClient(gh.urls.mqtt, { clientId: 'agent-1' });
    const reconnected = await until('agent-1', true);
    assert.equal(reconnected['disconnectReason'], 'API_INITIATED_DISCONNECT', 'the last disconnect\'s reason stays');
    await again.endAsync();
    assert.equal((await until('agent-1', false))['disconnectReason'], 'CLIENT_INITIATED_DISCONNECT');
  });

  test("a certificate's thing counts whatever client id it connects with", async () => {
    const server = { adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem };
    const device = await onboardDevice(server, 'agent-cert');
    const { client } = await connectClient(gh.urls.mqtts.replace('127.0.0.1', 'localhost'), { ca: gh.caPem, cert: device.certificatePem, key: device.keyPem, clientId: 'some-other-id' });
    await until('agent-cert', true);
    await client.endAsync();
    assert.equal((await until('agent-cert', false))['disconnectReason'], 'CLIENT_INITIATED_DISCONNECT');
  });

  test('a thing that never connected, an unknown thing, another tenant, and a client id that is no thing', async () => {
    assert.deepEqual((await get('agent-quiet')).body, { thingName: 'agent-quiet', connected: false });
    const unknown = await get('no-such-thing');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body['code'], 'NOT_FOUND');
    assert.equal((await get('agent-quiet', 'globex')).status, 404, 'things are looked up in the tenant named');
    assert.equal((await get('bad name!')).status, 400, 'AWS thing name pattern');
    const { client } = await connectClient(gh.urls.mqtt, { clientId: 'not-a-thing' });
    await client.endAsync();
    assert.equal((await get('not-a-thing')).status, 404);
  });

  test('gatehouse things connectivity prints one line, or the JSON with --json', async () => {
    const { client } = await connectClient(gh.urls.mqtt, { clientId: 'agent-2' });
    await until('agent-2', true);
    const line = await cli(gh.urls.admin, gh.adminKey, 'agent-2', '--tenant', 'default');
    assert.equal(line.code, 0, line.stderr);
    assert.match(line.stdout, /^agent-2 is connected since \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    await client.endAsync();
    await until('agent-2', false);
    const json = await cli(gh.urls.admin, gh.adminKey, 'agent-2', '--tenant', 'default', '--json');
    assert.equal(json.code, 0, json.stderr);
    const body = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(body['connected'], false);
    assert.equal(body['disconnectReason'], 'CLIENT_INITIATED_DISCONNECT');
    const quiet = await cli(gh.urls.admin, gh.adminKey, 'agent-quiet', '--tenant', 'default');
    assert.equal(quiet.stdout, 'agent-quiet is disconnected (it never connected)\n');
    const missing = await cli(gh.urls.admin, gh.adminKey, 'no-such-thing', '--tenant', 'default');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error: .*no-such-thing/);
    const usage = await cli(gh.urls.admin, gh.adminKey, 'agent-2');
    assert.equal(usage.code, 2, 'a missing --tenant is a usage error');
  });
});

describe('thing connectivity across restarts', () => {
  let home = '';
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'gatehouse-connectivity-'));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('kill -9 leaves the thing connected until the node starts again and marks it SERVER_ERROR; a clean stop records SERVER_INITIATED_DISCONNECT', async () => {
    let server = await startGatehouseProcess({ home, args: ['--set', 'store.kind=sqlite'] });
    try {
      const adminUrl = server.endpoints.admin!;
      const adminKey = (await readFile(join(home, 'admin.key'), 'utf8')).trim();
      const ca = await readFile(join(home, 'pki', 'ca.pem'), 'utf8');
      const registerUrl = `${server.endpoints.wss!.replace('wss://', 'https://').replace(/\/mqtt$/, '')}/v1/register`;
      await onboardDevice({ adminUrl, adminKey, registerUrl, ca }, 'agent-crash');
      const nodeId = (await readFile(join(home, 'node-id'), 'utf8')).trim();
      assert.ok(nodeId.length > 0, 'the node wrote its id');

      const { client } = await connectClient(server.endpoints.mqtt!, { clientId: 'agent-crash', reconnectPeriod: 0 });
      client.on('error', () => {});
      // The API reads queued writes too: give the batch a moment to reach SQLite before the kill.
      await waitForAsync(async () => (await connectivityOf(adminUrl, adminKey, 'default', 'agent-crash')).body['connected'] === true, 'connected before the crash');
      await new Promise((resolve) => setTimeout(resolve, 200));
      await server.stop('SIGKILL');
      client.end(true);

      const restartedAt = Date.now();
      server = await startGatehouseProcess({ home, args: ['--set', 'store.kind=sqlite'] });
      const afterCrash = await connectivityOf(server.endpoints.admin!, adminKey, 'default', 'agent-crash');
      assert.equal(afterCrash.body['connected'], false, JSON.stringify(afterCrash.body));
      assert.equal(afterCrash.body['disconnectReason'], 'SERVER_ERROR');
      assert.ok(Number(afterCrash.body['timestamp']) >= restartedAt - 1000);
      assert.equal((await readFile(join(home, 'node-id'), 'utf8')).trim(), nodeId, 'the same node after a restart');

      const { client: back } = await connectClient(server.endpoints.mqtt!, { clientId: 'agent-crash', reconnectPeriod: 0 });
      back.on('error', () => {});
      await waitForAsync(async () => (await connectivityOf(server.endpoints.admin!, adminKey, 'default', 'agent-crash')).body['connected'] === true, 'connected again');
      assert.equal((await server.stop('SIGTERM')).code, 0);
      back.end(true);
      server = await startGatehouseProcess({ home, args: ['--set', 'store.kind=sqlite'] });
      const afterStop = await connectivityOf(server.endpoints.admin!, adminKey, 'default', 'agent-crash');
      assert.equal(afterStop.body['connected'], false);
      assert.equal(afterStop.body['disconnectReason'], 'SERVER_INITIATED_DISCONNECT', 'the shutdown recorded its own disconnects');
    } finally {
      await server.stop('SIGKILL');
    }
  });
});

async function waitForAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}
