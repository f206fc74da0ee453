/**
 * The limits Gatehouse runs with in benchmarks. Defaults protect a production broker from one
 * noisy client; a benchmark pushes one client far past them on purpose, so they are lifted here
 * and listed in docs/performance.md.
 */
import type { BrokerLimits } from '../../packages/server/src/broker/index.js';

export const gatehouseBenchLimits: Partial<BrokerLimits> = {
  // The per-client publish rate limit (default 1000/s) would cap every throughput scenario.
  maxPublishRate: 0,
  maxConnections: 1_000_000,
  // Fan-in and retained push many messages through one session; the default 1000 would drop.
  maxQueuedMessages: 1_000_000,
  maxRetainedMessages: 1_000_000,
  maxSubscriptionsPerClient: 1000,
};

/** The same limits as `--set` arguments for `gatehouse serve`. */
export function gatehouseBenchSettings(): string[] {
  return Object.entries(gatehouseBenchLimits).flatMap(([name, value]) => ['--set', `limits.${name}=${String(value)}`]);
}
