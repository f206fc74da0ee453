/**
 * `npm run bench -- --quick` end to end: every broker starts, every scenario runs against each,
 * and messages (or connections) arrived. Timings are never asserted: this machine is shared.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { BenchResult } from './report.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const brokers = ['gatehouse', 'mosquitto', 'aedes'] as const;
const scenarios = ['one-to-one', 'fan-out', 'fan-in', 'qos1-persistent', 'connect-storm', 'connect-storm-tls', 'retained', 'latency'];

describe('npm run bench -- --quick', () => {
  let out: string;
  let result: BenchResult;
  let markdown: string;
  let stdout = '';

  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'gatehouse-bench-test-'));
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn('npm', ['run', 'bench', '--', '--quick', '--out', out], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('exit', (exitCode) => {
        if (exitCode !== 0) process.stderr.write(stderr);
        resolve(exitCode);
      });
    });
    assert.equal(code, 0, 'the harness exits 0 when every run succeeded');
    const files = await readdir(out);
    const json = files.find((file) => file.endsWith('-quick.json'));
    const md = files.find((file) => file.endsWith('-quick.md'));
    assert.ok(json !== undefined && md !== undefined, `results written: ${files.join(', ')}`);
    result = JSON.parse(await readFile(join(out, json), 'utf8')) as BenchResult;
    markdown = await readFile(join(out, md), 'utf8');
  });

  after(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('ran every scenario against every broker without a failure', () => {
    assert.deepEqual(
      result.scenarios.map((scenario) => scenario.name),
      scenarios,
    );
    for (const scenario of result.scenarios) {
      for (const broker of brokers) {
        const run = scenario.brokers[broker];
        assert.ok(run !== undefined, `${scenario.name} ran on ${broker}`);
        assert.equal(run.error, undefined, `${scenario.name} on ${broker}: ${run.error ?? ''}`);
      }
    }
  });

  it('delivered messages in every pub/sub scenario, with nothing lost', () => {
    for (const name of ['one-to-one', 'fan-out', 'fan-in', 'qos1-persistent', 'latency']) {
      const scenario = result.scenarios.find((candidate) => candidate.name === name)!;
      for (const broker of brokers) {
        const metrics = scenario.brokers[broker]!.metrics!;
        assert.ok(metrics['received']! > 0, `${name} on ${broker} received messages`);
        assert.ok(metrics['msgsPerSec']! > 0, `${name} on ${broker} has a rate`);
        // `latency` is open loop at a fixed rate that a slower broker may not keep up with: its
        // backlog is a finding, not a harness failure. The paced scenarios must lose nothing.
        if (name !== 'latency') assert.ok(metrics['deliveredShare']! > 0.99, `${name} on ${broker} delivered ${String(metrics['deliveredShare'])} of what was sent`);
        assert.ok(Number.isFinite(metrics['p99Ms']), `${name} on ${broker} measured latency`);
        assert.ok(metrics['peakRssMB']! > 0, `${name} on ${broker} read the broker's memory`);
      }
    }
  });

  it('connected every storm client and delivered every retained message', () => {
    for (const name of ['connect-storm', 'connect-storm-tls']) {
      const scenario = result.scenarios.find((candidate) => candidate.name === name)!;
      for (const broker of brokers) {
        const metrics = scenario.brokers[broker]!.metrics!;
        assert.equal(metrics['connected'], metrics['expected'], `${name} on ${broker} connected all`);
        assert.ok(metrics['expected']! > 0);
      }
    }
    const retained = result.scenarios.find((candidate) => candidate.name === 'retained')!;
    for (const broker of brokers) {
      const metrics = retained.brokers[broker]!.metrics!;
      assert.equal(metrics['received'], metrics['expected'], `retained on ${broker} delivered all`);
    }
  });

  it('ran one-to-one on Gatehouse with IoT policies too, which delivered everything and refused nothing', () => {
    const scenario = result.scenarios.find((candidate) => candidate.name === 'one-to-one')!;
    const run = scenario.brokers['gatehouse-policy'];
    assert.ok(run !== undefined, 'one-to-one ran on gatehouse-policy');
    assert.equal(run.error, undefined, `one-to-one on gatehouse-policy: ${run.error ?? ''}`);
    assert.match(run.description ?? '', /bound by the tenant's policies/);
    const metrics = run.metrics!;
    assert.ok(metrics['received']! > 0, 'the policy variant received messages');
    assert.ok(metrics['deliveredShare']! > 0.99, `the policy variant delivered ${String(metrics['deliveredShare'])} of what was sent`);
    // The harness fails a run with denials; the figure is recorded all the same, and the plain run's too.
    assert.equal(metrics['authorizationDenied'], 0);
    assert.equal(scenario.brokers.gatehouse!.metrics!['authorizationDenied'], 0);
    // --quick keeps the policy variant to one scenario (its time budget).
    assert.equal(result.scenarios.filter((candidate) => candidate.brokers['gatehouse-policy'] !== undefined).length, 1);
  });

  it('prints and writes the comparison table with ratios to each peer', () => {
    assert.match(stdout, /GH vs mosquitto\s+GH vs aedes/);
    assert.match(stdout, /one-to-one\s+msgs\/s delivered/);
    assert.match(markdown, /\| scenario \| metric \| gatehouse \| mosquitto \| aedes \| GH vs mosquitto \| GH vs aedes \| gatehouse \+ policies \| policies vs GH \|/);
    assert.match(stdout, /one-to-one\s+msgs\/s delivered(\s+\S+){5}\s+[\d,]+\s+\d+\.\d\dx/);
    assert.match(markdown, /\| one-to-one msgsPerSec with IoT policies: >= 0\.90x without \| \d+\.\d\dx \|/);
    assert.match(markdown, /## Targets/);
    assert.equal(result.machine.nproc > 0, true);
  });
});
