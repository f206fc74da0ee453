// Onboarding with nothing but standard tools: `gatehouse tokens create`, `openssl req`, `curl`,
// then `mosquitto_pub` over TLS with the issued certificate; `gatehouse certs list|show` see it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectClient, startGatehouse, type TestGatehouse, missingTools } from '../helpers/index.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../packages/server/bin/gatehouse.js', import.meta.url));

const missing = await missingTools(['openssl', 'curl', 'mosquitto_pub']);
const skip = missing.length > 0 ? `needs ${missing.join(', ')} (apt-get install openssl curl mosquitto-clients)` : false;

describe('onboarding with gatehouse, openssl, curl and mosquitto_pub', { skip }, () => {
  let gh: TestGatehouse;
  let dir: string;
  const cli = async (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(process.execPath, [bin, ...args, '--url', gh.urls.admin, '--key', gh.adminKey], { timeout: 20_000 });

  before(async () => {
    gh = await startGatehouse();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-agent-'));
    await writeFile(join(dir, 'ca.pem'), gh.caPem);
  });
  after(async () => {
    await gh.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('token from the CLI, key and CSR from openssl, certificate from curl, publish with mosquitto_pub', async () => {
    const minted = await cli('tokens', 'create', '--thing', 'shell-agent', '--ttl', '300');
    const token = minted.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'stdout is the token alone');
    const registerUrl = `https://127.0.0.1:${gh.ports.wss}/v1/register`;
    assert.ok(minted.stderr.includes(`Register at: ${registerUrl}`), minted.stderr);

    const key = join(dir, 'agent.key');
    const csr = join(dir, 'agent.csr');
    await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=ignored']);
    await writeFile(join(dir, 'register.json'), JSON.stringify({ token, csr: await readFile(csr, 'utf8') }));
    const curl = await run('curl', ['-sS', '--fail-with-body', '--cacert', join(dir, 'ca.pem'), '-H', 'content-type: application/json', '--data-binary', `@${join(dir, 'register.json')}`, registerUrl]);
    const registered = JSON.parse(curl.stdout) as { certificateId: string; certificatePem: string; thingName: string };
    assert.equal(registered.thingName, 'shell-agent');
    const certPath = join(dir, 'agent.pem');
    await writeFile(certPath, registered.certificatePem);
    assert.equal(new X509Certificate(registered.certificatePem).subject, 'CN=shell-agent');
    const verified = await run('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), certPath]);
    assert.match(verified.stdout, /agent\.pem: OK/);

    const received: string[] = [];
    const { client } = await connectClient(gh.urls.mqtt, {}, (_topic, payload) => received.push(payload.toString()));
    try {
      await client.subscribeAsync('default/shell-agent/#', { qos: 1 });
      await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(gh.ports.mqtts), '--cafile', join(dir, 'ca.pem'), '--cert', certPath, '--key', key, '-i', 'shell-agent', '-q', '1', '-t', 'default/shell-agent/hello', '-m', 'hello over mTLS'], { timeout: 10_000 });
      const deadline = Date.now() + 3000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(received, ['hello over mTLS']);
    } finally {
      await client.endAsync();
    }

    const replay = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', join(dir, 'ca.pem'), '-H', 'content-type: application/json', '--data-binary', `@${join(dir, 'register.json')}`, registerUrl]);
    assert.equal(replay.stdout, '409');

    const list = await cli('certs', 'list', '--thing', 'shell-agent');
    assert.match(list.stdout, new RegExp(`${registered.certificateId}\\s+shell-agent\\s+ACTIVE`));
    const show = await cli('certs', 'show', registered.certificateId);
    assert.match(show.stdout, /subject:\s+CN=shell-agent/);
    assert.match(show.stdout, /issued by:\s+register/);
  });
});
