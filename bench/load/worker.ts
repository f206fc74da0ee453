/**
 * A load worker: a child process that opens raw MQTT connections for the harness and publishes,
 * counts and times messages as told over IPC. Several run at once so that the load is spread over
 * cores and open-file limits; one job at a time, then it waits for the next.
 */
import { now } from '../clock.js';
import type { FromWorker, Job, PubSubJob, Snapshot, StormJob, DrainJob, ToWorker } from './messages.js';
import { PublishTemplate, RawClient } from './raw-client.js';

interface Subscriber {
  readonly client: RawClient;
  received: number;
  /** Receipts by sending worker (floor flow only). */
  readonly fromWorker: number[];
}

interface Publisher {
  readonly index: number;
  readonly client: RawClient;
  readonly template: PublishTemplate;
  readonly qos: 0 | 1;
  readonly pair: Subscriber | undefined;
  sent: number;
  inflight: number;
  packetId: number;
  blocked: boolean;
}

const SAMPLE_CAP = 100_000;


function send(message: FromWorker): void {
  process.send?.(message);
}

/** Runs `task` over 0..count-1 with at most `concurrency` at once. */
async function forEachLimited(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

class PubSubRun {
  readonly #job: PubSubJob;
  readonly #worker: number;
  readonly #workerCount: number;
  readonly #addresses: readonly string[];
  readonly subscribers: Subscriber[] = [];
  readonly publishers: Publisher[] = [];
  #started = false;
  #stopped = false;
  #measuring = false;
  #pumpScheduled = false;
  #floor = 0;
  #rr = 0;
  #startedAt = 0;
  #timers: NodeJS.Timeout[] = [];
  #done = false;
  sent = 0;
  received = 0;
  errors = 0;
  readonly #samples = new Float64Array(SAMPLE_CAP);
  #seen = 0;

  constructor(job: PubSubJob, worker: number, workerCount: number, addresses: readonly string[]) {
    this.#job = job;
    this.#worker = worker;
    this.#workerCount = workerCount;
    this.#addresses = addresses;
  }

  async connect(): Promise<void> {
    const job = this.#job;
    const onError = (): void => {
      this.errors += 1;
    };
    const trackSources = job.flow.kind === 'floor';
    const pacedByReceipts = job.flow.kind === 'pair';
    await forEachLimited(job.subscribers.length, 100, async (index) => {
      const spec = job.subscribers[index]!;
      const subscriber: Subscriber = { client: undefined as unknown as RawClient, received: 0, fromWorker: new Array<number>(this.#workerCount).fill(0) };
      const client = await RawClient.open({
        target: job.target,
        clientId: spec.clientId,
        clean: spec.clean,
        localAddress: this.#address(index),
        subscribe: { filter: spec.filter, qos: spec.qos },
        onError,
        onPublish: (buffer, start, end) => {
          subscriber.received += 1;
          this.received += 1;
          if (end - start < 10) return;
          if (trackSources) {
            const from = buffer.readUInt16LE(start + 8);
            if (from < this.#workerCount) subscriber.fromWorker[from]! += 1;
          }
          if (this.#measuring) this.#record(now() - buffer.readDoubleLE(start));
          if (pacedByReceipts) this.schedulePump();
        },
      });
      (subscriber as { client: RawClient }).client = client;
      this.subscribers[index] = subscriber;
    });
    await forEachLimited(job.publishers.length, 100, async (index) => {
      const spec = job.publishers[index]!;
      const publisher: Publisher = {
        index,
        client: undefined as unknown as RawClient,
        template: new PublishTemplate(spec.topic, { qos: spec.qos, retain: job.retain ?? false, payloadSize: job.payloadSize }),
        qos: spec.qos,
        pair: spec.pair === undefined ? undefined : this.subscribers[spec.pair],
        sent: 0,
        inflight: 0,
        packetId: 0,
        blocked: false,
      };
      const client = await RawClient.open({
        target: job.target,
        clientId: spec.clientId,
        clean: spec.clean,
        localAddress: this.#address(job.subscribers.length + index),
        onError,
        onPuback: () => {
          publisher.inflight -= 1;
          this.schedulePump();
        },
      });
      (publisher as { client: RawClient }).client = client;
      client.socket.on('drain', () => {
        publisher.blocked = false;
        this.schedulePump();
      });
      this.publishers[index] = publisher;
    });
  }

  start(): void {
    this.#started = true;
    this.#startedAt = now();
    if (this.#job.flow.kind === 'rate') this.#timers.push(setInterval(() => this.#pump(), 1));
    if (this.#job.flow.kind === 'floor' && this.subscribers.length > 0) {
      this.#timers.push(setInterval(() => send({ type: 'progress', mins: this.#mins() }), 20));
    }
    this.schedulePump();
  }

  setFloor(value: number): void {
    this.#floor = value;
    this.schedulePump();
  }

  snapshot(measuring: boolean): Snapshot {
    this.#measuring = measuring;
    return { sent: this.sent, received: this.received, errors: this.errors };
  }

  stop(): { snapshot: Snapshot; latencies: number[] } {
    this.#stopped = true;
    this.#measuring = false;
    for (const timer of this.#timers) clearInterval(timer);
    const count = Math.min(this.#seen, SAMPLE_CAP);
    const latencies = Array.from(this.#samples.subarray(0, count), (value) => Math.round(value * 1000) / 1000);
    return { snapshot: { sent: this.sent, received: this.received, errors: this.errors }, latencies };
  }

  async close(): Promise<void> {
    this.stop();
    const clients = [...this.publishers.map((p) => p.client), ...this.subscribers.map((s) => s.client)];
    await forEachLimited(clients.length, 500, (index) => clients[index]!.close());
  }

  schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (!this.#started || this.#stopped) return;
    const flow = this.#job.flow;
    switch (flow.kind) {
      case 'pair':
        for (const publisher of this.publishers) {
          const ahead = publisher.sent - (publisher.pair?.received ?? 0);
          this.#publish(publisher, flow.window - ahead);
        }
        return;
      case 'floor':
        this.#spread(flow.window - (this.sent - this.#floor));
        return;
      case 'rate':
        this.#spread(Math.floor(((now() - this.#startedAt) / 1000) * flow.rate) - this.sent);
        return;
      case 'acks':
        for (const publisher of this.publishers) this.#publish(publisher, Number.MAX_SAFE_INTEGER);
        if (!this.#done && this.publishers.every((p) => p.inflight === 0 && p.sent >= (this.#job.messagesPerPublisher ?? 0))) {
          this.#done = true;
          send({ type: 'done', at: now(), connected: this.publishers.length });
        }
        return;
      default: {
        const never: never = flow;
        throw new TypeError(`Unknown flow ${String(never)}`);
      }
    }
  }

  /** Shares `allowed` messages among the publishers, round robin so none starves. */
  #spread(allowed: number): void {
    const count = this.publishers.length;
    if (count === 0) return;
    const share = Math.max(1, Math.ceil(allowed / count));
    for (let step = 0; step < count && allowed > 0; step++) {
      const publisher = this.publishers[this.#rr]!;
      this.#rr = (this.#rr + 1) % count;
      allowed -= this.#publish(publisher, Math.min(share, allowed));
    }
  }

  /** Sends up to `wanted` messages as one write; returns how many it sent. */
  #publish(publisher: Publisher, wanted: number): number {
    if (publisher.blocked || publisher.client.closed) return 0;
    let count = wanted;
    if (publisher.qos > 0) count = Math.min(count, this.#job.maxInflight - publisher.inflight);
    const budget = this.#job.messagesPerPublisher;
    if (budget !== undefined) count = Math.min(count, budget - publisher.sent);
    count = Math.min(count, 1000);
    if (count <= 0) return 0;
    if (this.#job.distinctTopics !== undefined) return this.#publishDistinct(publisher, count, this.#job.distinctTopics);
    const template = publisher.template;
    const batch = Buffer.allocUnsafe(count * template.size);
    const sentAt = now();
    let offset = 0;
    for (let i = 0; i < count; i++) {
      publisher.packetId = (publisher.packetId % 65535) + 1;
      offset = template.fill(batch, offset, publisher.packetId, sentAt, this.#worker);
    }
    publisher.sent += count;
    if (publisher.qos > 0) publisher.inflight += count;
    this.sent += count;
    if (!publisher.client.write(batch)) publisher.blocked = true;
    return count;
  }

  #publishDistinct(publisher: Publisher, count: number, prefix: string): number {
    const job = this.#job;
    const packets: Buffer[] = [];
    const sentAt = now();
    for (let i = 0; i < count; i++) {
      const template = new PublishTemplate(`${prefix}/${String(publisher.index)}/${String(publisher.sent + i)}`, { qos: publisher.qos, retain: job.retain ?? false, payloadSize: job.payloadSize });
      const packet = Buffer.allocUnsafe(template.size);
      publisher.packetId = (publisher.packetId % 65535) + 1;
      template.fill(packet, 0, publisher.packetId, sentAt, this.#worker);
      packets.push(packet);
    }
    publisher.sent += count;
    if (publisher.qos > 0) publisher.inflight += count;
    this.sent += count;
    if (!publisher.client.write(Buffer.concat(packets))) publisher.blocked = true;
    return count;
  }

  #mins(): number[] {
    const mins = new Array<number>(this.#workerCount).fill(Number.MAX_SAFE_INTEGER);
    for (const subscriber of this.subscribers) {
      for (let w = 0; w < this.#workerCount; w++) mins[w] = Math.min(mins[w]!, subscriber.fromWorker[w]!);
    }
    return mins;
  }

  #record(latency: number): void {
    if (this.#seen < SAMPLE_CAP) this.#samples[this.#seen] = latency;
    else {
      const slot = Math.floor(Math.random() * (this.#seen + 1));
      if (slot < SAMPLE_CAP) this.#samples[slot] = latency;
    }
    this.#seen += 1;
  }

  #address(index: number): string | undefined {
    return this.#addresses.length === 0 ? undefined : this.#addresses[index % this.#addresses.length];
  }
}

class StormRun {
  readonly #job: StormJob;
  readonly #addresses: readonly string[];
  readonly clients: RawClient[] = [];
  errors = 0;

  constructor(job: StormJob, addresses: readonly string[]) {
    this.#job = job;
    this.#addresses = addresses;
  }

  async start(): Promise<void> {
    const job = this.#job;
    await forEachLimited(job.count, job.concurrency, async (index) => {
      const clientId = `${job.clientIdPrefix}-${index}`;
      try {
        const client = await RawClient.open({
          target: job.target,
          clientId,
          clean: true,
          ...(this.#addresses.length === 0 ? {} : { localAddress: this.#addresses[index % this.#addresses.length]! }),
          subscribe: { filter: `storm/${clientId}`, qos: 0 },
          onError: () => {
            this.errors += 1;
          },
        });
        this.clients.push(client);
      } catch {
        this.errors += 1;
      }
    });
    send({ type: 'done', at: now(), connected: this.clients.length });
  }

  async close(): Promise<void> {
    await forEachLimited(this.clients.length, 500, (index) => this.clients[index]!.close());
  }
}

async function drain(job: DrainJob): Promise<void> {
  let received = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const started = now();
  let last = started;
  const timer = setTimeout(finish, job.timeoutMs);
  // A broker that stopped sending (dropped the rest) is reported at once, not after the timeout.
  const idle = setInterval(() => {
    if (now() - last > 5000) finish();
  }, 500);
  const client = await RawClient.open({
    target: job.target,
    clientId: `bench-drain-${process.pid}`,
    clean: true,
    subscribe: { filter: job.filter, qos: 0 },
    onPublish: () => {
      received += 1;
      last = now();
      if (received >= job.expected) finish();
    },
  });
  await finished;
  clearTimeout(timer);
  clearInterval(idle);
  await client.close();
  send({ type: 'drained', seconds: (last - started) / 1000, received });
}

let run: PubSubRun | StormRun | undefined;
let current: Job | undefined;

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'job':
      current = message.job;
      if (message.job.kind === 'pubsub') {
        const pubsub = new PubSubRun(message.job, message.workerIndex, message.workerCount, message.localAddresses);
        run = pubsub;
        await pubsub.connect();
      } else if (message.job.kind === 'storm') {
        run = new StormRun(message.job, message.localAddresses);
      }
      send({ type: 'ready' });
      return;
    case 'start':
      if (current?.kind === 'drain') await drain(current);
      else if (run instanceof StormRun) await run.start();
      else run?.start();
      return;
    case 'floor':
      if (run instanceof PubSubRun) run.setFloor(message.value);
      return;
    case 'snapshot':
      if (run instanceof PubSubRun) send({ type: 'snapshot', snapshot: run.snapshot(message.measuring) });
      else send({ type: 'snapshot', snapshot: { sent: 0, received: 0, errors: run?.errors ?? 0 } });
      return;
    case 'stop':
      if (run instanceof PubSubRun) send({ type: 'stopped', ...run.stop() });
      else send({ type: 'stopped', snapshot: { sent: 0, received: 0, errors: run?.errors ?? 0 }, latencies: [] });
      return;
    case 'close':
      await run?.close();
      run = undefined;
      current = undefined;
      send({ type: 'closed' });
      return;
    default: {
      const never: never = message;
      throw new TypeError(`Unknown message ${JSON.stringify(never)}`);
    }
  }
}

process.on('message', (message: ToWorker) => {
  handle(message).catch((error: unknown) => {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  });
});
process.on('disconnect', () => process.exit(0));
