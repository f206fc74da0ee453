/**
 * Prometheus metrics for the admin listener. The broker's hot path only bumps plain numbers in
 * `BrokerCounters`; the collectors here read them when Prometheus scrapes, so a scrape costs one
 * pass over the counters and a message costs nothing extra.
 */
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';
import type { BrokerCounters } from '../broker/index.js';
import type { ShadowCounters } from '../services/index.js';

type MetricType = 'counter' | 'gauge' | 'histogram';

interface Sample {
  readonly value: number;
  readonly labels?: Readonly<Record<string, string | number>>;
  /** Set for a histogram's `_bucket`, `_sum` and `_count` series. */
  readonly metricName?: string;
}

interface MetricDefinition {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly read: (counters: BrokerCounters) => readonly Sample[];
}

const QOS_LEVELS = [0, 1, 2] as const;

const one = (value: number): readonly Sample[] => [{ value }];
const byQos = (values: readonly number[]): readonly Sample[] => QOS_LEVELS.map((qos) => ({ value: values[qos] ?? 0, labels: { qos } }));
const byLabel = (label: string, values: Readonly<Record<string, number>>): readonly Sample[] =>
  Object.entries(values).map(([key, value]) => ({ value, labels: { [label]: key } }));
const byReason = (values: Readonly<Record<string, number>>): readonly Sample[] => byLabel('reason', values);

/** Every broker metric, with the counter it reads. docs/admin-api.md lists the same names. */
export const brokerMetrics: readonly MetricDefinition[] = [
  { name: 'gatehouse_connections', help: 'Connected MQTT clients', type: 'gauge', read: (c) => one(c.connections) },
  { name: 'gatehouse_connections_total', help: 'MQTT connections accepted since start', type: 'counter', read: (c) => one(c.connectionsTotal) },
  { name: 'gatehouse_sessions', help: 'Sessions, connected or not', type: 'gauge', read: (c) => one(c.sessions) },
  { name: 'gatehouse_subscriptions', help: 'Subscriptions across all sessions', type: 'gauge', read: (c) => one(c.subscriptions) },
  { name: 'gatehouse_retained_messages', help: 'Retained messages held', type: 'gauge', read: (c) => one(c.retainedMessages) },
  { name: 'gatehouse_messages_received_total', help: 'PUBLISH packets received, by QoS', type: 'counter', read: (c) => byQos(c.messagesIn) },
  { name: 'gatehouse_messages_sent_total', help: 'PUBLISH packets sent, by QoS', type: 'counter', read: (c) => byQos(c.messagesOut) },
  { name: 'gatehouse_bytes_received_total', help: 'Bytes read from MQTT connections', type: 'counter', read: (c) => one(c.bytesIn) },
  { name: 'gatehouse_bytes_sent_total', help: 'Bytes written to MQTT connections', type: 'counter', read: (c) => one(c.bytesOut) },
  { name: 'gatehouse_messages_dropped_total', help: 'Messages dropped, by reason', type: 'counter', read: (c) => byReason(c.drops) },
  { name: 'gatehouse_disconnects_total', help: 'Connections closed, by reason', type: 'counter', read: (c) => byReason(c.disconnects) },
  { name: 'gatehouse_authorization_denied_total', help: 'Actions refused by IoT policies, by action', type: 'counter', read: (c) => byLabel('action', c.authorizationDenials) },
  { name: 'gatehouse_queued_messages', help: 'Messages waiting in session queues', type: 'gauge', read: (c) => one(c.queuedMessages) },
  { name: 'gatehouse_inflight_messages', help: 'QoS 1/2 messages sent and not yet acknowledged', type: 'gauge', read: (c) => one(c.inflightMessages) },
  { name: 'gatehouse_store_commits_total', help: 'Group-commit transactions', type: 'counter', read: (c) => one(c.storeCommits) },
  { name: 'gatehouse_store_commit_ops_total', help: 'Store operations written by group commits', type: 'counter', read: (c) => one(c.storeCommitOps) },
  { name: 'gatehouse_store_commit_seconds', help: 'Duration of group-commit transactions', type: 'histogram', read: commitHistogram },
];

/** `gatehouse_shadow_requests_total`: shadow requests answered, by operation, outcome and AWS code. */
export const shadowRequestsMetric = { name: 'gatehouse_shadow_requests_total', help: 'Device Shadow requests answered (MQTT and REST), by operation, outcome and code', type: 'counter' } as const;

/** One sample per operation and code seen: outcome `accepted` for 200, else `rejected`. */
export function shadowRequestSamples(counters: ShadowCounters): readonly Sample[] {
  return Object.entries(counters.requests).flatMap(([operation, byCode]) =>
    Object.entries(byCode).map(([code, value]) => ({ value, labels: { operation, outcome: code === '200' ? 'accepted' : 'rejected', code } })));
}

/**
 * The broker keeps cumulative bucket counts (each commit bumps every bucket whose bound it fits
 * under), which is exactly Prometheus' `le` semantics; `+Inf` is the commit count.
 */
function commitHistogram(c: BrokerCounters): readonly Sample[] {
  const name = 'gatehouse_store_commit_seconds';
  const { le, counts } = c.storeCommitBuckets;
  const samples: Sample[] = le.map((bound, i) => ({ metricName: `${name}_bucket`, value: counts[i] ?? 0, labels: { le: bound } }));
  const total = Math.max(c.storeCommits, counts[counts.length - 1] ?? 0);
  samples.push({ metricName: `${name}_bucket`, value: total, labels: { le: '+Inf' } });
  samples.push({ metricName: `${name}_sum`, value: c.storeCommitSeconds });
  samples.push({ metricName: `${name}_count`, value: total });
  return samples;
}

/**
 * A metric that prom-client's registry renders like its own but whose values are read at scrape
 * time. prom-client's Counter cannot be set, only incremented, hence this small shape instead.
 */
class ScrapedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly aggregator = 'sum';
  readonly #read: () => readonly Sample[];

  constructor(definition: Pick<MetricDefinition, 'name' | 'help' | 'type'>, read: () => readonly Sample[]) {
    this.name = definition.name;
    this.help = definition.help;
    this.type = definition.type;
    this.#read = read;
  }

  get(): Promise<{ name: string; help: string; type: MetricType; aggregator: string; values: Sample[] }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.#read()] });
  }

  reset(): void {}
}

/**
 * A registry of its own (never prom-client's global one, so two brokers in one process, as in
 * tests, do not collide) with Node's process metrics, the broker's, and the services' given.
 *
 * @example
 * const registry = createMetricsRegistry(() => broker.admin.counters);
 * reply.type(registry.contentType).send(await registry.metrics());
 */
export function createMetricsRegistry(counters: () => BrokerCounters, services: { readonly shadows?: () => ShadowCounters } = {}): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const definition of brokerMetrics) {
    registry.registerMetric(new ScrapedMetric(definition, () => definition.read(counters())) as unknown as Metric);
  }
  const shadows = services.shadows;
  if (shadows !== undefined) registry.registerMetric(new ScrapedMetric(shadowRequestsMetric, () => shadowRequestSamples(shadows())) as unknown as Metric);
  return registry;
}
