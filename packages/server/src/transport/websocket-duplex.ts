/** A WebSocket seen as a byte stream: binary frames in and out, with backpressure both ways. */
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * Wraps an open WebSocket as a Duplex of MQTT bytes. Reading pauses the WebSocket when the
 * consumer stops reading; a write completes when ws has handed the frame to the socket, so a
 * writer that waits for `drain` is throttled by the real connection.
 *
 * @example
 * wss.handleUpgrade(req, socket, head, (ws) => broker.accept(new WebSocketDuplex(ws), peer));
 */
export class WebSocketDuplex extends Duplex {
  readonly #ws: WebSocket;

  constructor(ws: WebSocket) {
    super({ allowHalfOpen: false });
    this.#ws = ws;
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (!isBinary) {
        // [MQTT-6.0.0-1] A text frame is a protocol violation: close the connection.
        ws.close(1003, 'MQTT over WebSocket uses binary frames');
        this.destroy();
        return;
      }
      if (!this.push(toBuffer(data))) ws.pause();
    });
    ws.on('close', () => {
      this.push(null);
      this.destroy();
    });
    ws.on('error', (error) => this.destroy(error));
  }

  override _read(): void {
    this.#ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState !== this.#ws.OPEN) {
      callback(new Error('WebSocket is not open'));
      return;
    }
    this.#ws.send(chunk, { binary: true }, (error) => callback(error ?? null));
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState !== this.#ws.OPEN) {
      callback(new Error('WebSocket is not open'));
      return;
    }
    // One frame for a corked batch: MQTT over WebSocket may carry several packets in a frame.
    this.#ws.send(Buffer.concat(chunks.map((c) => c.chunk)), { binary: true }, (error) => callback(error ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#ws.close(1000);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const ws = this.#ws;
    if (error !== null || ws.readyState === ws.CONNECTING) ws.terminate();
    // A graceful close sends what is queued, then the close frame; ws ends the socket if the peer stays silent.
    else if (ws.readyState === ws.OPEN) ws.close(1000);
    callback(error);
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
