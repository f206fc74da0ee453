/**
 * Reads packets from a byte stream: frames them by their fixed header, refuses oversized ones before
 * their body is buffered, decodes PUBLISH and the acknowledgements on a fast path (fast-decode.ts)
 * and everything else — and anything unusual — with `mqtt-packet` (codec.ts).
 */
import { createLibraryParser, type Packet } from './codec.js';
import { decodePublish, decodeShortAck } from './fast-decode.js';
import { ProtocolError } from './protocol-error.js';
import { ReasonCode } from './reason-codes.js';

const PINGREQ: Packet = Object.freeze({ cmd: 'pingreq', length: 0 }) as Packet;

/**
 * Calls `onPacket` synchronously for each complete packet and `onError` once with a ProtocolError for
 * the first malformed or oversized one; nothing after it.
 *
 * @example
 * const reader = new PacketReader(256 * 1024, (packet) => dispatch(packet), (error) => close(error));
 * socket.on('data', (chunk) => reader.push(chunk));
 */
export class PacketReader {
  readonly #maxPacketSize: number;
  readonly #onPacket: (packet: Packet) => void;
  readonly #onError: (error: ProtocolError) => void;
  readonly #parser: ReturnType<typeof createLibraryParser>;
  /** Protocol version from CONNECT; 0 until then (everything goes to the library parser). */
  #version: 0 | 3 | 4 | 5 = 0;
  #failed = false;
  /** Bytes of an incomplete frame, kept as chunks until `#needed` of them have arrived. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #needed = 0;

  constructor(maxPacketSize: number, onPacket: (packet: Packet) => void, onError: (error: ProtocolError) => void) {
    this.#maxPacketSize = maxPacketSize;
    this.#onPacket = onPacket;
    this.#onError = onError;
    this.#parser = createLibraryParser(
      (packet) => {
        if (this.#failed) return;
        if (packet.cmd === 'connect') this.#version = packet.protocolVersion ?? 4;
        onPacket(packet);
      },
      (error) => this.#fail(error),
    );
  }

  get failed(): boolean {
    return this.#failed;
  }

  push(chunk: Buffer): void {
    if (this.#failed) return;
    let data = chunk;
    if (this.#pendingBytes > 0) {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      if (this.#pendingBytes < this.#needed) return;
      data = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    const size = data.length;
    let offset = 0;
    while (offset < size && !this.#failed) {
      // Fixed header: one byte, then the Remaining Length in 1 to 4 bytes (1.5.5).
      let length = 0;
      let multiplier = 1;
      let position = offset + 1;
      let lengthComplete = false;
      for (let i = 0; i < 4 && position < size; i++) {
        const byte = data[position++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          lengthComplete = true;
          break;
        }
      }
      if (!lengthComplete) {
        if (position - offset > 4) {
          // A fifth length byte: let the library report the malformed Variable Byte Integer.
          this.#parser.parse(data.subarray(offset));
          if (!this.#failed) this.#fail(new ProtocolError(ReasonCode.MalformedPacket, 'Malformed packet: Invalid variable byte integer'));
          return;
        }
        this.#keep(data.subarray(offset), 0);
        return;
      }
      const end = position + length;
      if (end - offset > this.#maxPacketSize) {
        // [MQTT-3.2.2-15] a packet larger than the Maximum Packet Size is a protocol error
        this.#fail(new ProtocolError(ReasonCode.PacketTooLarge, `Packet of ${length} bytes exceeds the maximum packet size of ${this.#maxPacketSize} bytes`));
        return;
      }
      if (end > size) {
        this.#keep(data.subarray(offset), end - offset);
        return;
      }
      this.#frame(data, offset, position, end, length);
      offset = end;
    }
  }

  /** Keeps the start of a frame; `needed` is its whole size when known, 0 while the header is incomplete. */
  #keep(bytes: Buffer, needed: number): void {
    this.#pending = [bytes];
    this.#pendingBytes = bytes.length;
    this.#needed = needed === 0 ? bytes.length + 1 : needed;
  }

  #frame(data: Buffer, start: number, bodyStart: number, end: number, length: number): void {
    const version = this.#version;
    if (version !== 0) {
      const header = data[start]!;
      const type = header >> 4;
      let packet: Packet | undefined;
      if (type === 3) packet = decodePublish(header, data.subarray(bodyStart, end), length, version);
      else if (type >= 4 && type <= 7) packet = decodeShortAck(header, data.subarray(bodyStart, end), version);
      else if (header === 0xc0 && length === 0) packet = PINGREQ;
      if (packet !== undefined) {
        this.#onPacket(packet);
        return;
      }
    }
    this.#parser.parse(data.subarray(start, end));
  }

  #fail(error: ProtocolError): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#onError(error);
  }
}
