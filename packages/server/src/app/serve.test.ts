import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { GatehouseError, silentLogger } from '../core/index.js';
import { loadConfig, type ListenerName } from './config.js';
import { startGatehouse } from './serve.js';

const allZero = ['mqtt', 'mqtts', 'ws', 'wss', 'admin'].map((name) => `listeners.${name}.port=0`);

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += String(chunk)));
  return { stream, text: () => text };
}

async function occupyPort(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function roundTrip(url: string, options: mqtt.IClientOptions = {}): Promise<string> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...options });
  try {
    await client.subscribeAsync('demo/#', { qos: 1 });
    const received = new Promise<string>((resolve) => client.once('message', (topic, payload) => resolve(`${topic} ${String(payload)}`)));
    await client.publishAsync('demo/hello', 'hi', { qos: 1 });
    return await received;
  } finally {
    await client.endAsync();
  }
}

describe('startGatehouse', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-serve-'));
  });
  after(async () => rm(root, { recursive: true, force: true }));

  it('first run: creates home, PKI and admin key with private modes, writes endpoints.json, serves MQTT on every transport', async () => {
    const home = join(root, 'first');
    const { config, explicitPorts } = await loadConfig({ env: {}, cwd: root, flags: { home, set: [...allZero, 'listeners.mqtts.host=127.0.0.1', 'listeners.wss.host=127.0.0.1'] } });
    const banner = capture();
    const gatehouse = await startGatehouse(config, { explicitPorts, logger: silentLogger(), banner: banner.stream });
    try {
      assert.equal((await stat(home)).mode & 0o777, 0o700);
      assert.equal((await stat(join(home, 'pki'))).mode & 0o777, 0o700);
      for (const secret of ['admin.key', 'pki/ca.key', 'pki/server.key']) assert.equal((await stat(join(home, secret))).mode & 0o777, 0o600, secret);
      const adminKey = (await readFile(join(home, 'admin.key'), 'utf8')).trim();
      assert.match(adminKey, /^[A-Za-z0-9_-]{43}$/, '32 random bytes as base64url');

      const endpoints = JSON.parse(await readFile(join(home, 'endpoints.json'), 'utf8')) as Record<string, string>;
      assert.deepEqual(endpoints, gatehouse.endpoints);
      const port = (name: ListenerName): number => gatehouse.addresses[name]!.port;
      assert.equal(endpoints['mqtt'], `mqtt://127.0.0.1:${port('mqtt')}`);
      assert.equal(endpoints['mqtts'], `mqtts://127.0.0.1:${port('mqtts')}`);
      assert.equal(endpoints['ws'], `ws://127.0.0.1:${port('ws')}/mqtt`);
      assert.equal(endpoints['wss'], `wss://127.0.0.1:${port('wss')}/mqtt`);
      assert.equal(endpoints['admin'], `http://127.0.0.1:${port('admin')}`);
      assert.equal(endpoints['ca'], join(home, 'pki/ca.pem'));

      const text = banner.text();
      assert.match(text, /Created on this run:/);
      assert.ok(text.includes(join(home, 'admin.key')), 'banner names the admin key file');
      assert.ok(!text.includes(adminKey), 'banner never shows the key');
      assert.ok(text.includes(`mosquitto_sub -V mqttv5 -h 127.0.0.1 -p ${port('mqtt')} -t 'demo/#' -v`));
      assert.ok(text.includes(`--cafile ${join(home, 'pki/ca.pem')}`));
      assert.match(text, /gatehouse clients list/);

      const ready = await fetch(`${endpoints['admin']}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(gatehouse.health(), { ready: true, reasons: [] });

      const ca = await readFile(endpoints['ca']!);
      assert.equal(await roundTrip(endpoints['mqtt']!), 'demo/hello hi');
      assert.equal(await roundTrip(endpoints['ws']!), 'demo/hello hi');
      // The agent-facing TLS listeners take no anonymous clients by default: TLS works, CONNECT is refused.
      await assert.rejects(roundTrip(endpoints['mqtts']!.replace('127.0.0.1', 'localhost'), { ca }), /Not authorized/);
      await assert.rejects(roundTrip(endpoints['wss']!.replace('127.0.0.1', 'localhost'), { ca }), /Not authorized/);
    } finally {
      await gatehouse.close();
    }
    assert.equal(existsSync(join(home, 'endpoints.json')), false, 'a clean stop removes endpoints.json');
    assert.equal(gatehouse.health().ready, false);
  });

  it('second run: keeps the key and certificates and says nothing was created', async () => {
    const home = join(root, 'first');
    const keyBefore = await readFile(join(home, 'admin.key'), 'utf8');
    const caBefore = await readFile(join(home, 'pki/ca.pem'), 'utf8');
    const { config, explicitPorts } = await loadConfig({ env: {}, cwd: root, flags: { home, set: allZero } });
    const banner = capture();
    const gatehouse = await startGatehouse(config, { explicitPorts, logger: silentLogger(), banner: banner.stream });
    await gatehouse.close();
    assert.equal(await readFile(join(home, 'admin.key'), 'utf8'), keyBefore);
    assert.equal(await readFile(join(home, 'pki/ca.pem'), 'utf8'), caBefore);
    assert.doesNotMatch(banner.text(), /Created on this run/);
    assert.equal(gatehouse.firstRun.adminKeyCreated, false);
  });

  it('a taken default port falls back to an OS-assigned one and says so', async () => {
    const blocker = await occupyPort();
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const { config } = await loadConfig({ env: {}, cwd: root, flags: { home: join(root, 'fallback'), set: [...allZero.slice(1), 'store.kind=memory'] } });
      // As if `taken` were the default port: nobody set it explicitly.
      const withDefault = { ...config, listeners: { ...config.listeners, mqtt: { ...config.listeners.mqtt, port: taken } } };
      const banner = capture();
      const gatehouse = await startGatehouse(withDefault, { explicitPorts: new Set(), logger: silentLogger(), banner: banner.stream });
      try {
        const actual = gatehouse.addresses.mqtt!.port;
        assert.notEqual(actual, taken);
        const message =
          `Port ${taken} (listeners.mqtt.port) is in use by another process; MQTT over TCP is listening on 127.0.0.1:${actual} instead. ` +
          'Set listeners.mqtt.port (or GATEHOUSE__LISTENERS__MQTT__PORT) to choose a port.';
        assert.equal(gatehouse.fallbacks[0]?.message, message);
        assert.ok(banner.text().includes(message));
        assert.equal(gatehouse.endpoints.mqtt, `mqtt://127.0.0.1:${actual}`);
        assert.equal(await roundTrip(gatehouse.endpoints.mqtt!), 'demo/hello hi');
      } finally {
        await gatehouse.close();
      }
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('an explicitly configured port that is taken fails the start with PORT_IN_USE and leaves nothing running', async () => {
    const blocker = await occupyPort();
    const taken = (blocker.address() as AddressInfo).port;
    const home = join(root, 'explicit');
    try {
      const { config, explicitPorts } = await loadConfig({ env: { GATEHOUSE__LISTENERS__WS__PORT: String(taken) }, cwd: root, flags: { home, set: [...allZero.filter((s) => !s.includes('.ws.')), 'store.kind=sqlite'] } });
      assert.ok(explicitPorts.has('ws'));
      await assert.rejects(startGatehouse(config, { explicitPorts, logger: silentLogger(), banner: false }), (error: unknown) => {
        assert.ok(error instanceof GatehouseError);
        assert.equal(error.code, 'PORT_IN_USE');
        assert.equal(error.message, `Cannot listen on 127.0.0.1:${taken} for ws: the port is in use (set listeners.ws.port to change it)`);
        return true;
      });
      assert.equal(existsSync(join(home, 'endpoints.json')), false);
      // The SQLite store was closed on the way out: a new start on the same home opens it again.
      const retry = await loadConfig({ env: {}, cwd: root, flags: { home, set: allZero } });
      const gatehouse = await startGatehouse(retry.config, { explicitPorts: retry.explicitPorts, logger: silentLogger(), banner: false });
      await gatehouse.close();
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('starts only the enabled listeners', async () => {
    const { config, explicitPorts } = await loadConfig({
      env: {},
      cwd: root,
      flags: { home: join(root, 'some'), set: [...allZero, 'store.kind=memory', 'listeners.mqtts.enabled=false', 'listeners.wss.enabled=false', 'listeners.ws.enabled=false'] },
    });
    const gatehouse = await startGatehouse(config, { explicitPorts, logger: silentLogger(), banner: false });
    try {
      assert.deepEqual(Object.keys(gatehouse.addresses).sort(), ['admin', 'mqtt']);
      assert.deepEqual(Object.keys(gatehouse.endpoints).sort(), ['admin', 'ca', 'mqtt']);
    } finally {
      await gatehouse.close();
    }
  });
});
