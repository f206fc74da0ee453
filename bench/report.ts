/** Turns results into the printed table, the JSON record and the Markdown summary, and checks the targets. */
import type { BrokerName } from './brokers/start-broker.js';
import type { Metrics } from './scenarios/index.js';

export interface MachineInfo {
  readonly nproc: number;
  readonly cpu: string;
  readonly node: string;
  readonly mosquitto: string;
  readonly aedes: string;
  readonly gatehouse: string;
  readonly loadAverageBefore: readonly number[];
  readonly loadAverageAfter?: readonly number[];
}

export interface BrokerResult {
  /** How the broker was started (entry script or CLI, store). */
  readonly description?: string;
  readonly metrics?: Metrics;
  readonly error?: string;
}

export interface ScenarioResult {
  readonly name: string;
  readonly summary: string;
  readonly brokers: Partial<Record<BrokerName, BrokerResult>>;
}

export interface BenchResult {
  readonly date: string;
  readonly quick: boolean;
  readonly machine: MachineInfo;
  readonly scenarios: readonly ScenarioResult[];
}

interface MetricDef {
  readonly key: string;
  readonly label: string;
  /** Which way is better; ratios are always "Gatehouse is N times as good", so > 1 favours Gatehouse. */
  readonly better: 'higher' | 'lower' | 'none';
  readonly digits: number;
}

const throughputMetrics: readonly MetricDef[] = [
  { key: 'msgsPerSec', label: 'msgs/s delivered', better: 'higher', digits: 0 },
  { key: 'cpuPerMillion', label: 'broker CPU s / 1M msgs', better: 'lower', digits: 2 },
  { key: 'peakRssMB', label: 'peak RSS MB', better: 'lower', digits: 1 },
  { key: 'p50Ms', label: 'latency p50 ms', better: 'lower', digits: 2 },
  { key: 'p99Ms', label: 'latency p99 ms', better: 'lower', digits: 2 },
  { key: 'deliveredShare', label: 'delivered / sent', better: 'none', digits: 3 },
];

const stormMetrics: readonly MetricDef[] = [
  { key: 'seconds', label: 'seconds to all subscribed', better: 'lower', digits: 2 },
  { key: 'idleKBPerConn', label: 'idle KB / connection', better: 'lower', digits: 1 },
  { key: 'cpuPerThousand', label: 'broker CPU s / 1k connects', better: 'lower', digits: 3 },
  { key: 'connected', label: 'connected', better: 'none', digits: 0 },
];

export const metricsByScenario: Readonly<Record<string, readonly MetricDef[]>> = {
  'one-to-one': throughputMetrics,
  'fan-out': throughputMetrics,
  'fan-in': throughputMetrics,
  'qos1-persistent': throughputMetrics,
  'connect-storm': stormMetrics,
  'connect-storm-tls': stormMetrics,
  retained: [
    { key: 'seconds', label: 'seconds to receive all', better: 'lower', digits: 2 },
    { key: 'msgsPerSec', label: 'msgs/s delivered', better: 'higher', digits: 0 },
    { key: 'cpuPerMillion', label: 'broker CPU s / 1M msgs', better: 'lower', digits: 2 },
    { key: 'received', label: 'received', better: 'none', digits: 0 },
  ],
  latency: [
    { key: 'p50Ms', label: 'latency p50 ms', better: 'lower', digits: 2 },
    { key: 'p99Ms', label: 'latency p99 ms', better: 'lower', digits: 2 },
    { key: 'msgsPerSec', label: 'msgs/s delivered', better: 'none', digits: 0 },
    { key: 'cpuPerMillion', label: 'broker CPU s / 1M msgs', better: 'lower', digits: 2 },
  ],
};

/** Gatehouse's figure as a multiple of the peer's, oriented so that > 1 means Gatehouse is better. */
export function ratio(scenario: string, metric: string, gatehouse: number | undefined, peer: number | undefined): number | undefined {
  const def = metricsByScenario[scenario]?.find((candidate) => candidate.key === metric);
  if (def === undefined || def.better === 'none' || gatehouse === undefined || peer === undefined) return undefined;
  if (!Number.isFinite(gatehouse) || !Number.isFinite(peer) || gatehouse <= 0 || peer <= 0) return undefined;
  return def.better === 'higher' ? gatehouse / peer : peer / gatehouse;
}

