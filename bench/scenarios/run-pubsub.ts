/**
 * The shared throughput run: hand each worker its part, start, skip a warm-up, then measure
 * messages delivered, the broker's CPU seconds and latency over a fixed window.
 */
import { now, sleep } from '../clock.js';
import { cpuSeconds, memory } from '../proc-stats.js';
import type { PubSubJob, Snapshot } from '../load/messages.js';
import type { Metrics, RunContext } from './scenario.js';

export interface PubSubPlan {
  /** One job per worker (workers without a part get an empty job). */
  readonly jobs: readonly PubSubJob[];
  /** Deliveries each PUBLISH should cause (subscribers per message), for the delivered share. */
  readonly fanout: number;
  readonly warmupSeconds: number;
  readonly measureSeconds: number;
}


/** Sends each worker its job and waits until every client is connected and subscribed. */
export async function prepare(context: RunContext, jobs: readonly PubSubJob[] | readonly import('../load/messages.js').Job[], timeoutMs = 300_000): Promise<void> {
  await Promise.all(
    context.workers.map((worker, index) =>
      worker.ask({ type: 'job', job: jobs[index]!, workerIndex: index, workerCount: context.workers.length, localAddresses: context.localAddresses }, 'ready', timeoutMs),
    ),
  );
}

async function snapshotAll(context: RunContext, measuring: boolean): Promise<Snapshot[]> {
  const replies = await Promise.all(context.workers.map((worker) => worker.ask({ type: 'snapshot', measuring }, 'snapshot', 30_000)));
  return replies.map((reply) => reply.snapshot);
}

function sum(snapshots: readonly Snapshot[], key: keyof Snapshot): number {
  return snapshots.reduce((total, snapshot) => total + snapshot[key], 0);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Lets what is in flight arrive before counting losses: polls until everything sent has arrived,
 * or nothing more arrived for a second, or 15 s passed (a broker may hold a long backlog).
 */
async function settle(context: RunContext, fanout: number): Promise<Snapshot[]> {
  const deadline = now() + 15_000;
  let snapshots = await snapshotAll(context, false);
  let lastProgress = now();
  while (now() < deadline && sum(snapshots, 'received') < sum(snapshots, 'sent') * fanout && now() - lastProgress < 1000) {
    await sleep(100);
    const next = await snapshotAll(context, false);
    if (sum(next, 'received') > sum(snapshots, 'received')) lastProgress = now();
    snapshots = next;
  }
  return snapshots;
}

export async function runPubSub(context: RunContext, plan: PubSubPlan): Promise<Metrics> {
  const { workers, broker } = context;
  await prepare(context, plan.jobs);
  // Floor flow: each worker with subscribers reports, per sending worker, how far its slowest
  // subscriber got; a sender may run `window` messages ahead of the slowest anywhere.
  const reports = new Map<number, readonly number[]>();
  const floors = workers.map(() => 0);
  for (const worker of workers) {
    worker.onProgress = (mins) => {
      reports.set(worker.index, mins);
      for (let sender = 0; sender < workers.length; sender++) {
        let floor = Number.MAX_SAFE_INTEGER;
        for (const report of reports.values()) floor = Math.min(floor, report[sender] ?? floor);
        if (floor !== Number.MAX_SAFE_INTEGER && floor !== floors[sender]) {
          floors[sender] = floor;
          workers[sender]!.send({ type: 'floor', value: floor });
        }
      }
    };
  }
  try {
    for (const worker of workers) worker.send({ type: 'start' });
    await sleep(plan.warmupSeconds * 1000);
    const before = await snapshotAll(context, true);
    const cpuBefore = cpuSeconds(broker.pid);
    const startedAt = now();
    await sleep(plan.measureSeconds * 1000);
    const after = await snapshotAll(context, false);
    const cpuAfter = cpuSeconds(broker.pid);
    const seconds = (now() - startedAt) / 1000;
    const stopped = await Promise.all(workers.map((worker) => worker.ask({ type: 'stop' }, 'stopped', 30_000)));
    const final = await settle(context, plan.fanout);
    const latencies = stopped.flatMap((reply) => reply.latencies).sort((a, b) => a - b);
    const delivered = sum(after, 'received') - sum(before, 'received');
    const sentTotal = sum(final, 'sent');
    return {
      msgsPerSec: delivered / seconds,
      publishedPerSec: (sum(after, 'sent') - sum(before, 'sent')) / seconds,
      cpuPerMillion: delivered === 0 ? Number.NaN : ((cpuAfter - cpuBefore) / delivered) * 1e6,
      cpuShare: (cpuAfter - cpuBefore) / seconds,
      peakRssMB: memory(broker.pid).peak / 1024 / 1024,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      deliveredShare: sentTotal === 0 ? 0 : sum(final, 'received') / (sentTotal * plan.fanout),
      received: sum(final, 'received'),
      errors: sum(final, 'errors'),
    };
  } finally {
    for (const worker of workers) worker.onProgress = undefined;
    await Promise.all(workers.map((worker) => worker.ask({ type: 'close' }, 'closed', 120_000)));
  }
}
