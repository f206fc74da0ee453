/**
 * `npm run bench`: Gatehouse beside Mosquitto and Aedes, same load, same run. Starts each broker
 * itself on free loopback ports, runs every scenario against each in turn with the same load
 * workers, prints one table with Gatehouse's ratio to each peer and writes bench/results/<date>.{json,md}
 * (<date>-2 and on for later runs the same day).
 *
 *   npm run bench                      full run (about 10 minutes)
 *   npm run bench -- --quick           every scenario scaled down, under a minute
 *   npm run bench -- --scenarios fan-out,retained --brokers gatehouse,mosquitto
 *   npm run bench -- --profile --scenarios one-to-one   Gatehouse only, under --cpu-prof
 *   npm run bench -- --profile --brokers gatehouse-policy --scenarios fan-in   the same with IoT policies on
 *
 * `gatehouse-policy` (Gatehouse with the per-thing policy of brokers/bench-policies.ts) runs in every
 * scenario of a full run; `--quick` runs it in QUICK_POLICY_SCENARIOS only unless --brokers names it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { brokerNames, makeCertificate, mosquittoVersion, startBroker, type BrokerName } from './brokers/start-broker.js';
import { startWorkers } from './load/worker-pool.js';
import { topSelfTime } from './profile-top.js';
import { markdownReport, textTable, type BenchResult, type ScenarioResult } from './report.js';
import { scenarios, type Metrics } from './scenarios/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenarios: { type: 'string' },
    brokers: { type: 'string' },
    workers: { type: 'string', default: '2' },
    out: { type: 'string', default: join(here, 'results') },
    profile: { type: 'boolean', default: false },
  },
});

function pick<T extends string>(list: string | undefined, all: readonly T[], what: string): T[] {
  if (list === undefined) return [...all];
  const wanted = list.split(',').map((name) => name.trim());
  const unknown = wanted.filter((name) => !all.includes(name as T));
  if (unknown.length > 0) throw new TypeError(`Unknown ${what}: ${unknown.join(', ')} (known: ${all.join(', ')})`);
  return wanted as T[];
}

const selectedScenarios = scenarios.filter((scenario) => pick(values.scenarios, scenarios.map((s) => s.name), 'scenario').includes(scenario.name));
const gatehouseVariants: readonly BrokerName[] = ['gatehouse', 'gatehouse-policy'];
const selectedBrokers: BrokerName[] = values.profile ? pick(values.brokers ?? 'gatehouse', gatehouseVariants, 'broker to profile') : pick(values.brokers, brokerNames, 'broker');
const workerCount = Math.max(2, Number(values.workers));
const quick = values.quick;
/** Where `--quick` runs `gatehouse-policy` (each Gatehouse start costs seconds; the test budget is small). */
const QUICK_POLICY_SCENARIOS: readonly string[] = ['one-to-one'];

function brokersFor(scenario: string): BrokerName[] {
  if (!quick || values.brokers !== undefined) return selectedBrokers;
  return selectedBrokers.filter((name) => name !== 'gatehouse-policy' || QUICK_POLICY_SCENARIOS.includes(scenario));
}
// Each loopback source address has its own ~28k ephemeral ports; 10,000-client storms per broker
// per run, with TIME_WAIT, would run one address dry.
const localAddresses = Array.from({ length: 8 }, (_, i) => `127.0.0.${String(i + 2)}`);

function versionOf(command: () => string): string {
  try {
    return command();
  } catch {
    return 'unknown';
  }
}

const date = new Date().toISOString().slice(0, 10);
const result: BenchResult & { scenarios: ScenarioResult[] } = {
  date,
  quick,
  machine: {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    mosquitto: selectedBrokers.includes('mosquitto') ? versionOf(() => mosquittoVersion()) : 'not run',
    aedes: versionOf(() => (JSON.parse(readFileSync(join(here, '../node_modules/aedes/package.json'), 'utf8')) as { version: string }).version),
    gatehouse: versionOf(() => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim()),
    loadAverageBefore: loadavg(),
  },
  scenarios: [],
};

