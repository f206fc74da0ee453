/** The broker's counters: plain numbers the hot path bumps and api/metrics reads at scrape time. */
import type { BrokerCounters } from './types.js';

/** Upper bounds, in seconds, of the store commit latency histogram. */
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function newCounters(): BrokerCounters {
  return {
    connections: 0,
    connectionsTotal: 0,
    sessions: 0,
    subscriptions: 0,
    retainedMessages: 0,
    messagesIn: [0, 0, 0],
    messagesOut: [0, 0, 0],
    bytesIn: 0,
    bytesOut: 0,
    drops: {},
    disconnects: {},
    authorizationDenials: {},
    queuedMessages: 0,
    inflightMessages: 0,
    storeCommits: 0,
    storeCommitOps: 0,
    storeCommitSeconds: 0,
    storeCommitBuckets: { le: COMMIT_BUCKETS, counts: COMMIT_BUCKETS.map(() => 0) },
  };
}

/** A message dropped for `reason` (queue-full, expired, slow-consumer, ...). */
export function countDrop(counters: BrokerCounters, reason: string): void {
  counters.drops[reason] = (counters.drops[reason] ?? 0) + 1;
}

/** A connection closed for `reason` (protocol-error, keepalive-timeout, takeover, ...). */
export function countDisconnect(counters: BrokerCounters, reason: string): void {
  counters.disconnects[reason] = (counters.disconnects[reason] ?? 0) + 1;
}

/** One group commit: its ops and its duration into the cumulative histogram. */
export function countCommit(counters: BrokerCounters, ops: number, seconds: number): void {
  counters.storeCommits++;
  counters.storeCommitOps += ops;
  counters.storeCommitSeconds += seconds;
  const buckets = counters.storeCommitBuckets;
  for (let i = 0; i < buckets.le.length; i++) if (seconds <= buckets.le[i]!) buckets.counts[i]!++;
}
