/**
 * The packet codec: `mqtt-packet` behind one module, with the bounds the library leaves to us
 * (maximum packet size, checked as soon as the fixed header is read, before the body is buffered).
 */
import { isUtf8 } from 'node:buffer';
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import { ProtocolError } from './protocol-error.js';
import { ReasonCode } from './reason-codes.js';

export type {
  Packet,
  IConnectPacket as ConnectPacket,
  IConnackPacket as ConnackPacket,
  IPublishPacket as PublishPacket,
  IPubackPacket as PubackPacket,
  IPubrecPacket as PubrecPacket,
  IPubrelPacket as PubrelPacket,
  IPubcompPacket as PubcompPacket,
  ISubscribePacket as SubscribePacket,
  ISubackPacket as SubackPacket,
  IUnsubscribePacket as UnsubscribePacket,
  IUnsubackPacket as UnsubackPacket,
  IDisconnectPacket as DisconnectPacket,
  IAuthPacket as AuthPacket,
  ISubscription as Subscription,
} from 'mqtt-packet';

export type ProtocolVersion = 3 | 4 | 5;

interface ParserInternals {
  _stateCounter: number;
  packet: { length: number };
  _pos: number;
  _list: { slice(start: number, end: number): Buffer };
  _parseString(): string | null;
  _emitError(error: Error): void;
}

/** Bytes a Variable Byte Integer takes (spec 1.5.5). */
export function varIntSize(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

/**
 * Reads packets from a byte stream. Calls `onPacket` synchronously for each complete packet and
 * `onError` once with a ProtocolError for the first malformed or oversized one; nothing after it.
 */
export class PacketReader {
  readonly #parser: ReturnType<typeof mqttPacket.parser>;
  readonly #maxPacketSize: number;
  #failed = false;
  readonly #onError: (error: ProtocolError) => void;

  constructor(
    maxPacketSize: number,
    onPacket: (packet: Packet) => void,
    onError: (error: ProtocolError) => void,
  ) {
    this.#maxPacketSize = maxPacketSize;
    this.#onError = onError;
    this.#parser = mqttPacket.parser();
    checkStrings(this.#parser as unknown as ParserInternals);
    this.#parser.on('packet', (packet: Packet) => {
      if (this.#failed) return;
      // A packet that arrived whole within one chunk never left the parser waiting at its header.
      const error = this.#checkSize(packet.length ?? 0) ?? checkPacket(packet);
      if (error === undefined) onPacket(packet);
      else {
        this.#failed = true;
        onError(error);
      }
    });
    this.#parser.on('error', (error: Error) => {
      if (this.#failed) return;
      this.#failed = true;
      onError(toProtocolError(error));
    });
  }

  push(chunk: Buffer): void {
    if (this.#failed) return;
    this.#parser.parse(chunk);
    // The library buffers a whole body before parsing it; refuse oversized ones at the header.
    const internals = this.#parser as unknown as ParserInternals;
    if (internals._stateCounter === 2 && !this.#failed) {
      const error = this.#checkSize(internals.packet.length);
      if (error !== undefined) {
        this.#failed = true;
        this.#onError(error);
      }
    }
  }

  #checkSize(length: number): ProtocolError | undefined {
    if (1 + varIntSize(length) + length <= this.#maxPacketSize) return undefined;
    // [MQTT-3.2.2-15] a packet larger than the Maximum Packet Size is a protocol error
    return new ProtocolError(ReasonCode.PacketTooLarge, `Packet of ${length} bytes exceeds the maximum packet size of ${this.#maxPacketSize} bytes`);
  }

  get failed(): boolean {
    return this.#failed;
  }
}

/**
 * mqtt-packet decodes strings leniently; the spec makes ill-formed UTF-8 and U+0000 malformed. The
 * decoded string shows both cheaply (U+FFFD, U+0000), so raw bytes are only re-read when U+FFFD appears.
 */
function checkStrings(parser: ParserInternals): void {
  const parseString = parser._parseString;
  parser._parseString = function checkedParseString(this: ParserInternals): string | null {
    const start = this._pos + 2;
    const result = parseString.call(this);
    if (result === null) return result;
    if (result.includes('\u0000')) {
      // [MQTT-1.5.4-2] a UTF-8 string must not contain U+0000
      this._emitError(new Error('String contains the null character U+0000'));
    } else if (result.includes('\ufffd') && !isUtf8(this._list.slice(start, this._pos))) {
      // [MQTT-1.5.4-1] ill-formed UTF-8 makes the packet malformed
      this._emitError(new Error('String is not well-formed UTF-8'));
    }
    return result;
  };
}

/** Rules mqtt-packet leaves to us that need the whole packet. */
function checkPacket(packet: Packet): ProtocolError | undefined {
  switch (packet.cmd) {
    case 'publish':
      // [MQTT-2.2.1-3] (3.1.1: [MQTT-2.3.1-1]) QoS 1/2 PUBLISH, SUBSCRIBE and UNSUBSCRIBE need a non-zero packet id
      if (packet.qos > 0 && !packet.messageId) return new ProtocolError(ReasonCode.ProtocolError, 'PUBLISH with QoS > 0 needs a non-zero packet identifier');
      return checkProperties(packet.properties);
    case 'subscribe':
    case 'unsubscribe':
      if (!packet.messageId) return new ProtocolError(ReasonCode.ProtocolError, `${packet.cmd.toUpperCase()} needs a non-zero packet identifier`);
      return checkProperties(packet.properties);
    case 'connect':
      return checkProperties(packet.properties) ?? checkProperties(packet.will?.properties);
    default:
      return 'properties' in packet ? checkProperties(packet.properties) : undefined;
  }
}

/** 2.2.2.2: every property but User Property may appear once; mqtt-packet turns repeats into arrays. */
function checkProperties(properties: object | undefined): ProtocolError | undefined {
  if (properties === undefined) return undefined;
  for (const name in properties) {
    if (Array.isArray((properties as Record<string, unknown>)[name])) return new ProtocolError(ReasonCode.ProtocolError, `Property ${name} appears more than once`);
  }
  return undefined;
}

function toProtocolError(error: Error): ProtocolError {
  const message = error.message;
  if (message === 'Invalid protocol version' || message === 'Invalid protocolId') {
    // [MQTT-3.1.2-1] [MQTT-3.1.2-2]
    return new ProtocolError(ReasonCode.UnsupportedProtocolVersion, message);
  }
  return new ProtocolError(ReasonCode.MalformedPacket, `Malformed packet: ${message}`);
}

/** Encodes one packet for a connection of the given protocol version. */
export function encodePacket(packet: Packet, protocolVersion: ProtocolVersion): Buffer {
  return mqttPacket.generate(packet, { protocolVersion });
}