const root = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
const needsTls = selectedScenarios.some((scenario) => scenario.tls);
const certificate = needsTls ? await makeCertificate(join(root, 'cert')) : undefined;
const workers = startWorkers(workerCount);
const earlier = new Map<string, Metrics>();
const profiles: string[] = [];
let failed = 0;

let activeBroker: { stop(): Promise<void> } | undefined;
// Interrupted (Ctrl-C, a test timeout): take the broker and the workers down rather than orphan them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const worker of workers) worker.kill();
    void (activeBroker?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

try {
  for (const scenario of selectedScenarios) {
    const entry: ScenarioResult = { name: scenario.name, summary: scenario.summary, brokers: {} };
    result.scenarios.push(entry);
    for (const name of brokersFor(scenario.name)) {
      const dir = join(root, `${scenario.name}-${name}`);
      // Outside the repository: profiles are megabytes and belong to one machine and moment.
      const profileDir = join(tmpdir(), 'gatehouse-bench-profiles', scenario.name);
      const started = performance.now();
      try {
        if (values.profile) await mkdir(profileDir, { recursive: true });
        const broker = await startBroker(name, {
          dir,
          persistent: scenario.persistent,
          tls: scenario.tls,
          ...(certificate === undefined ? {} : { certificate }),
          ...(values.profile ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}),
        });
        activeBroker = broker;
        try {
          const metrics = { ...(await scenario.run({ broker, workers, quick, localAddresses, earlier })), ...(await broker.afterRun?.()) };
          // A refused topic would leave the policy variant with less to do: its figures would compare nothing.
          const denied = metrics['authorizationDenied'] ?? 0;
          if (denied > 0) throw new Error(`${String(denied)} actions refused by IoT policies during ${scenario.name}: the bench policy must allow every topic the scenario uses`);
          earlier.set(`${scenario.name}/${name}`, metrics);
          (entry.brokers as Record<string, unknown>)[name] = { description: broker.description, metrics };
          log(`bench: ${scenario.name} / ${name}: ${summarise(metrics)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
        } finally {
          activeBroker = undefined;
          await broker.stop();
        }
        if (values.profile) {
          // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread; the others are loader threads (tsx).
          const file = readdirSync(profileDir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f)).map((f) => join(profileDir, f)).sort().at(-1);
          if (file !== undefined) profiles.push(file);
        }
      } catch (error) {
        failed += 1;
        const message = error instanceof Error ? error.message : String(error);
        (entry.brokers as Record<string, unknown>)[name] = { error: message };
        log(`bench: ${scenario.name} / ${name} failed: ${message}`);
      }
    }
  }
} finally {
  for (const worker of workers) worker.kill();
  await rm(root, { recursive: true, force: true });
}

function summarise(metrics: Metrics): string {
  return Object.entries(metrics)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? String(value) : value.toFixed(3)}`)
    .join(' ');
}

(result.machine as { loadAverageAfter?: readonly number[] }).loadAverageAfter = loadavg();
process.stdout.write(`\n${textTable(result)}\n`);
for (const file of profiles) {
  process.stdout.write(`\nTop self time in ${file}:\n`);
  for (const row of topSelfTime(file)) process.stdout.write(`${row.percent.toFixed(1).padStart(6)}%  ${row.name}  ${row.location}\n`);
}

await mkdir(values.out, { recursive: true });
// A second full run on the same day is <date>-2 and so on: committed results are never overwritten.
// Quick runs are not committed (.gitignore) and keep one name.
const stem = `${date}${quick ? '-quick' : ''}${values.profile ? '-profile' : ''}`;
let base = join(values.out, stem);
for (let n = 2; !quick && existsSync(`${base}.json`); n++) base = join(values.out, `${stem}-${String(n)}`);
await writeFile(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
await writeFile(`${base}.md`, markdownReport(result));
process.stdout.write(`\nWrote ${base}.json and ${base}.md\n`);
process.exitCode = failed > 0 ? 1 : 0;
