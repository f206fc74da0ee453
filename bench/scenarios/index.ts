/**
 * The scenarios, in the order they run (one-to-one first: `latency` paces itself from Mosquitto's
 * one-to-one rate in the same run). `--quick` keeps each shape and cuts clients and time.
 */
import { now, sleep } from '../clock.js';
import { cpuSeconds, memory } from '../proc-stats.js';
import type { Flow, Job, PublisherSpec, PubSubJob, SubscriberSpec, Target } from '../load/messages.js';
import { prepare, runPubSub } from './run-pubsub.js';
import type { Metrics, RunContext, Scenario } from './scenario.js';

export type { Metrics, RunContext, Scenario } from './scenario.js';

const PAYLOAD = 64;

function target(context: RunContext, tls = false): Target {
  const { broker } = context;
  if (!tls) return { host: '127.0.0.1', port: broker.port };
  if (broker.tlsPort === undefined || broker.ca === undefined) throw new Error(`${broker.name} has no TLS listener`);
  return { host: '127.0.0.1', port: broker.tlsPort, ca: broker.ca };
}

function timing(context: RunContext): { warmupSeconds: number; measureSeconds: number } {
  return context.quick ? { warmupSeconds: 0.2, measureSeconds: 0.7 } : { warmupSeconds: 2, measureSeconds: 10 };
}

const scale = (context: RunContext, full: number): number => (context.quick ? Math.max(1, Math.round(full / 10)) : full);

interface Part {
  subscribers: SubscriberSpec[];
  publishers: PublisherSpec[];
}

function emptyParts(context: RunContext): Part[] {
  return context.workers.map(() => ({ subscribers: [], publishers: [] }));
}

function jobs(context: RunContext, parts: readonly Part[], options: { flow: (worker: number) => Flow; maxInflight?: number; tls?: boolean }): PubSubJob[] {
  return parts.map((part, worker) => ({
    kind: 'pubsub',
    target: target(context, options.tls),
    subscribers: part.subscribers,
    publishers: part.publishers,
    flow: options.flow(worker),
    payloadSize: PAYLOAD,
    maxInflight: options.maxInflight ?? 10,
  }));
}

/** `count` publisher/subscriber pairs on their own topics, each pair inside one worker. */
function pairs(context: RunContext, count: number, options: { qos: 0 | 1; clean: boolean; prefix: string }): Part[] {
  const parts = emptyParts(context);
  for (let i = 0; i < count; i++) {
    const part = parts[i % parts.length]!;
    const topic = `bench/${options.prefix}/${String(i)}`;
    part.publishers.push({ clientId: `${options.prefix}-pub-${String(i)}`, clean: options.clean, topic, qos: options.qos, pair: part.subscribers.length });
    part.subscribers.push({ clientId: `${options.prefix}-sub-${String(i)}`, clean: options.clean, filter: topic, qos: options.qos });
  }
  return parts;
}

const oneToOne: Scenario = {
  name: 'one-to-one',
  summary: '200 publishers, each to its own subscriber, QoS 0',
  persistent: false,
  tls: false,
  run: (context) =>
    runPubSub(context, {
      jobs: jobs(context, pairs(context, scale(context, 200), { qos: 0, clean: true, prefix: 'o2o' }), { flow: () => ({ kind: 'pair', window: 20 }) }),
      fanout: 1,
      ...timing(context),
    }),
};

const fanOut: Scenario = {
  name: 'fan-out',
  summary: '1 publisher, 1,000 subscribers of one topic, QoS 0',
  persistent: false,
  tls: false,
  run: (context) => {
    const subscribers = scale(context, 1000);
    const parts = emptyParts(context);
    for (let i = 0; i < subscribers; i++) parts[i % parts.length]!.subscribers.push({ clientId: `fo-sub-${String(i)}`, clean: true, filter: 'bench/fan-out', qos: 0 });
    parts[0]!.publishers.push({ clientId: 'fo-pub', clean: true, topic: 'bench/fan-out', qos: 0 });
    return runPubSub(context, { jobs: jobs(context, parts, { flow: () => ({ kind: 'floor', window: 100 }) }), fanout: subscribers, ...timing(context) });
  },
};

