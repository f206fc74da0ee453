/**
 * The single agent port through a real forward proxy (Debian's tinyproxy with Basic auth), with the
 * agent port as the only MQTT way in: the SDK connects over WSS through the proxy and round-trips a
 * message, wrong proxy credentials are named as the proxy's 407, the proxy's log shows the CONNECT,
 * mosquitto_sub connects on the same port by ALPN `mqtt`, curl gets /healthz there, and the
 * `gatehouse-agent` CLI registers, runs, publishes and subscribes through the proxy.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createAgent, ProxyTunnelError, type Agent } from '../../packages/agent/src/index.ts';
import { missingTools, skipWithoutTinyproxy, startForwardProxy, startGatehouse, waitFor, type ForwardProxy, type TestGatehouse } from '../helpers/index.ts';
import { onboardDevice, requestJson, type OnboardedDevice } from '../identity/onboarding-kit.ts';

const run = promisify(execFile);
const agentBin = fileURLToPath(new URL('../../packages/agent/bin/gatehouse-agent.js', import.meta.url));

/** A child process whose output is kept, for tools that run while the test goes on. */
interface RunningTool {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

function startTool(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): RunningTool {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env === undefined ? {} : { env }) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
  const exited = (once(child, 'exit') as Promise<[number | null]>).then(([code]) => code);
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Polls an async `condition` every 50 ms; throws with `what()` after 10 s. */
async function eventually(condition: () => Promise<boolean>, what: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const USER = 'agent';
const PASSWORD = 'pr0xy-s3cret';

const missing = await missingTools(['mosquitto_sub', 'curl']);
if (missing.length > 0 && process.env['GATEHOUSE_REQUIRE_SERVICES'] === '1') throw new Error(`GATEHOUSE_REQUIRE_SERVICES=1 but ${missing.join(', ')} is missing (apt-get install -y mosquitto-clients curl)`);
const skip = (await skipWithoutTinyproxy()) || (missing.length > 0 ? `needs ${missing.join(', ')} (apt-get install -y mosquitto-clients curl)` : false);

describe('the agent port through a real HTTP forward proxy (tinyproxy, Basic auth)', { skip }, () => {
  let gh: TestGatehouse;
  let proxy: ForwardProxy;
  let dir: string;
  let device: OnboardedDevice;
  const agents: Agent[] = [];

  /** The agent port by the name its certificate carries; the proxy resolves it. */
  const endpoint = (): string => `wss://localhost:${gh.ports.wss}/mqtt`;

  function startAgent(proxyUrl: string, clientId: string): Promise<Agent> {
    return createAgent({
      endpoints: [endpoint()],
      customer: 'acme',
      device: device.thing,
      clientId,
      tls: { cert: device.certificatePem, key: device.keyPem, ca: gh.caPem },
      queueDirectory: join(dir, `queue-${clientId}`),
      backoff: { initialDelayMs: 100, maxDelayMs: 400 },
      connectTimeoutMs: 5000,
      // As an agent behind a corporate proxy is configured: by the environment, credentials in the URL.
      env: { HTTPS_PROXY: proxyUrl, NO_PROXY: 'example.com' },
    }).then((agent) => {
      agents.push(agent);
      return agent;
    });
  }

  before(async () => {
    // Only the agent port (wss) and the loopback admin API: no other MQTT listener to fall back on.
    gh = await startGatehouse({
      store: 'sqlite',
      config: { listeners: { mqtt: { enabled: false }, mqtts: { enabled: false }, ws: { enabled: false }, wss: { allowAnonymous: false } } },
    });
    assert.deepEqual(Object.keys(gh.ports).sort(), ['admin', 'wss']);
    proxy = await startForwardProxy({ user: USER, password: PASSWORD, connectPorts: [gh.ports.wss] });
    dir = await mkdtemp(join(tmpdir(), 'through-proxy-'));
    device = await onboardDevice({ adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem }, 'meter-1');
    await Promise.all([
      writeFile(join(dir, 'ca.pem'), gh.caPem),
      writeFile(join(dir, 'device.pem'), device.certificatePem),
      writeFile(join(dir, 'device.key'), device.keyPem, { mode: 0o600 }),
    ]);
  });
  after(async () => {
    for (const agent of agents) await agent.close();
    await proxy?.stop();
    await gh?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('the SDK connects over WSS through the proxy with Basic auth and round-trips a message; the proxy logged the CONNECT', async () => {
    const agent = await startAgent(proxy.url(), 'meter-1');
    await new Promise<void>((resolve, reject) => {
      agent.once('connected', () => resolve());
      setTimeout(() => reject(new Error('the agent did not connect through tinyproxy in 10 s')), 10_000).unref();
    });
    const echo: string[] = [];
    await agent.subscribe('echo', (message) => void echo.push(message.text()));
    await agent.publish('echo', 'through tinyproxy', { qos: 1 });
    await waitFor(() => echo.length === 1, 'the message back through the tunnel');
    assert.deepEqual(echo, ['through tinyproxy']);

    assert.deepEqual(await proxy.connectRequests(), [`localhost:${gh.ports.wss}`]);
    // The request line alone is logged before authentication; this line is the tunnel actually open.
    assert.match(await proxy.log(), /Established connection to host "localhost"/);
  });

  /** The first `reconnecting` event's error: the attempt that failed. */
  function firstFailure(agent: Agent): Promise<Error | undefined> {
    return new Promise((resolve, reject) => {
      agent.once('reconnecting', (event) => resolve(event.error));
      setTimeout(() => reject(new Error('no reconnecting event in 10 s')), 10_000).unref();
    });
  }

  test('without proxy credentials the agent fails with the proxy\'s 407, and says to put them in the proxy URL', async () => {
    const agent = await startAgent(`http://127.0.0.1:${proxy.port}`, 'meter-1-anonymous');
    const error = await firstFailure(agent);
    assert.ok(error instanceof ProxyTunnelError, String(error));
    assert.equal(error.status, 407);
    assert.match(error.message, new RegExp(`refused CONNECT localhost:${gh.ports.wss} with 407 .*proxy wants credentials`));
    assert.equal(agent.connected, false);
    // It would keep retrying, and its CONNECTs would mix into what later tests read from the log.
    await agent.close();
  });

  test('wrong proxy credentials fail as the proxy\'s refusal, never showing the password', async () => {
    const before = (await proxy.connectRequests()).length;
    const agent = await startAgent(proxy.url({ user: USER, password: 'wrong-password' }), 'meter-1-refused');
    const error = await firstFailure(agent);
    assert.ok(error instanceof ProxyTunnelError, String(error));
    // Debian's tinyproxy 1.11 answers wrong credentials with 401 (and missing ones with 407); 407 for
    // both came with tinyproxy#549. Squid and corporate proxies answer 407.
    assert.ok(error.status === 407 || error.status === 401, `status ${error.status}`);
    assert.match(error.message, new RegExp(`refused CONNECT localhost:${gh.ports.wss} with ${error.status}`));
    assert.doesNotMatch(error.message, /wrong-password/);
    assert.equal(agent.connected, false);
    await agent.close();
    assert.ok((await proxy.connectRequests()).length > before, 'tinyproxy saw the refused CONNECT');
  });

  test('mosquitto_sub with --tls-alpn mqtt and the device certificate connects on the same port and receives a message', async () => {
    const sender = await startAgent(proxy.url(), 'meter-1-sender');
    await new Promise<void>((resolve) => sender.once('connected', () => resolve()));
    const sub = startTool('mosquitto_sub', [
      '-h', '127.0.0.1', '-p', String(gh.ports.wss), '--tls-alpn', 'mqtt', '-V', 'mqttv5',
      '--cafile', join(dir, 'ca.pem'), '--cert', join(dir, 'device.pem'), '--key', join(dir, 'device.key'),
      '-i', 'meter-1-mosquitto', '-t', 'acme/meter-1/to-mosquitto', '-q', '1', '-C', '1', '-W', '15', '-d',
    ]);
    try {
      // mosquitto_sub's stdout is block-buffered on a pipe, so ask the server when it has subscribed.
      let client: Record<string, unknown> | undefined;
      await eventually(async () => {
        const answer = await requestJson(`${gh.urls.admin}/v1/clients`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
        client = (answer.body['items'] as Array<Record<string, unknown>>).find((item) => String(item['clientId']).endsWith('meter-1-mosquitto'));
        return client !== undefined && client['subscriptions'] === 1;
      }, () => `mosquitto_sub subscribed (exit ${sub.child.exitCode}):\n${sub.stdout()}\n${sub.stderr()}`);
      // Raw MQTT in TLS on the agent port: not the WebSocket path of the same listener.
      const peer = client?.['peer'] as Record<string, unknown>;
      assert.deepEqual([peer['transport'], peer['listener'], peer['localPort']], ['tls', 'wss', gh.ports.wss]);
      await sender.publish('to-mosquitto', 'hello mosquitto', { qos: 1 });
      const code = await sub.exited;
      assert.equal(code, 0, `mosquitto_sub exited ${code}:\n${sub.stdout()}\n${sub.stderr()}`);
      assert.match(sub.stdout(), /received PUBLISH .*'acme\/meter-1\/to-mosquitto'/);
      assert.match(sub.stdout(), /^hello mosquitto$/m);
    } finally {
      if (sub.child.exitCode === null) sub.child.kill();
    }
  });

  test('curl gets /healthz on the same port, directly and through the proxy', async () => {
    const healthz = `https://localhost:${gh.ports.wss}/healthz`;
    const direct = await run('curl', ['-sS', '--fail', '--cacert', join(dir, 'ca.pem'), '--resolve', `localhost:${gh.ports.wss}:127.0.0.1`, healthz], { timeout: 10_000 });
    assert.deepEqual(JSON.parse(direct.stdout), { status: 'ok' });

    const before = (await proxy.connectRequests()).length;
    const viaProxy = await run('curl', ['-sS', '--fail', '--cacert', join(dir, 'ca.pem'), '--proxy', `http://127.0.0.1:${proxy.port}`, '--proxy-user', `${USER}:${PASSWORD}`, healthz], { timeout: 10_000 });
    assert.equal(viaProxy.stdout, direct.stdout);
    assert.deepEqual((await proxy.connectRequests()).slice(before), [`localhost:${gh.ports.wss}`]);
  });

  test('gatehouse-agent registers, runs, subscribes and publishes through the proxy', async () => {
    const agentDir = join(dir, 'cli-agent');
    // The machine's own proxy settings must not decide where the CLI goes: only this proxy.
    const env = { ...process.env, HTTPS_PROXY: proxy.url(), https_proxy: proxy.url(), NO_PROXY: 'example.com', no_proxy: 'example.com', GATEHOUSE_AGENT_DIR: agentDir };
    const cli = (...args: string[]): Promise<{ stdout: string; stderr: string }> => run(process.execPath, [agentBin, ...args], { env, timeout: 30_000 });
    const endpointFlags = ['--endpoint', endpoint()];
    const before = (await proxy.connectRequests()).length;

    const minted = await requestJson(`${gh.urls.admin}/v1/tokens`, { headers: { authorization: `Bearer ${gh.adminKey}` }, body: { thing: 'cli-agent' } });
    assert.equal(minted.status, 201, JSON.stringify(minted.body));
    const registered = await cli('register', '--token', String(minted.body['token']), '--endpoint', `https://localhost:${gh.ports.wss}`, '--ca', join(dir, 'ca.pem'));
    assert.match(registered.stdout, /Registered thing "cli-agent" of tenant "default"/);

    const running = startTool(process.execPath, [agentBin, 'run', ...endpointFlags], env);
    const subscriber = startTool(process.execPath, [agentBin, 'sub', 'cli-echo', '--count', '1', ...endpointFlags], env);
    try {
      await waitFor(() => new RegExp(`connected ${endpoint().replaceAll('/', '\\/')}`).test(running.stdout()) || running.child.exitCode !== null, '`gatehouse-agent run` connected', 20_000);
      assert.match(running.stdout(), /connected wss:\/\/localhost:\d+\/mqtt \(new session\)/, running.stderr());
      await waitFor(() => /subscribed to/.test(subscriber.stderr()) || subscriber.child.exitCode !== null, '`gatehouse-agent sub` subscribed', 20_000);
      assert.match(subscriber.stderr(), /subscribed to default\/cli-agent\/cli-echo/);

      // Its own client id, so it does not take the subscriber's session over.
      const published = await cli('pub', 'cli-echo', 'hello from the cli', '--client-id', 'cli-agent-pub', ...endpointFlags);
      assert.match(published.stdout, /published default\/cli-agent\/cli-echo/);
      assert.equal(await subscriber.exited, 0, subscriber.stderr());
      assert.equal(subscriber.stdout(), 'default/cli-agent/cli-echo hello from the cli\n');
    } finally {
      if (subscriber.child.exitCode === null) subscriber.child.kill();
      if (running.child.exitCode === null) running.child.kill('SIGTERM');
    }
    assert.equal(await running.exited, 0, running.stdout() + running.stderr());
    assert.match(running.stdout(), /closing \(SIGTERM\)[\s\S]*closed/);
    // register, run, sub and pub: each went out through tinyproxy to the agent port.
    assert.deepEqual((await proxy.connectRequests()).slice(before), Array.from({ length: 4 }, () => `localhost:${gh.ports.wss}`));
  });
});
