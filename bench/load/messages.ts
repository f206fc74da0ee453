/** What the harness and its load workers say to each other over IPC, and the jobs they run. */

export interface ClientSpec {
  readonly clientId: string;
  readonly clean: boolean;
}

export interface SubscriberSpec extends ClientSpec {
  readonly filter: string;
  readonly qos: 0 | 1;
}

export interface PublisherSpec extends ClientSpec {
  readonly topic: string;
  readonly qos: 0 | 1;
  /** Index into the same job's subscribers: the one whose receipts pace this publisher (`pair` flow). */
  readonly pair?: number;
}

/**
 * How publishers are paced.
 * - `pair`: each publisher keeps at most `window` messages ahead of its own subscriber in this worker.
 * - `floor`: this worker keeps at most `window` messages ahead of the slowest subscriber anywhere,
 *   as reported by the harness (`floor` messages).
 * - `rate`: open loop at `rate` messages/s for the whole worker, whatever is delivered.
 */
export type Flow =
  | { readonly kind: 'pair'; readonly window: number }
  | { readonly kind: 'floor'; readonly window: number }
  | { readonly kind: 'rate'; readonly rate: number }
  /** Only the QoS 1 inflight window paces (retained seeding); `done` once every budget is acknowledged. */
  | { readonly kind: 'acks' };

export interface Target {
  readonly host: string;
  readonly port: number;
  /** PEM of the CA that signed the broker's certificate; present for TLS. */
  readonly ca?: string;
}

export interface PubSubJob {
  readonly kind: 'pubsub';
  readonly target: Target;
  readonly subscribers: readonly SubscriberSpec[];
  readonly publishers: readonly PublisherSpec[];
  readonly flow: Flow;
  readonly payloadSize: number;
  /** Unacknowledged QoS 1 PUBLISHes per publisher. */
  readonly maxInflight: number;
  readonly retain?: boolean;
  /** When set, every message goes to its own topic `<distinctTopics>/<publisher>/<n>` (retained seeding). */
  readonly distinctTopics?: string;
  /** Per-publisher message budget; publishing stops there (retained seeding). */
  readonly messagesPerPublisher?: number;
}

/** Connect and subscribe `count` clients as fast as `concurrency` allows; they stay connected idle. */
export interface StormJob {
  readonly kind: 'storm';
  readonly target: Target;
  readonly clientIdPrefix: string;
  readonly count: number;
  readonly concurrency: number;
}

/** One subscriber to `filter` counts until `expected` messages arrived: retained delivery. */
export interface DrainJob {
  readonly kind: 'drain';
  readonly target: Target;
  readonly filter: string;
  readonly expected: number;
  readonly timeoutMs: number;
}

export type Job = PubSubJob | StormJob | DrainJob;

export type ToWorker =
  | { readonly type: 'job'; readonly job: Job; readonly workerIndex: number; readonly workerCount: number; readonly localAddresses: readonly string[] }
  | { readonly type: 'start' }
  | { readonly type: 'snapshot'; readonly measuring: boolean }
  | { readonly type: 'floor'; readonly value: number }
  | { readonly type: 'stop' }
  | { readonly type: 'close' };

export interface Snapshot {
  readonly sent: number;
  readonly received: number;
  readonly errors: number;
}

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly mins: readonly number[] }
  | { readonly type: 'snapshot'; readonly snapshot: Snapshot }
  /** Storm: wall-clock ms (timeOrigin + now) when the last client got its SUBACK. */
  | { readonly type: 'done'; readonly at: number; readonly connected: number }
  /** Drain: seconds from sending SUBSCRIBE to the last expected message (or the timeout). */
  | { readonly type: 'drained'; readonly seconds: number; readonly received: number }
  | { readonly type: 'stopped'; readonly snapshot: Snapshot; readonly latencies: readonly number[] }
  | { readonly type: 'closed' }
  | { readonly type: 'failed'; readonly message: string };
