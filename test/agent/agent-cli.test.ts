/**
 * `gatehouse-agent` as a user runs it, against a real Gatehouse: register writes key, certificate, CA
 * and config with private modes and refuses a used token with the server's message; run connects and
 * says so; pub and sub reach each other; shadow update then get.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor, type TestGatehouse } from '../helpers/index.ts';
import { agentCli, exited, mintToken, startAgentCli } from './agent-cli-kit.ts';
import { startAgentGatehouse } from './agent-kit.ts';

describe('gatehouse-agent CLI against Gatehouse', () => {
  let gh: TestGatehouse;
  let scratch: string;
  let dir: string;
  let caFile: string;
  let registerUrl: string;

  before(async () => {
    gh = await startAgentGatehouse();
    scratch = await mkdtemp(join(tmpdir(), 'agent-cli-test-'));
    dir = join(scratch, 'pump-9');
    caFile = join(scratch, 'gatehouse-ca.pem');
    await writeFile(caFile, gh.caPem);
    registerUrl = `https://localhost:${gh.ports.wss}`;
  });
  after(async () => {
    await gh.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  test('register writes key, certificate, CA and config, 0600 in a 0700 directory', async () => {
    const token = await mintToken(gh, 'pump-9');
    const run = await agentCli('register', '--token', token, '--endpoint', registerUrl, '--ca', caFile, '--dir', dir, '--customer', 'acme');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Registered thing "pump-9" of tenant "default"/);
    assert.ok(!run.stdout.includes(token) && !run.stderr.includes(token), 'the token is never printed');

    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    for (const file of ['key.pem', 'certificate.pem', 'ca.pem', 'config.json']) {
      assert.equal((await stat(join(dir, file))).mode & 0o777, 0o600, file);
    }
    assert.match(await readFile(join(dir, 'key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(await readFile(join(dir, 'certificate.pem'), 'utf8'), /^-----BEGIN CERTIFICATE-----/);
    assert.equal((await readFile(join(dir, 'ca.pem'), 'utf8')).trim(), gh.caPem.trim());
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config['thingName'], 'pump-9');
    assert.equal(config['customer'], 'acme');
    assert.deepEqual(config['endpoints'], [`mqtts://127.0.0.1:${gh.ports.mqtts}`, `wss://127.0.0.1:${gh.ports.wss}/mqtt`]);
  });

  test('register refuses a used token with the server\'s message, and an existing directory without --force', async () => {
    const token = await mintToken(gh, 'pump-10');
    const first = join(scratch, 'pump-10');
    assert.equal((await agentCli('register', '--token', token, '--endpoint', registerUrl, '--ca', caFile, '--dir', first)).code, 0);

    const again = await agentCli('register', '--token', token, '--endpoint', registerUrl, '--ca', caFile, '--dir', join(scratch, 'pump-10-again'));
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'Error: Cannot register: the registration token was already used; ask for a new one (409 REGISTRATION_TOKEN_USED)\n');
    await assert.rejects(stat(join(scratch, 'pump-10-again')), { code: 'ENOENT' });

    const fresh = await mintToken(gh, 'pump-10');
    const keyBefore = await readFile(join(first, 'key.pem'), 'utf8');
    const refused = await agentCli('register', '--token', fresh, '--endpoint', registerUrl, '--ca', caFile, '--dir', first);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /key\.pem exists .*--force/);
    assert.equal(await readFile(join(first, 'key.pem'), 'utf8'), keyBefore);
    // The refusal came before the token was spent: it still registers, here with --force.
    const forced = await agentCli('register', '--token', fresh, '--endpoint', registerUrl, '--ca', caFile, '--dir', first, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(await readFile(join(first, 'key.pem'), 'utf8'), keyBefore);
  });

  test('run connects, prints connected with the endpoint, and closes on SIGTERM', async () => {
    const child = startAgentCli('run', '--dir', dir);
    try {
      await waitFor(() => child.output.stdout.includes(' connected '), 'the connected line', 10_000);
      assert.match(child.output.stdout, new RegExp(`Z connected mqtts://127.0.0.1:${gh.ports.mqtts} \\((new session|session resumed)\\)`));
      child.kill('SIGTERM');
      const code = await exited(child, 10_000);
      assert.equal(code, 0, child.output.stderr);
      assert.match(child.output.stdout, /closing \(SIGTERM\)\n.*Z closed\n$/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('run reports reconnecting with the failed endpoint and its cause', async () => {
    const child = startAgentCli('run', '--dir', dir, '--endpoint', 'mqtts://localhost:1', '--endpoint', `wss://localhost:${gh.ports.wss}/mqtt`);
    try {
      await waitFor(() => child.output.stdout.includes(' connected '), 'the connected line', 10_000);
      assert.match(child.output.stdout, /reconnecting wss:\/\/localhost:\d+\/mqtt in \d+ ms \(attempt 1; mqtts:\/\/localhost:1: .*ECONNREFUSED/);
      assert.match(child.output.stdout, /connected wss:\/\/localhost:\d+\/mqtt/);
      child.kill('SIGINT');
      assert.equal(await exited(child, 10_000), 0, child.output.stderr);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('pub reaches sub: the agent\'s own subject, then a whole topic', async () => {
    const sub = startAgentCli('sub', '--dir', dir, 'inbox/#', '--count', '2', '--client-id', 'pump-9-sub');
    try {
      await waitFor(() => sub.output.stderr.includes('subscribed to acme/pump-9/inbox/#'), 'the subscription', 10_000);
      const own = await agentCli('pub', '--dir', dir, 'inbox/a', 'hello');
      assert.equal(own.code, 0, own.stderr);
      assert.equal(own.stdout, 'published acme/pump-9/inbox/a\n');
      const whole = await agentCli('pub', '--dir', dir, '--topic', 'acme/pump-9/inbox/b', '{"n":2}', '--qos', '0');
      assert.equal(whole.code, 0, whole.stderr);
      const code = await exited(sub, 10_000).catch((error: Error) => {
        throw new Error(`sub did not end: ${JSON.stringify(sub.output)}`, { cause: error });
      });
      assert.equal(code, 0, sub.output.stderr);
      assert.equal(sub.output.stdout, 'acme/pump-9/inbox/a hello\nacme/pump-9/inbox/b {"n":2}\n');
    } finally {
      sub.kill('SIGKILL');
    }
  });

  test('shadow update then get: the reported state comes back with its version', async () => {
    const update = await agentCli('shadow', 'update', '--dir', dir, '--name', 'config', '--state', '{"reported":{"firmware":"1.4.2"}}');
    assert.equal(update.code, 0, update.stderr);
    const accepted = JSON.parse(update.stdout) as { state: { reported: Record<string, unknown> }; version: number };
    assert.deepEqual(accepted.state.reported, { firmware: '1.4.2' });

    const get = await agentCli('shadow', 'get', '--dir', dir, '--name', 'config');
    assert.equal(get.code, 0, get.stderr);
    const document = JSON.parse(get.stdout) as { state: { reported: Record<string, unknown> }; version: number };
    assert.deepEqual(document.state.reported, { firmware: '1.4.2' });
    assert.equal(document.version, accepted.version);

    const missing = await agentCli('shadow', 'get', '--dir', dir, '--name', 'nothing-here');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error: Cannot get shadow "nothing-here" of "pump-9": No shadow exists with name: .*\(404\)\n$/);

    const bad = await agentCli('shadow', 'update', '--dir', dir, '--state', 'not json');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--state is not JSON/);
  });
});