function format(value: number | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const formatRatio = (value: number | undefined): string => (value === undefined ? '-' : `${value.toFixed(2)}x`);

const peerHeader = ['scenario', 'metric', 'gatehouse', 'mosquitto', 'aedes', 'GH vs mosquitto', 'GH vs aedes'];
/** Appended when Gatehouse also ran with IoT policies: its figure and its ratio to Gatehouse without (> 1 favours policies). */
const policyHeader = ['gatehouse + policies', 'policies vs GH'];

const withPolicies = (result: BenchResult): boolean => result.scenarios.some((scenario) => scenario.brokers['gatehouse-policy'] !== undefined);

/** The table's columns: the peers, and the policy variant when it ran. */
export function tableHeader(result: BenchResult): string[] {
  return withPolicies(result) ? [...peerHeader, ...policyHeader] : [...peerHeader];
}

export function tableRows(result: BenchResult): string[][] {
  const rows: string[][] = [];
  const policies = withPolicies(result);
  for (const scenario of result.scenarios) {
    const value = (broker: BrokerName, key: string): number | undefined => scenario.brokers[broker]?.metrics?.[key];
    for (const def of metricsByScenario[scenario.name] ?? []) {
      const cell = (broker: BrokerName): string => (scenario.brokers[broker]?.error !== undefined ? 'failed' : format(value(broker, def.key), def.digits));
      const row = [
        scenario.name,
        def.label,
        cell('gatehouse'),
        cell('mosquitto'),
        cell('aedes'),
        formatRatio(ratio(scenario.name, def.key, value('gatehouse', def.key), value('mosquitto', def.key))),
        formatRatio(ratio(scenario.name, def.key, value('gatehouse', def.key), value('aedes', def.key))),
      ];
      if (policies) row.push(cell('gatehouse-policy'), formatRatio(ratio(scenario.name, def.key, value('gatehouse-policy', def.key), value('gatehouse', def.key))));
      rows.push(row);
    }
  }
  return rows;
}

/** Plain-text table for the terminal. */
export function textTable(result: BenchResult): string {
  const header = tableHeader(result);
  const rows = [header, ...tableRows(result)];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: readonly string[]): string => row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function markdownTable(result: BenchResult): string {
  const header = tableHeader(result);
  const rows = tableRows(result);
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

export interface TargetStatus {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

const primary: Readonly<Record<string, readonly string[]>> = {
  'one-to-one': ['msgsPerSec', 'cpuPerMillion'],
  'fan-out': ['msgsPerSec', 'cpuPerMillion'],
  'fan-in': ['msgsPerSec', 'cpuPerMillion'],
  'qos1-persistent': ['msgsPerSec', 'cpuPerMillion'],
  'connect-storm': ['seconds'],
  'connect-storm-tls': ['seconds'],
  retained: ['seconds', 'cpuPerMillion'],
  latency: ['p99Ms'],
};

const mosquittoTargets: Readonly<Record<string, number>> = { 'fan-out': 1.0, retained: 1.0, 'one-to-one': 0.8, 'fan-in': 0.8, 'qos1-persistent': 0.8 };

/** Issue 6: with a realistic per-thing policy, Gatehouse keeps at least this share of its own throughput. */
export const POLICY_THROUGHPUT_SHARE = 0.9;
const policyTargets: readonly string[] = ['one-to-one', 'fan-out', 'fan-in', 'qos1-persistent', 'retained'];

/** The targets of docs/performance.md ("Targets and status"), checked against this run. */
export function targetStatus(result: BenchResult): TargetStatus[] {
  const statuses: TargetStatus[] = [];
  const find = (name: string): ScenarioResult | undefined => result.scenarios.find((scenario) => scenario.name === name);
  const metric = (scenario: string, broker: BrokerName, key: string): number | undefined => find(scenario)?.brokers[broker]?.metrics?.[key];
  for (const scenario of result.scenarios) {
    for (const key of primary[scenario.name] ?? []) {
      const r = ratio(scenario.name, key, metric(scenario.name, 'gatehouse', key), metric(scenario.name, 'aedes', key));
      statuses.push({ target: `${scenario.name} ${key}: >= 3x Aedes`, ...judge(r, 3, metric(scenario.name, 'gatehouse', key)) });
    }
  }
  for (const [name, minimum] of Object.entries(mosquittoTargets)) {
    if (find(name) === undefined) continue;
    for (const key of primary[name] ?? []) {
      const r = ratio(name, key, metric(name, 'gatehouse', key), metric(name, 'mosquitto', key));
      statuses.push({ target: `${name} ${key}: >= ${minimum.toFixed(1)}x Mosquitto`, ...judge(r, minimum, metric(name, 'gatehouse', key)) });
    }
  }
  for (const name of policyTargets) {
    if (find(name)?.brokers['gatehouse-policy'] === undefined) continue;
    const r = ratio(name, 'msgsPerSec', metric(name, 'gatehouse-policy', 'msgsPerSec'), metric(name, 'gatehouse', 'msgsPerSec'));
    statuses.push({ target: `${name} msgsPerSec with IoT policies: >= ${POLICY_THROUGHPUT_SHARE.toFixed(2)}x without`, ...judge(r, POLICY_THROUGHPUT_SHARE, metric(name, 'gatehouse-policy', 'msgsPerSec')) });
  }
  const limits: ReadonlyArray<readonly [string, string, number, string]> = [
    ['connect-storm', 'idleKBPerConn', 20, 'idle memory <= 20 KB per plain connection'],
    ['connect-storm-tls', 'idleKBPerConn', 40, 'idle memory <= 40 KB per TLS connection'],
    ['connect-storm', 'seconds', 10, 'connect-storm under 10 s'],
  ];
  for (const [name, key, maximum, label] of limits) {
    if (find(name) === undefined) continue;
    const value = metric(name, 'gatehouse', key);
    statuses.push({ target: label, measured: value === undefined ? '-' : value.toFixed(2), met: value === undefined ? undefined : value <= maximum });
  }
  return statuses;
}

/** A ratio against its minimum; a Gatehouse figure of NaN means the run was incomplete, which fails. */
function judge(r: number | undefined, minimum: number, gatehouse: number | undefined): { measured: string; met: boolean | undefined } {
  if (gatehouse !== undefined && Number.isNaN(gatehouse)) return { measured: 'incomplete', met: false };
  return { measured: formatRatio(r), met: r === undefined ? undefined : r >= minimum };
}

export function markdownReport(result: BenchResult): string {
  const m = result.machine;
  const targets = targetStatus(result);
  const failures = result.scenarios.flatMap((scenario) =>
    Object.entries(scenario.brokers)
      .filter(([, broker]) => broker.error !== undefined)
      .map(([broker, run]) => `- ${scenario.name} / ${broker}: ${run.error ?? ''}`),
  );
  return [
    `# Benchmark ${result.date}${result.quick ? ' (quick: 10 % of clients, 1 s windows; not comparable with full runs)' : ''}`,
    '',
    `Machine: ${String(m.nproc)} CPUs (${m.cpu}), Node ${m.node}, ${m.mosquitto}, Aedes ${m.aedes}, Gatehouse ${m.gatehouse}.`,
    `Load average before: ${m.loadAverageBefore.map((v) => v.toFixed(2)).join(' ')}; after: ${(m.loadAverageAfter ?? []).map((v) => v.toFixed(2)).join(' ')}.`,
    'Ratios read "Gatehouse is N times as good": > 1 favours Gatehouse, whichever way the metric runs.',
    ...(withPolicies(result) ? ['"policies vs GH" is Gatehouse with IoT policies (bench/brokers/bench-policies.ts) against Gatehouse without, the same way: 0.90x means 10 % worse.'] : []),
    '',
    markdownTable(result),
    '',
    '## Targets',
    '',
    '| target | measured | status |',
    '|---|---:|---|',
    ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met === undefined ? 'n/a' : t.met ? 'met' : 'not met'} |`),
    ...(failures.length > 0 ? ['', '## Failed runs', '', ...failures] : []),
    '',
  ].join('\n');
}
