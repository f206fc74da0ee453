/** The admin commands run as a real child process against a real API and broker. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { connectAsync, type MqttClient } from 'mqtt';
import { startAdminApiHarness, type AdminApiHarness } from '../api/admin-api-harness.js';
import { MemoryStore } from '../store/memory/index.js';

const fixture = fileURLToPath(new URL('./admin-cli-fixture.ts', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));

let harness: AdminApiHarness;
let home: string;
const clients: MqttClient[] = [];

before(async () => {
  harness = await startAdminApiHarness({ store: new MemoryStore() });
  home = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
});

after(async () => {
  await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
  await harness.close();
  await rm(home, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with no GATEHOUSE_* variables from the outer environment. */
function gatehouse(args: readonly string[], options: { stdin?: string | Buffer; env?: Record<string, string>; entry?: string } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GATEHOUSE_')));
  const entry = options.entry ?? fixture;
  // The real bin registers tsx itself; the fixture is TypeScript and needs the loader.
  const loader = entry === fixture ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, entry, ...args], { env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A loopback port nothing listens on: one the OS just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}

const auth = () => ['--url', harness.apiUrl, '--key', harness.adminKey];

async function connect(clientId: string): Promise<MqttClient> {
  const client = await connectAsync(harness.mqttUrl, { clientId, protocolVersion: 5, reconnectPeriod: 0 });
  clients.push(client);
  return client;
}

describe('gatehouse admin commands', () => {
  test('clients list shows a connected client in a table and as JSON', async () => {
    await connect('cli-agent/7');
    const table = await gatehouse(['clients', 'list', ...auth()]);
    assert.equal(table.code, 0, table.stderr);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^CLIENT ID\s+MQTT\s+ADDRESS/);
    assert.ok(rows.some((row) => row.startsWith('cli-agent/7 ') && row.includes('5.0') && row.includes('127.0.0.1:')), table.stdout);

    const json = await gatehouse(['clients', 'list', '--prefix', 'cli-agent/', '--json', ...auth()]);
    assert.equal(json.code, 0, json.stderr);
    const page = JSON.parse(json.stdout) as { items: { clientId: string }[] };
    assert.deepEqual(page.items.map((item) => item.clientId), ['cli-agent/7']);

    const got = await gatehouse(['clients', 'get', 'cli-agent/7', ...auth()]);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /^client id:\s+cli-agent\/7$/m);
  });

  test('publish sends MESSAGE, or stdin, to a subscriber', async () => {
    const subscriber = await connect('cli-subscriber');
    await subscriber.subscribeAsync('cli/#', { qos: 1 });
    const messages: { topic: string; payload: Buffer; userProperties?: Record<string, string | string[]> }[] = [];
    subscriber.on('message', (topic, payload, packet) => messages.push({ topic, payload, ...(packet.properties?.userProperties ? { userProperties: { ...packet.properties.userProperties } } : {}) }));

    const run = await gatehouse(['publish', 'cli/cmd', 'reboot now', '-q', '1', '--user-property', 'by=cli', ...auth()]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'Published 10 bytes to "cli/cmd" (qos 1)\n');

    const binary = Buffer.from([0, 1, 2, 255]);
    const piped = await gatehouse(['publish', 'cli/blob', '-r', '--json', ...auth()], { stdin: binary });
    assert.equal(piped.code, 0, piped.stderr);
    assert.deepEqual(JSON.parse(piped.stdout), { topic: 'cli/blob', qos: 0, retain: true, bytes: 4 });

    for (let i = 0; i < 100 && messages.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(messages[0]?.topic, 'cli/cmd');
    assert.equal(messages[0]?.payload.toString(), 'reboot now');
    assert.deepEqual(messages[0]?.userProperties, { by: 'cli' });
    assert.equal(messages[1]?.topic, 'cli/blob');
    assert.deepEqual([...(messages[1]?.payload ?? [])], [0, 1, 2, 255]);

    const retained = await gatehouse(['retained', 'get', 'cli/blob', ...auth()]);
    assert.equal(retained.code, 0, retained.stderr);
    assert.match(retained.stdout, /^payload:\s+base64:AAEC\/w==$/m);
    const listed = await gatehouse(['retained', 'list', ...auth()]);
    assert.match(listed.stdout, /^cli\/blob\s+0\s+4\s/m);
    const deleted = await gatehouse(['retained', 'delete', 'cli/blob', ...auth()]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const missing = await gatehouse(['retained', 'get', 'cli/blob', ...auth()]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error: Retained message "cli/blob" was not found\n');
  });

  test('a wrong key exits 1 with the API message and never prints the key', async () => {
    const secret = 'not-the-key-4f1c';
    const run = await gatehouse(['clients', 'list', '--url', harness.apiUrl, '--key', secret]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, 'Error: Missing or invalid admin API key\n');
    assert.ok(!run.stderr.includes(secret));
  });

  test('url and key come from the environment, then from the home directory', async () => {
    const fromEnv = await gatehouse(['stats', '--json'], { env: { GATEHOUSE_URL: harness.apiUrl, GATEHOUSE_ADMIN_KEY: harness.adminKey } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.equal(typeof (JSON.parse(fromEnv.stdout) as { connections: unknown }).connections, 'number');

    await writeFile(join(home, 'endpoints.json'), JSON.stringify({ admin: harness.apiUrl }));
    await writeFile(join(home, 'admin.key'), `${harness.adminKey}\n`);
    const fromHome = await gatehouse(['stats', '--home', home]);
    assert.equal(fromHome.code, 0, fromHome.stderr);
    assert.match(fromHome.stdout, /^connections:\s+\d+$/m);
    const fromHomeEnv = await gatehouse(['sessions', 'list'], { env: { GATEHOUSE_HOME: home } });
    assert.equal(fromHomeEnv.code, 0, fromHomeEnv.stderr);

    const nowhere = await gatehouse(['stats', '--home', join(home, 'absent')]);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /^Error: No admin API URL: pass --url, set GATEHOUSE_URL/);
  });

  test('kick and session delete; usage errors exit 2', async () => {
    const client = await connect('cli-kick');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const kicked = await gatehouse(['clients', 'kick', 'cli-kick', ...auth()]);
    assert.equal(kicked.code, 0, kicked.stderr);
    assert.equal(kicked.stdout, 'Disconnected client "cli-kick"\n');
    await closed;
    const again = await gatehouse(['clients', 'kick', 'cli-kick', ...auth()]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'Error: Client "cli-kick" was not found\n');

    const badQos = await gatehouse(['publish', 'cli/x', 'y', '-q', '3', ...auth()]);
    assert.equal(badQos.code, 2);
    assert.match(badQos.stderr, /qos/);
    const missingArg = await gatehouse(['clients', 'get', ...auth()]);
    assert.equal(missingArg.code, 2);
    const port = await closedPort();
    const unreachable = await gatehouse(['stats', '--url', `http://127.0.0.1:${port}`, '--key', 'k']);
    assert.equal(unreachable.code, 1);
    assert.equal(unreachable.stderr, `Error: Cannot reach the admin API at http://127.0.0.1:${port}: ECONNREFUSED\n`);
  });

  test('the gatehouse bin runs the admin commands', { skip: existsSync(bin) ? false : 'packages/server/bin/gatehouse.js does not exist yet (app/ writes it)' }, async () => {
    await connect('cli-bin');
    const run = await gatehouse(['clients', 'list', '--prefix', 'cli-bin', '--json', ...auth()], { entry: bin });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((JSON.parse(run.stdout) as { items: { clientId: string }[] }).items.map((item) => item.clientId), ['cli-bin']);
  });
});
