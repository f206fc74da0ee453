import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { startGatehouse, startGatehouseProcess } from '../../../../test/helpers/index.ts';

const bin = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));

async function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('gatehouse bin', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-main-'));
  });
  after(async () => rm(root, { recursive: true, force: true }));

  it('serve: writes endpoints.json, answers on the admin API, and exits 0 on SIGTERM', async () => {
    const home = join(root, 'serve');
    const gatehouse = await startGatehouseProcess({ home, args: ['--set', 'store.kind=sqlite'] });
    const ready = await fetch(`${gatehouse.endpoints.admin}/readyz`);
    assert.equal(ready.status, 200);
    assert.match(gatehouse.output(), /Listening:/);
    const ended = await gatehouse.stop('SIGTERM');
    assert.deepEqual(ended, { code: 0, signal: null });
    assert.match(gatehouse.output(), /Gatehouse stopped/);
    assert.equal(existsSync(join(home, 'endpoints.json')), false);
  });

  it('serve: an explicit port in use exits 1 with the PORT_IN_USE message and no stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const result = await run(['serve', '--home', join(root, 'taken'), '--set', 'store.kind=memory', ...['mqtts', 'ws', 'wss', 'admin'].flatMap((n) => ['--set', `listeners.${n}.port=0`])], {
        GATEHOUSE__LISTENERS__MQTT__PORT: String(port),
      });
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `Error: Cannot listen on 127.0.0.1:${port} for mqtt: the port is in use (set listeners.mqtt.port to change it)\n`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('config check: prints the effective configuration as YAML, or the named error with exit 1', async () => {
    const ok = await run(['config', 'check', '--home', join(root, 'check'), '--set', 'listeners.mqtt.port=1884'], { GATEHOUSE_STORE_URL: 'postgres://me:hunter2@127.0.0.1/db', GATEHOUSE_STORE: 'postgres' });
    assert.equal(ok.code, 0, ok.stderr);
    const effective = parse(ok.stdout) as { listeners: { mqtt: { port: number } }; store: { url: string } };
    assert.equal(effective.listeners.mqtt.port, 1884);
    assert.doesNotMatch(ok.stdout, /hunter2/);
    const bad = await run(['config', 'check', '--home', join(root, 'check'), '--set', 'listeners.mqt.port=1']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'Error: Invalid configuration: Unknown setting "listeners.mqt" (known: mqtt, mqtts, ws, wss, admin) (from --set listeners.mqt.port=1)\n');
  });
});

describe('test helper startGatehouse', () => {
  it('starts every listener on loopback port 0 in a temporary home and removes it on stop', async () => {
    const gatehouse = await startGatehouse({ limits: { maxInflight: 7 }, config: { listeners: { ws: { path: '/ws' } } } });
    assert.equal(gatehouse.running.config.limits.maxInflight, 7);
    for (const name of ['mqtt', 'mqtts', 'ws', 'wss', 'admin'] as const) {
      assert.ok(gatehouse.ports[name] > 0 && gatehouse.ports[name] !== 1883, name);
      assert.match(gatehouse.urls[name], /^\w+:\/\/127\.0\.0\.1:\d+/);
    }
    assert.match(gatehouse.urls.ws, /\/ws$/);
    assert.match(gatehouse.caPem, /BEGIN CERTIFICATE/);
    const stats = await fetch(`${gatehouse.urls.admin}/v1/clients`, { headers: { authorization: `Bearer ${gatehouse.adminKey}` } });
    assert.equal(stats.status, 200);
    await gatehouse.stop();
    assert.equal(existsSync(gatehouse.home), false);
  });
});
