/**
 * `gatehouse-agent diagnose` as a real child process: the files `register` writes (or --cert, --key and
 * --ca alone), human lines and exit 0 when every step passes, `--json` and exit 1 when one fails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { TestGatehouse } from '../helpers/index.ts';
import { closedPort, onboard, startAgentGatehouse, type OnboardedDevice } from './agent-kit.ts';

const bin = fileURLToPath(new URL('../../packages/agent/bin/gatehouse-agent.js', import.meta.url));

/** Runs the real bin without the machine's HTTPS_PROXY, NO_PROXY or GATEHOUSE_AGENT_DIR. */
function diagnoseCli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(https?_proxy|no_proxy|gatehouse_agent_dir)$/i.test(name)));
  const child = spawn(process.execPath, [bin, 'diagnose', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('gatehouse-agent diagnose (the command)', () => {
  let gh: TestGatehouse;
  let device: OnboardedDevice;
  let work: string;

  before(async () => {
    gh = await startAgentGatehouse();
    device = await onboard(gh, 'diag-cli');
    work = await mkdtemp(join(tmpdir(), 'gatehouse-diagnose-'));
    // The directory as `gatehouse-agent register` writes it.
    await writeFile(join(work, 'key.pem'), device.keyPem, { mode: 0o600 });
    await writeFile(join(work, 'certificate.pem'), device.certificatePem, { mode: 0o600 });
    await writeFile(join(work, 'ca.pem'), gh.caPem, { mode: 0o600 });
    const config = { endpoints: [`mqtts://localhost:${gh.ports.wss}`], thingName: 'diag-cli', tenant: 'default', customer: 'acme', certificateId: device.certificateId, registeredAt: new Date().toISOString() };
    await writeFile(join(work, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  });
  after(async () => {
    await gh.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('from the registered directory: every step PASS (the proxy SKIP), exit 0', async () => {
    const run = await diagnoseCli('--dir', work);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `Diagnosis of mqtts://localhost:${gh.ports.wss}`);
    assert.deepEqual(lines.slice(1, -1).map((line) => line.slice(2, 6)), ['PASS', 'SKIP', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS'], run.stdout);
    assert.match(run.stdout, /PASS {2}Round trip +Published to acme\/diag-cli\/diagnose\//);
    assert.equal(lines.at(-1), 'Result: every step passed');
  });

  test('--json for a closed port: exit 1, the tcp step failed, and what to ask for', async () => {
    const port = await closedPort();
    const run = await diagnoseCli('--endpoint', `mqtts://127.0.0.1:${port}`, '--cert', join(work, 'certificate.pem'), '--key', join(work, 'key.pem'), '--ca', join(work, 'ca.pem'), '--json');
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    const output = JSON.parse(run.stdout) as { ok: boolean; reports: Array<{ failedStep?: string; steps: Array<{ step: string; status: string; ask?: string }> }> };
    assert.equal(output.ok, false);
    assert.equal(output.reports[0]?.failedStep, 'tcp');
    assert.match(output.reports[0]?.steps.find((step) => step.step === 'tcp')?.ask ?? '', new RegExp(`allow outbound TCP ${port} to 127\\.0\\.0\\.1`));
  });

  test('a directory that was never registered is one line on stderr, exit 1', async () => {
    const run = await diagnoseCli('--dir', join(work, 'nothing-here'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^Error: Cannot read .*\.(json|pem): it does not exist; run `gatehouse-agent register` first/);
  });
});
