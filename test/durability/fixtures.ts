/**
 * Test fixtures for the durability and bounds tests: the real server in-process (SQLite or memory
 * store) and a raw MQTT client on mqtt-packet for tests that must control acks and reading.
 */
import { once } from 'node:events';
import net from 'node:net';
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient, type OnMessageCallback } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import type { Broker, BrokerLimits } from '../../packages/server/src/broker/index.js';
import { startGatehouse, type TestGatehouse } from '../helpers/index.js';

export interface InProcessBroker {
  readonly broker: Broker;
  readonly gatehouse: TestGatehouse;
  /** The plain MQTT listener. */
  readonly port: number;
  readonly url: string;
  /** Stops gracefully: DISCONNECT 0x8B to MQTT 5 clients, store flushed and closed. */
  close(): Promise<void>;
}

export interface InProcessBrokerOptions {
  /** A SQLite store in this home (kept on close); a memory store in a throwaway home when absent. */
  readonly home?: string;
  readonly limits?: Partial<BrokerLimits>;
}

/**
 * The real Gatehouse in this process (`startGatehouse`), reduced to what these tests use.
 *
 * @example
 * const server = await startInProcessBroker({ home, limits: { maxQueuedMessages: 10 } });
 * const client = await mqtt.connectAsync(server.url);
 */
export async function startInProcessBroker(options: InProcessBrokerOptions = {}): Promise<InProcessBroker> {
  const gatehouse = await startGatehouse({
    ...(options.home === undefined ? { store: 'memory' as const } : { store: 'sqlite' as const, home: options.home }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  return {
    broker: gatehouse.broker,
    gatehouse,
    port: gatehouse.ports.mqtt,
    url: gatehouse.urls.mqtt,
    close: () => gatehouse.stop(),
  };
}

type PacketOf<C extends Packet['cmd']> = Extract<Packet, { cmd: C }>;

/**
 * A bare MQTT client: it sends exactly what the test writes and never acknowledges on its own.
 *
 * @example
 * const raw = await RawClient.connect(port, { cmd: 'connect', clientId: 'a', protocolVersion: 5 });
 * raw.send({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, messageId: 1, dup: false, retain: false });
 * await raw.next('puback');
 */
export class RawClient {
  readonly socket: net.Socket;
  readonly protocolVersion: 3 | 4 | 5;
  /** Every packet received, in order. */
  readonly received: Packet[] = [];
  readonly #waiters: { cmd: Packet['cmd']; resolve: (packet: Packet) => void }[] = [];
  /** Per packet type: index into `received` after the last packet `next()` took. */
  readonly #cursor = new Map<Packet['cmd'], number>();
  closed = false;
  readonly closedPromise: Promise<void>;
  onPacket: ((packet: Packet) => void) | undefined;

  constructor(socket: net.Socket, protocolVersion: 3 | 4 | 5) {
    this.socket = socket;
    this.protocolVersion = protocolVersion;
    const parser = mqttPacket.parser({ protocolVersion });
    parser.on('packet', (packet: Packet) => {
      this.received.push(packet);
      this.onPacket?.(packet);
      this.#serve();
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => socket.once('close', () => {
      this.closed = true;
      resolve();
    }));
  }

  /** Opens a socket, sends CONNECT and waits for CONNACK (returned). */
  static async connect(port: number, connect: PacketOf<'connect'>, options: { readonly timeoutMs?: number; readonly onPacket?: (packet: Packet, client: RawClient) => void } = {}): Promise<{ client: RawClient; connack: PacketOf<'connack'> }> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const client = new RawClient(socket, connect.protocolVersion ?? 4);
    // Set before CONNECT: a resumed session's PUBLISHes arrive in the same read as the CONNACK.
    const onPacket = options.onPacket;
    if (onPacket !== undefined) client.onPacket = (packet) => onPacket(packet, client);
    client.send(connect);
    const connack = await client.next('connack', options.timeoutMs);
    return { client, connack };
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  /** The next packet of this type that no earlier `next()` took; waits for it. */
  next<C extends Packet['cmd']>(cmd: C, timeoutMs = 5000): Promise<PacketOf<C>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.findIndex((waiter) => waiter.resolve === done);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(new Error(`No ${cmd.toUpperCase()} within ${timeoutMs} ms (got ${this.received.map((p) => p.cmd).join(', ') || 'nothing'})`));
      }, timeoutMs);
      const done = (packet: Packet): void => {
        clearTimeout(timer);
        resolve(packet as PacketOf<C>);
      };
      this.#waiters.push({ cmd, resolve: done });
      this.#serve();
    });
  }

  #serve(): void {
    for (let w = 0; w < this.#waiters.length; w++) {
      const waiter = this.#waiters[w]!;
      const from = this.#cursor.get(waiter.cmd) ?? 0;
      let found = -1;
      for (let i = from; i < this.received.length; i++) {
        if (this.received[i]!.cmd === waiter.cmd) {
          found = i;
          break;
        }
      }
      if (found < 0) continue;
      // Packets of one type are taken in order, so a cursor per type marks what was taken.
      this.#cursor.set(waiter.cmd, found + 1);
      this.#waiters.splice(w--, 1);
      waiter.resolve(this.received[found]!);
    }
  }

  /** Waits until the server closes the socket; rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closedPromise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Socket still open after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 20 ms until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** An MQTT.js client that has its CONNACK; never reconnects on its own, so tests see every close. */
export async function connectClient(url: string, options: IClientOptions = {}, onMessage?: OnMessageCallback): Promise<{ client: MqttClient; connack: IConnackPacket }> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  // Attached before CONNACK: a resumed session's messages follow it at once.
  if (onMessage !== undefined) client.on('message', onMessage);
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
    client.once('close', () => reject(new Error(`Connection to ${url} closed before CONNACK`)));
  });
  client.on('error', () => {});
  return { client, connack };
}