const fanIn: Scenario = {
  name: 'fan-in',
  summary: '1,000 publishers, 1 subscriber on a wildcard, QoS 1',
  persistent: false,
  tls: false,
  run: (context) => {
    const publishers = scale(context, 1000);
    const parts = emptyParts(context);
    for (let i = 0; i < publishers; i++) parts[i % parts.length]!.publishers.push({ clientId: `fi-pub-${String(i)}`, clean: true, topic: `bench/fan-in/${String(i)}`, qos: 1 });
    parts[parts.length - 1]!.subscribers.push({ clientId: 'fi-sub', clean: true, filter: 'bench/fan-in/+', qos: 1 });
    return runPubSub(context, { jobs: jobs(context, parts, { flow: () => ({ kind: 'floor', window: 2000 }), maxInflight: 10 }), fanout: 1, ...timing(context) });
  },
};

const qos1Persistent: Scenario = {
  name: 'qos1-persistent',
  summary: '200 pairs, QoS 1, persistent sessions (Gatehouse on SQLite, Mosquitto with persistence)',
  persistent: true,
  tls: false,
  run: (context) =>
    runPubSub(context, {
      jobs: jobs(context, pairs(context, scale(context, 200), { qos: 1, clean: false, prefix: 'q1p' }), { flow: () => ({ kind: 'pair', window: 20 }), maxInflight: 20 }),
      fanout: 1,
      ...timing(context),
    }),
};

/** Connects and subscribes `count` clients at once, then measures the broker's idle memory per connection. */
async function storm(context: RunContext, tls: boolean): Promise<Metrics> {
  const { workers, broker } = context;
  const count = scale(context, 10_000);
  const perWorker = Math.ceil(count / workers.length);
  const stormJobs: Job[] = workers.map((_, index) => ({
    kind: 'storm',
    target: target(context, tls),
    clientIdPrefix: `storm-${String(index)}`,
    count: Math.max(0, Math.min(perWorker, count - index * perWorker)),
    concurrency: 250,
  }));
  await prepare(context, stormJobs);
  await sleep(context.quick ? 200 : 1000);
  const rssBefore = memory(broker.pid).rss;
  const cpuBefore = cpuSeconds(broker.pid);
  const startedAt = now();
  try {
    const done = await Promise.all(workers.map((worker) => worker.ask({ type: 'start' }, 'done', 300_000)));
    const seconds = (Math.max(...done.map((reply) => reply.at)) - startedAt) / 1000;
    const connected = done.reduce((total, reply) => total + reply.connected, 0);
    const cpu = cpuSeconds(broker.pid) - cpuBefore;
    // Idle memory: let the broker settle (and a Node broker collect garbage) before reading RSS.
    await sleep(context.quick ? 300 : 3000);
    const rssAfter = memory(broker.pid).rss;
    const stopped = await Promise.all(workers.map((worker) => worker.ask({ type: 'stop' }, 'stopped', 30_000)));
    return {
      seconds,
      connectsPerSec: connected / seconds,
      cpuPerThousand: (cpu / Math.max(1, connected)) * 1000,
      idleKBPerConn: (rssAfter - rssBefore) / 1024 / Math.max(1, connected),
      peakRssMB: memory(broker.pid).peak / 1024 / 1024,
      connected,
      expected: count,
      errors: stopped.reduce((total, reply) => total + reply.snapshot.errors, 0),
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.ask({ type: 'close' }, 'closed', 300_000)));
  }
}

const connectStorm: Scenario = {
  name: 'connect-storm',
  summary: '10,000 clients connect and subscribe; seconds until all are subscribed; idle RSS per connection',
  persistent: false,
  tls: false,
  run: (context) => storm(context, false),
};

