/** What a scenario is: a name, the broker setup it needs, and a run against one broker with the shared load workers. */
import type { BrokerHandle } from '../brokers/start-broker.js';
import type { LoadWorker } from '../load/worker-pool.js';

export interface RunContext {
  readonly broker: BrokerHandle;
  readonly workers: readonly LoadWorker[];
  readonly quick: boolean;
  /** Loopback source addresses the workers spread their connections over (ports per address are limited). */
  readonly localAddresses: readonly string[];
  /** Figures already measured in this run, e.g. Mosquitto's one-to-one rate for `latency`. */
  readonly earlier: ReadonlyMap<string, Metrics>;
}

/** Figures of one broker in one scenario, keyed by metric name (see report.ts). */
export type Metrics = Record<string, number>;

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  readonly persistent: boolean;
  readonly tls: boolean;
  run(context: RunContext): Promise<Metrics>;
}
