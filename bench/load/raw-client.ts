/**
 * A minimal MQTT 3.1.1 client on a raw socket for the load workers: CONNECT and SUBSCRIBE through
 * mqtt-packet, PUBLISH and PUBACK encoded by hand, and a frame splitter that hands PUBLISH payloads
 * over without building packet objects. Full clients (MQTT.js) would make the load generator,
 * not the broker, the bottleneck.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import mqttPacket from 'mqtt-packet';
import type { Target } from './messages.js';

const DISCONNECT = Buffer.from([0xe0, 0x00]);

export interface RawClientOptions {
  readonly target: Target;
  readonly clientId: string;
  readonly clean: boolean;
  readonly localAddress?: string | undefined;
  readonly subscribe?: { readonly filter: string; readonly qos: 0 | 1 };
  /** Called for each PUBLISH with the payload's bounds in `buffer`; QoS 1 ones are acknowledged after it returns. */
  readonly onPublish?: (buffer: Buffer, start: number, end: number) => void;
  readonly onPuback?: () => void;
  readonly onError?: (error: Error) => void;
}

export class RawClient {
  readonly socket: Socket;
  readonly #options: RawClientOptions;
  #rest: Buffer | undefined;
  #acks: Buffer[] = [];
  #connack: (() => void) | undefined;
  #suback: (() => void) | undefined;
  #fail: ((error: Error) => void) | undefined;
  closed = false;

  private constructor(socket: Socket, options: RawClientOptions) {
    this.socket = socket;
    this.#options = options;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => {
      if (this.#fail !== undefined) this.#fail(error);
      else options.onError?.(error);
    });
    socket.on('close', () => {
      this.closed = true;
      this.#fail?.(new Error(`Connection of ${options.clientId} closed before it was set up`));
    });
  }

  /** Connects, sends CONNECT (and SUBSCRIBE right behind it) and resolves once CONNACK (and SUBACK) arrived. */
  static open(options: RawClientOptions): Promise<RawClient> {
    const { target } = options;
    const base = { host: target.host, port: target.port, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) };
    const socket =
      target.ca === undefined ? connectTcp({ ...base, noDelay: true }) : connectTls({ ...base, ca: target.ca, servername: 'localhost' });
    socket.setNoDelay(true);
    const client = new RawClient(socket, options);
    return new Promise<RawClient>((resolve, reject) => {
      let waiting = options.subscribe === undefined ? 1 : 2;
      const settle = (): void => {
        waiting -= 1;
        if (waiting === 0) {
          client.#fail = undefined;
          resolve(client);
        }
      };
      client.#connack = settle;
      client.#suback = settle;
      client.#fail = (error) => {
        client.#fail = undefined;
        socket.destroy();
        reject(error);
      };
      socket.once(target.ca === undefined ? 'connect' : 'secureConnect', () => {
        socket.cork();
        socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: options.clientId, clean: options.clean, keepalive: 0 }));
        if (options.subscribe !== undefined) {
          socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: options.subscribe.filter, qos: options.subscribe.qos }] }));
        }
        socket.uncork();
      });
    });
  }

  write(buffer: Buffer): boolean {
    return this.socket.write(buffer);
  }

  /** Sends DISCONNECT and waits (at most `timeoutMs`) for the socket to close. */
  close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end(DISCONNECT);
    });
  }

  #onData(chunk: Buffer): void {
    let buffer = chunk;
    if (this.#rest !== undefined) {
      buffer = Buffer.concat([this.#rest, chunk]);
      this.#rest = undefined;
    }
    let offset = 0;
    const length = buffer.length;
    while (offset + 2 <= length) {
      const header = buffer[offset]!;
      let remaining = 0;
      let multiplier = 1;
      let cursor = offset + 1;
      let complete = false;
      while (cursor < length && cursor < offset + 5) {
        const byte = buffer[cursor++]!;
        remaining += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || cursor + remaining > length) break;
      this.#onPacket(header, buffer, cursor, cursor + remaining);
      offset = cursor + remaining;
    }
    if (offset < length) this.#rest = buffer.subarray(offset);
    if (this.#acks.length > 0) {
      this.socket.write(this.#acks.length === 1 ? this.#acks[0]! : Buffer.concat(this.#acks));
      this.#acks = [];
    }
  }

  #onPacket(header: number, buffer: Buffer, start: number, end: number): void {
    switch (header >> 4) {
      case 3: {
        const qos = (header >> 1) & 3;
        const topicLength = buffer.readUInt16BE(start);
        let payloadStart = start + 2 + topicLength;
        if (qos > 0) {
          this.#acks.push(Buffer.from([0x40, 0x02, buffer[payloadStart]!, buffer[payloadStart + 1]!]));
          payloadStart += 2;
        }
        this.#options.onPublish?.(buffer, payloadStart, end);
        return;
      }
      case 4:
        this.#options.onPuback?.();
        return;
      case 2: {
        const code = buffer[start + 1];
        if (code !== 0) this.#fail?.(new Error(`CONNACK for ${this.#options.clientId} returned ${String(code)}`));
        else this.#connack?.();
        return;
      }
      case 9: {
        const code = buffer[start + 2];
        if (code === 0x80) this.#fail?.(new Error(`SUBACK for ${this.#options.clientId} refused ${this.#options.subscribe?.filter ?? ''}`));
        else this.#suback?.();
        return;
      }
      default:
        return;
    }
  }
}

/** Fixed parts of one publisher's PUBLISH packets; `fill` writes one into a batch buffer. */
export class PublishTemplate {
  readonly size: number;
  readonly #head: Buffer;
  readonly #qos: number;
  readonly #payloadSize: number;

  constructor(topic: string, options: { qos: 0 | 1; retain: boolean; payloadSize: number }) {
    const topicBytes = Buffer.from(topic);
    const remaining = 2 + topicBytes.length + (options.qos > 0 ? 2 : 0) + options.payloadSize;
    const lengthBytes: number[] = [];
    let value = remaining;
    do {
      let byte = value % 128;
      value = Math.floor(value / 128);
      if (value > 0) byte |= 0x80;
      lengthBytes.push(byte);
    } while (value > 0);
    this.#head = Buffer.concat([Buffer.from([0x30 | (options.qos << 1) | (options.retain ? 1 : 0), ...lengthBytes]), Buffer.from([topicBytes.length >> 8, topicBytes.length & 0xff]), topicBytes]);
    this.#qos = options.qos;
    this.#payloadSize = options.payloadSize;
    this.size = 1 + lengthBytes.length + remaining;
  }

  /**
   * Writes one PUBLISH at `offset`. The payload starts with the send time (float64 ms since the
   * epoch, sub-ms resolution from performance.timeOrigin + performance.now()) and the sending
   * worker's index (uint16), then zeros.
   */
  fill(target: Buffer, offset: number, packetId: number, sentAt: number, worker: number): number {
    this.#head.copy(target, offset);
    let cursor = offset + this.#head.length;
    if (this.#qos > 0) {
      target.writeUInt16BE(packetId, cursor);
      cursor += 2;
    }
    target.writeDoubleLE(sentAt, cursor);
    target.writeUInt16LE(worker, cursor + 8);
    target.fill(0, cursor + 10, cursor + this.#payloadSize);
    return cursor + this.#payloadSize;
  }
}
