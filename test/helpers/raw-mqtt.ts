/**
 * A small raw-socket MQTT client for black-box tests: it sends exactly the bytes or packets it is
 * given (malformed and out-of-order included), never acknowledges on its own, and lets a test await
 * the next packet or the close, or watch every packet as it arrives.
 */
import { once } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import { createWebSocketStream, WebSocket } from 'ws';

export type RawProtocolVersion = 3 | 4 | 5;

export interface RawMqttOptions {
  /** Protocol version used to encode and parse packets; default 4 (MQTT 3.1.1). */
  readonly protocolVersion?: RawProtocolVersion;
  /** PEM of the CA that signed the server certificate (mqtts/wss). */
  readonly ca?: string | Buffer;
  /** Milliseconds to wait for the transport to open; default 5000. */
  readonly timeoutMs?: number;
  /** Default wait of `next`, `expect`, `handshake` and `closed`, in milliseconds; default 3000. */
  readonly waitMs?: number;
  /** Sees every packet as it arrives, CONNACK included; see `RawMqtt.onPacket`. */
  readonly onPacket?: (packet: Packet, client: RawMqtt) => void;
}

/** Thrown by `next` when no packet arrives in time, and by `next`/`closed` on unexpected outcomes. */
export class RawMqttTimeout extends Error {
  override name = 'RawMqttTimeout';
}

const DEFAULT_WAIT_MS = 3000;

/**
 * A raw MQTT connection over `mqtt://`, `mqtts://`, `ws://` or `wss://`.
 *
 * @example
 * const client = await RawMqtt.connect(urls.mqtt, { protocolVersion: 5 });
 * client.send({ cmd: 'connect', protocolVersion: 5, clientId: 'a', clean: true, keepalive: 0 });
 * const connack = await client.next();            // { cmd: 'connack', reasonCode: 0, ... }
 * client.sendHex('e0 00');                         // DISCONNECT
 * await client.closed();
 */
export class RawMqtt {
  protocolVersion: RawProtocolVersion;
  /**
   * Called with each packet as it arrives, before it is queued for `next`. Set it (or the option)
   * before CONNECT to see the PUBLISHes a resumed session sends in the same read as the CONNACK.
   */
  onPacket: ((packet: Packet, client: RawMqtt) => void) | undefined;
  readonly #stream: Duplex;
  readonly #waitMs: number;
  readonly #parser: ReturnType<typeof mqttPacket.parser>;
  readonly #packets: Packet[] = [];
  #waiter: (() => void) | undefined;
  #isClosed = false;
  #parseError: Error | undefined;
  readonly #closedPromise: Promise<void>;

