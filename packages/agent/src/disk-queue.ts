/**
 * The agent's bounded on-disk queue of messages published while offline: one file per message in a
 * directory, named by a sequence number so the order survives restarts. Written to a temporary name,
 * fsynced and renamed, so a crash leaves either the whole message or none of it.
 */
import { open, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentQueueFullError } from './agent-errors.ts';

/** One queued publish. */
export interface QueuedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** MQTT 5 properties a reply needs; kept so a reply queued while offline still finds its requester. */
  readonly properties?: QueuedProperties;
}

/** The PUBLISH properties the queue keeps. */
export interface QueuedProperties {
  readonly responseTopic?: string;
  readonly correlationData?: Buffer;
  readonly contentType?: string;
}

/** How much the queue holds. */
export interface DiskQueueLimits {
  /** Default 10 000. */
  readonly maxMessages: number;
  /** Payload and topic bytes together; default 16 MiB. */
  readonly maxBytes: number;
}

export const DEFAULT_QUEUE_LIMITS: DiskQueueLimits = { maxMessages: 10_000, maxBytes: 16 * 1024 * 1024 };

const NAME = /^(\d{16})\.msg$/;

interface Entry {
  readonly seq: number;
  readonly bytes: number;
}

/**
 * A FIFO of messages in a directory. `append` is serialized, so files are written in sequence order
 * even when callers do not await each other; `peek`/`remove` take from the head.
 *
 * @example
 * const queue = await DiskQueue.open('/var/lib/agent/queue');
 * await queue.append({ topic: 'acme/pump-7/telemetry', payload: Buffer.from('{}'), qos: 1, retain: false });
 * const head = await queue.peek();
 * if (head !== undefined) await queue.remove(head.seq);
 */
export class DiskQueue {
  readonly directory: string;
  readonly limits: DiskQueueLimits;
  readonly #entries: Entry[];
  #nextSeq: number;
  /** Reserved by appends that have not finished writing, so the bound holds while they run. */
  #reservedMessages = 0;
  #reservedBytes = 0;
  #bytes: number;
  #writes: Promise<void> = Promise.resolve();

  private constructor(directory: string, limits: DiskQueueLimits, entries: Entry[]) {
    this.directory = directory;
    this.limits = limits;
    this.#entries = entries;
    this.#nextSeq = (entries.at(-1)?.seq ?? 0) + 1;
    this.#bytes = entries.reduce((sum, entry) => sum + entry.bytes, 0);
  }

  /** Opens (or creates, mode 0700) the directory and reads what an earlier run left in it. */
  static async open(directory: string, limits: DiskQueueLimits = DEFAULT_QUEUE_LIMITS): Promise<DiskQueue> {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const entries: Entry[] = [];
    for (const name of await readdir(directory)) {
      const match = NAME.exec(name);
      if (match === null) {
        // A write that a crash interrupted before its rename.
        if (name.endsWith('.tmp')) await rm(join(directory, name), { force: true });
        continue;
      }
      const info = await stat(join(directory, name));
      entries.push({ seq: Number(match[1]), bytes: info.size });
    }
    entries.sort((a, b) => a.seq - b.seq);
    return new DiskQueue(directory, limits, entries);
  }

  /** Messages on disk (appends still writing not counted). */
  get size(): number {
    return this.#entries.length;
  }

  /** Messages on disk or being written. */
  get pending(): number {
    return this.#entries.length + this.#reservedMessages;
  }

  /**
   * Appends a message; resolves once it is on disk. Throws {@link AgentQueueFullError} at once, writing
   * nothing, when it would pass either limit.
   */
  append(message: QueuedMessage): Promise<void> {
    const body = encode(message);
    // The check and the reservation happen before any await, so concurrent appends cannot overshoot.
    if (this.#entries.length + this.#reservedMessages + 1 > this.limits.maxMessages) {
      return Promise.reject(new AgentQueueFullError(`Cannot queue a message for "${message.topic}" while offline: the queue holds ${this.limits.maxMessages} messages, its limit (queue.maxMessages)`));
    }
    if (this.#bytes + this.#reservedBytes + body.length > this.limits.maxBytes) {
      return Promise.reject(new AgentQueueFullError(`Cannot queue a message for "${message.topic}" while offline: ${body.length} more bytes would pass the queue's limit of ${this.limits.maxBytes} (queue.maxBytes)`));
    }
    const seq = this.#nextSeq++;
    this.#reservedMessages++;
    this.#reservedBytes += body.length;
    const write = this.#writes.then(async () => {
      try {
        await writeDurably(this.directory, fileName(seq), body);
        this.#entries.push({ seq, bytes: body.length });
        this.#bytes += body.length;
      } finally {
        this.#reservedMessages--;
        this.#reservedBytes -= body.length;
      }
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  /** The oldest message and its sequence number, or undefined when the queue is empty. */
  async peek(): Promise<(QueuedMessage & { readonly seq: number }) | undefined> {
    const head = this.#entries[0];
    if (head === undefined) return undefined;
    return { seq: head.seq, ...decode(await readFile(join(this.directory, fileName(head.seq))), fileName(head.seq)) };
  }

  /** Removes the message `seq` (the head, once it was delivered). */
  async remove(seq: number): Promise<void> {
    const index = this.#entries.findIndex((entry) => entry.seq === seq);
    if (index === -1) return;
    const [entry] = this.#entries.splice(index, 1);
    this.#bytes -= entry?.bytes ?? 0;
    await rm(join(this.directory, fileName(seq)), { force: true });
  }
}

function fileName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.msg`;
}

async function writeDurably(directory: string, name: string, body: Buffer): Promise<void> {
  const temporary = join(directory, `${name}.tmp`);
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, join(directory, name));
}

/** A small JSON header line, then the raw payload: payloads stay byte for byte whatever they hold. */
function encode(message: QueuedMessage): Buffer {
  const properties = message.properties === undefined ? undefined : {
    ...message.properties,
    ...(message.properties.correlationData === undefined ? {} : { correlationData: message.properties.correlationData.toString('base64') }),
  };
  const header = Buffer.from(`${JSON.stringify({ topic: message.topic, qos: message.qos, retain: message.retain, properties })}\n`);
  return Buffer.concat([header, message.payload]);
}

function decode(file: Buffer, name: string): QueuedMessage {
  const newline = file.indexOf(0x0a);
  try {
    const header = JSON.parse(file.subarray(0, newline).toString('utf8')) as {
      topic: string; qos: 0 | 1 | 2; retain: boolean; properties?: { responseTopic?: string; correlationData?: string; contentType?: string };
    };
    if (newline === -1 || typeof header.topic !== 'string') throw new Error('no header');
    const message = { topic: header.topic, qos: header.qos, retain: header.retain === true, payload: file.subarray(newline + 1) };
    if (header.properties === undefined) return message;
    const { correlationData, ...rest } = header.properties;
    return { ...message, properties: { ...rest, ...(correlationData === undefined ? {} : { correlationData: Buffer.from(correlationData, 'base64') }) } };
  } catch {
    throw new Error(`Cannot read queued message ${name}: the file is damaged`);
  }
}
