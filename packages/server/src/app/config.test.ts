import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { defaultLimits } from '../broker/index.js';
import { GatehouseError } from '../core/index.js';
import { configToYaml, loadConfig } from './config.js';

async function rejectsWith(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GatehouseError, `expected a GatehouseError, got ${String(error)}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.message, `Invalid configuration: ${message}`);
    return true;
  });
}

describe('loadConfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-config-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('gives the documented defaults, with home-relative paths', async () => {
    const { config, explicitPorts, file } = await loadConfig({ env: {}, cwd: dir });
    const home = join(dir, '.gatehouse');
    assert.equal(config.home, home);
    assert.equal(file, undefined);
    assert.equal(config.log.level, 'info');
    assert.deepEqual(config.store, { kind: 'sqlite', path: join(home, 'gatehouse.db') });
    assert.deepEqual(config.listeners.mqtt, {
      enabled: true, host: '127.0.0.1', port: 1883, allowAnonymous: true, proxyProtocol: { enabled: false, trustedSources: [], required: true, headerTimeoutMs: 5000 },
    });
    assert.deepEqual(config.drain, { ratePerSecond: 500, timeoutMs: 30_000 });
    const noProxy = config.listeners.mqtt.proxyProtocol;
    assert.deepEqual(config.listeners.mqtts, { enabled: true, host: '0.0.0.0', port: 8883, allowAnonymous: false, requestClientCert: true, proxyProtocol: noProxy });
    assert.deepEqual(config.listeners.ws, { enabled: true, host: '127.0.0.1', port: 8083, path: '/mqtt', allowAnonymous: true, proxyProtocol: noProxy });
    assert.deepEqual(config.listeners.wss, { enabled: true, host: '0.0.0.0', port: 8443, path: '/mqtt', allowAnonymous: false, requestClientCert: true, proxyProtocol: noProxy });
    assert.deepEqual(config.listeners.admin, { enabled: true, host: '127.0.0.1', port: 8080 });
    assert.deepEqual(config.tls, { ca: join(home, 'pki/ca.pem'), cert: join(home, 'pki/server.pem'), key: join(home, 'pki/server.key'), hostnames: [] });
    assert.deepEqual(config.limits, defaultLimits);
    assert.equal(config.features.allowAnonymous, true);
    assert.deepEqual(config.mqtt, {});
    assert.equal(explicitPorts.size, 0);
  });

  it('layers defaults < file < environment < flags, and records explicit ports', async () => {
    const file = join(dir, 'layers.yaml');
    await writeFile(
      file,
      ['log: { level: debug }', 'listeners:', '  mqtt: { port: 1885, host: 0.0.0.0 }', '  ws: { port: 9001 }', 'limits:', '  maxInflight: 10', '  maxQueuedMessages: 50', 'tls:', '  hostnames: [a.example]'].join('\n'),
    );
    const { config, explicitPorts } = await loadConfig({
      cwd: dir,
      env: { GATEHOUSE_LOG_LEVEL: 'warn', GATEHOUSE__LISTENERS__MQTT__PORT: '1886', GATEHOUSE__LIMITS__MAXINFLIGHT: '20', GATEHOUSE__TLS__HOSTNAMES: 'b.example, c.example' },
      flags: { config: file, set: ['listeners.mqtt.port=1887', 'features.allowAnonymous=false', 'limits.queueOverflow=drop-newest'] },
    });
    assert.equal(config.log.level, 'warn');
    assert.equal(config.listeners.mqtt.port, 1887);
    assert.equal(config.listeners.mqtt.host, '0.0.0.0', 'a file key survives when env/flags set a sibling');
    assert.equal(config.listeners.ws.port, 9001);
    assert.equal(config.limits.maxInflight, 20);
    assert.equal(config.limits.maxQueuedMessages, 50);
    assert.equal(config.limits.receiveMaximum, defaultLimits.receiveMaximum);
    assert.equal(config.features.allowAnonymous, false);
    assert.equal(config.limits.queueOverflow, 'drop-newest');
    assert.deepEqual(config.tls.hostnames, ['b.example', 'c.example']);
    assert.deepEqual([...explicitPorts].sort(), ['mqtt', 'ws']);
  });

  it('finds <home>/gatehouse.yaml, takes home from GATEHOUSE_HOME < --home, and reads JSON files', async () => {
    const home = join(dir, 'home-a');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'gatehouse.yaml'), 'store:\n  kind: memory\n');
    const fromEnv = await loadConfig({ cwd: dir, env: { GATEHOUSE_HOME: home } });
    assert.equal(fromEnv.config.home, home);
    assert.equal(fromEnv.file, join(home, 'gatehouse.yaml'));
    assert.equal(fromEnv.config.store.kind, 'memory');
    assert.equal(fromEnv.config.store.path, join(home, 'gatehouse.db'));

    const fromFlag = await loadConfig({ cwd: dir, env: { GATEHOUSE_HOME: join(dir, 'elsewhere') }, flags: { home: 'home-a' } });
    assert.equal(fromFlag.config.home, home, 'relative --home resolves against cwd and beats the env');
    assert.equal(fromFlag.config.store.kind, 'memory');

    const json = join(dir, 'c.json');
    await writeFile(json, JSON.stringify({ store: { kind: 'postgres', url: 'postgres://u:secret@127.0.0.1/db' } }));
    const fromJson = await loadConfig({ cwd: dir, env: { GATEHOUSE_CONFIG: json, GATEHOUSE_STORE_URL: 'postgres://u:pw2@127.0.0.1/other' } });
    assert.equal(fromJson.config.store.kind, 'postgres');
    assert.equal(fromJson.config.store.url, 'postgres://u:pw2@127.0.0.1/other');
    const yaml = configToYaml(fromJson.config);
    assert.doesNotMatch(yaml, /pw2/);
    assert.match(yaml, /postgres:\/\/u:\*\*\*@127\.0\.0\.1\/other/);
    assert.equal(parse(yaml).listeners.mqtt.port, 1883);
  });

  it('keeps string settings as strings and parses the rest as JSON', async () => {
    const { config } = await loadConfig({ cwd: dir, env: { GATEHOUSE__LISTENERS__ADMIN__HOST: '0.0.0.0', GATEHOUSE_STORE: 'memory' }, flags: { set: ['tls.hostnames=["x.example"]', 'listeners.ws.path=/ws', 'mqtt.serverKeepAlive=30'] } });
    assert.equal(config.listeners.admin.host, '0.0.0.0');
    assert.equal(config.store.kind, 'memory');
    assert.deepEqual(config.tls.hostnames, ['x.example']);
    assert.equal(config.listeners.ws.path, '/ws');
    assert.equal(config.mqtt.serverKeepAlive, 30);
  });

  describe('errors name the key, the expectation and the source', () => {
    it('unknown keys in each source', async () => {
      await rejectsWith(loadConfig({ cwd: dir, env: {}, flags: { set: ['listeners.mqt.port=1'] } }), 'Unknown setting "listeners.mqt" (known: mqtt, mqtts, ws, wss, admin) (from --set listeners.mqt.port=1)');
      await rejectsWith(
        loadConfig({ cwd: dir, env: { GATEHOUSE__LIMITS__MAXINFLIGTH: '3' } }),
        'Unknown setting "limits.MAXINFLIGTH" (known: ' + Object.keys(defaultLimits).join(', ') + ') (from environment variable GATEHOUSE__LIMITS__MAXINFLIGTH)',
      );
      const file = join(dir, 'unknown.yaml');
      await writeFile(file, 'listeners:\n  mqtt:\n    prot: 1\n');
      await rejectsWith(loadConfig({ cwd: dir, env: {}, flags: { config: file } }), `Unknown setting "listeners.mqtt.prot" (known: enabled, host, port, allowAnonymous, proxyProtocol) (from ${file})`);
    });

    it('wrong types and ranges', async () => {
      await rejectsWith(loadConfig({ cwd: dir, env: {}, flags: { set: ['limits.maxInflight=ten'] } }), 'Setting "limits.maxInflight" must be an integer from 1 to 65535, got "ten" (from --set limits.maxInflight=ten)');
      await rejectsWith(loadConfig({ cwd: dir, env: { GATEHOUSE__LIMITS__MAXQUEUEDMESSAGES: '-1' } }), 'Setting "limits.maxQueuedMessages" must be an integer >= 0, got -1 (from environment variable GATEHOUSE__LIMITS__MAXQUEUEDMESSAGES)');
      await rejectsWith(loadConfig({ cwd: dir, env: { GATEHOUSE_STORE: 'mongo' } }), 'Setting "store.kind" must be one of "sqlite", "memory", "postgres", got "mongo" (from environment variable GATEHOUSE_STORE)');
      await rejectsWith(loadConfig({ cwd: dir, env: {}, flags: { set: ['listeners.mqtt.enabled=yes'] } }), 'Setting "listeners.mqtt.enabled" must be true or false, got "yes" (from --set listeners.mqtt.enabled=yes)');
      await rejectsWith(loadConfig({ cwd: dir, env: {}, flags: { set: ['listeners.mqtt.port=70000'] } }), 'Setting "listeners.mqtt.port" must be an integer from 0 to 65535, got 70000 (from --set listeners.mqtt.port=70000)');
      const file = join(dir, 'types.yaml');
      await writeFile(file, 'listeners: 5\n');
      await rejectsWith(loadConfig({ cwd: dir, env: {}, flags: { config: file } }), `Setting "listeners" must be a map of settings, got 5 (from ${file})`);
    });

    it('bad forms, missing files, combinations', async () => {
      await rejectsWith(loadConfig({ cwd: dir, env: {}, flags: { set: ['listeners.mqtt.port'] } }), '--set "listeners.mqtt.port" must look like key.path=value, e.g. listeners.mqtt.port=1884');
      await rejectsWith(loadConfig({ cwd: dir, env: {}, flags: { set: ['listeners.mqtt=1'] } }), 'Setting "listeners.mqtt" is a group; set one of its keys (enabled, host, port, allowAnonymous, proxyProtocol) (from --set listeners.mqtt=1)');
      await rejectsWith(loadConfig({ cwd: dir, env: {}, flags: { config: join(dir, 'nope.yaml') } }), `Cannot read configuration file ${join(dir, 'nope.yaml')}: ENOENT`);
      await rejectsWith(loadConfig({ cwd: dir, env: { GATEHOUSE_STORE: 'postgres' } }), 'Setting "store.url" is required when store.kind is "postgres" (e.g. postgres://user@127.0.0.1:5432/gatehouse) (from environment variable GATEHOUSE_STORE)');
      await rejectsWith(
        loadConfig({ cwd: dir, env: {}, flags: { set: ['listeners.ws.port=1883'] } }),
        'Settings "listeners.mqtt.port" and "listeners.ws.port" are both 1883 on 127.0.0.1; give each listener its own port',
      );
      await rejectsWith(
        loadConfig({ cwd: dir, env: {}, flags: { set: ['listeners.mqtts.proxyProtocol.enabled=true'] } }),
        'Setting "listeners.mqtts.proxyProtocol.trustedSources" must name the load balancers\' addresses (e.g. 10.0.0.0/8) when the PROXY protocol is enabled (from --set listeners.mqtts.proxyProtocol.enabled=true)',
      );
      await rejectsWith(
        loadConfig({ cwd: dir, env: {}, flags: { set: ['listeners.ws.proxyProtocol.enabled=true'] } }),
        'Setting "listeners.ws.proxyProtocol.trustedSources" must name the load balancers\' addresses (e.g. 10.0.0.0/8) when the PROXY protocol is enabled (from --set listeners.ws.proxyProtocol.enabled=true)',
      );
      const proxies = join(dir, 'proxies.yaml');
      await writeFile(proxies, 'listeners:\n  mqtt:\n    proxyProtocol:\n      enabled: true\n      trustedSources: [10.0.0.0/8, "2001:db8::/129"]\n');
      await rejectsWith(
        loadConfig({ cwd: dir, env: {}, flags: { config: proxies } }),
        `Setting "listeners.mqtt.proxyProtocol.trustedSources": Invalid trusted source "2001:db8::/129": expected an IPv4 or IPv6 address or CIDR block such as 10.0.0.0/8 (from ${proxies})`,
      );
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'listeners: [\n');
      await assert.rejects(loadConfig({ cwd: dir, env: {}, flags: { config: bad } }), /Cannot parse configuration file .*bad\.yaml/);
    });
  });
});