  private constructor(stream: Duplex, protocolVersion: RawProtocolVersion, options: RawMqttOptions) {
    this.#stream = stream;
    this.protocolVersion = protocolVersion;
    this.#waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
    this.onPacket = options.onPacket;
    this.#parser = mqttPacket.parser({ protocolVersion });
    this.#parser.on('packet', (packet: Packet) => {
      this.onPacket?.(packet, this);
      this.#packets.push(packet);
      this.#wake();
    });
    this.#parser.on('error', (error: Error) => {
      this.#parseError = error;
      this.#wake();
    });
    stream.on('data', (chunk: Buffer) => this.#parser.parse(chunk));
    stream.on('error', () => {});
    this.#closedPromise = new Promise((resolve) => {
      const done = (): void => {
        this.#isClosed = true;
        this.#wake();
        resolve();
      };
      stream.once('close', done);
      stream.once('end', done);
    });
  }

  /** Opens a transport to `url` (mqtt:, mqtts:, ws:, wss:); sends nothing yet. */
  static async connect(url: string, options: RawMqttOptions = {}): Promise<RawMqtt> {
    const target = new URL(url);
    const timeoutMs = options.timeoutMs ?? 5000;
    const host = target.hostname;
    const port = Number(target.port);
    let stream: Duplex;
    const signal = AbortSignal.timeout(timeoutMs);
    switch (target.protocol) {
      case 'mqtt:':
      case 'tcp:': {
        const socket = net.connect({ host, port });
        socket.setNoDelay(true);
        await once(socket, 'connect', { signal });
        stream = socket;
        break;
      }
      case 'mqtts:':
      case 'ssl:':
      case 'tls:': {
        const socket = tls.connect({ host, port, servername: host === '127.0.0.1' ? 'localhost' : host, ...(options.ca === undefined ? {} : { ca: options.ca }), ALPNProtocols: ['mqtt'] });
        await once(socket, 'secureConnect', { signal });
        stream = socket;
        break;
      }
      case 'ws:':
      case 'wss:': {
        const ws = new WebSocket(target, ['mqtt'], { ...(options.ca === undefined ? {} : { ca: options.ca }), ...(host === '127.0.0.1' ? { servername: 'localhost' } : {}) });
        await once(ws, 'open', { signal });
        stream = createWebSocketStream(ws);
        break;
      }
      default:
        throw new TypeError(`Cannot connect to ${url}: unsupported scheme ${target.protocol}`);
    }
    return new RawMqtt(stream, options.protocolVersion ?? 4, options);
  }

  /** Sends a packet encoded for this connection's protocol version. */
  send(packet: Packet): void {
    this.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  /** Sends bytes as given; false when the transport's buffer is full (await `drained()` then). */
  write(bytes: Buffer | Uint8Array): boolean {
    if (this.#isClosed || this.#stream.destroyed) return true;
    return this.#stream.write(bytes);
  }

  /** Resolves once the transport's write buffer has drained, or the connection closed. */
  drained(): Promise<void> {
    if (this.#isClosed || !this.#stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#stream.off('drain', done);
        this.#stream.off('close', done);
        resolve();
      };
      this.#stream.once('drain', done);
      this.#stream.once('close', done);
    });
  }

  /** Stops reading: the kernel buffers fill and the server sees a client that does not read. */
  pause(): void {
    this.#stream.pause();
  }

  /** Sends bytes written as hex, spaces allowed: `sendHex('c0 00')`. */
  sendHex(hex: string): void {
    this.write(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
  }

  /** Sends CONNECT and returns the CONNACK. */
  async handshake(connect: Partial<mqttPacket.IConnectPacket> = {}, timeoutMs?: number): Promise<mqttPacket.IConnackPacket> {
    this.send({ cmd: 'connect', protocolVersion: this.protocolVersion, clientId: '', clean: true, keepalive: 0, ...connect } as mqttPacket.IConnectPacket);
    return this.expect('connack', timeoutMs);
  }

  /** The next packet; rejects when none arrives within `timeoutMs` or the connection closes first. */
  async next(timeoutMs = this.#waitMs): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const packet = this.#packets.shift();
      if (packet !== undefined) return packet;
      if (this.#parseError !== undefined) throw new Error(`Server sent a packet the test client cannot parse: ${this.#parseError.message}`);
      if (this.#isClosed) throw new RawMqttTimeout('Connection closed while waiting for a packet');
      const left = deadline - Date.now();
      if (left <= 0) throw new RawMqttTimeout(`No packet within ${timeoutMs} ms`);
      await this.#wait(left);
    }
  }

  /** The next packet, which must have command `cmd`. */
  async expect<C extends Packet['cmd']>(cmd: C, timeoutMs?: number): Promise<Extract<Packet, { cmd: C }>> {
    const packet = await this.next(timeoutMs);
    if (packet.cmd !== cmd) throw new Error(`Expected ${cmd.toUpperCase()}, got ${JSON.stringify(packet)}`);
    return packet as Extract<Packet, { cmd: C }>;
  }

  /** Resolves with the packets received before the server closed; rejects if it stays open. */
  async closed(timeoutMs = this.#waitMs): Promise<Packet[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([this.#closedPromise.then(() => 'closed' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') throw new RawMqttTimeout(`Connection still open after ${timeoutMs} ms`);
    return this.#packets.splice(0);
  }

  /** Resolves when the connection closes, however long that takes. */
  whenClosed(): Promise<void> {
    return this.#closedPromise;
  }

  /** True once the server (or we) closed the connection. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Packets received and not yet taken by `next`. */
  get buffered(): readonly Packet[] {
    return this.#packets;
  }

  /** Closes our side at once. */
  destroy(): void {
    this.#stream.destroy();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve();
      }, ms);
      this.#waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