const connectStormTls: Scenario = {
  name: 'connect-storm-tls',
  summary: 'connect-storm over TLS (P-256 server certificate, full handshake per client)',
  persistent: false,
  tls: true,
  run: (context) => storm(context, true),
};

const retained: Scenario = {
  name: 'retained',
  summary: '100,000 retained topics; one subscriber to # receives all; seconds',
  persistent: false,
  tls: false,
  async run(context) {
    const { workers, broker } = context;
    const topics = scale(context, 100_000);
    const publishers = 10;
    const parts = emptyParts(context);
    for (let i = 0; i < publishers; i++) parts[i % parts.length]!.publishers.push({ clientId: `rt-pub-${String(i)}`, clean: true, topic: '', qos: 1 });
    // Each publisher gets its own topics: jobs carry one topic per publisher, so seed with one
    // publisher per topic block by giving each a distinct prefix and a per-message suffix.
    const seedJobs: PubSubJob[] = parts.map((part, worker) => ({
      kind: 'pubsub',
      target: target(context),
      subscribers: [],
      publishers: part.publishers,
      flow: { kind: 'acks' },
      payloadSize: PAYLOAD,
      maxInflight: 50,
      retain: true,
      messagesPerPublisher: Math.ceil(topics / publishers),
      distinctTopics: `bench/retained/${String(worker)}`,
    }));
    await prepare(context, seedJobs);
    await Promise.all(workers.map((worker) => worker.ask({ type: 'start' }, 'done', 600_000)));
    await Promise.all(workers.map((worker) => worker.ask({ type: 'close' }, 'closed', 60_000)));
    const expected = publishers * Math.ceil(topics / publishers);
    const cpuBefore = cpuSeconds(broker.pid);
    const drainJobs: Job[] = workers.map((_, index) =>
      index === 0 ? { kind: 'drain', target: target(context), filter: '#', expected, timeoutMs: 300_000 } : { kind: 'storm', target: target(context), clientIdPrefix: 'none', count: 0, concurrency: 1 },
    );
    await prepare(context, drainJobs);
    const drained = await workers[0]!.ask({ type: 'start' }, 'drained', 310_000);
    const cpu = cpuSeconds(broker.pid) - cpuBefore;
    await Promise.all(workers.map((worker) => worker.ask({ type: 'close' }, 'closed', 60_000)));
    // Seconds to receive all: a broker that delivered only part has no such figure.
    const complete = drained.received >= expected;
    return {
      seconds: complete ? drained.seconds : Number.NaN,
      msgsPerSec: complete ? drained.received / drained.seconds : Number.NaN,
      cpuPerMillion: (cpu / Math.max(1, drained.received)) * 1e6,
      peakRssMB: memory(broker.pid).peak / 1024 / 1024,
      received: drained.received,
      expected,
    };
  },
};

const latency: Scenario = {
  name: 'latency',
  summary: "200 pairs, QoS 0, fixed rate at half of Mosquitto's one-to-one maximum in this run; p50 and p99",
  persistent: false,
  tls: false,
  run: (context) => {
    const reference = context.earlier.get('one-to-one/mosquitto')?.msgsPerSec ?? context.earlier.get('one-to-one/gatehouse')?.msgsPerSec ?? 10_000;
    const rate = Math.max(100, Math.round(reference / 2));
    const parts = pairs(context, scale(context, 200), { qos: 0, clean: true, prefix: 'lat' });
    const perWorker = rate / parts.length;
    return runPubSub(context, { jobs: jobs(context, parts, { flow: () => ({ kind: 'rate', rate: perWorker }) }), fanout: 1, ...timing(context) }).then((metrics) => ({
      ...metrics,
      targetRate: rate,
    }));
  },
};

export const scenarios: readonly Scenario[] = [oneToOne, fanOut, fanIn, qos1Persistent, connectStorm, connectStormTls, retained, latency];
