/**
 * The packet codec: `mqtt-packet` behind one module, with the bounds the library leaves to us
 * (maximum packet size, checked as soon as the fixed header is read, before the body is buffered).
 */
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
    this.#parser.on('packet', (packet: Packet) => {
      if (!this.#failed) onPacket(packet);
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
      const length = internals.packet.length;
      if (1 + varIntSize(length) + length > this.#maxPacketSize) {
        this.#failed = true;
        // [MQTT-3.2.2-15] a packet larger than the Maximum Packet Size is a protocol error
        this.#onError(new ProtocolError(ReasonCode.PacketTooLarge, `Packet of ${length} bytes exceeds the maximum packet size of ${this.#maxPacketSize} bytes`));
      }
    }
  }

  get failed(): boolean {
    return this.#failed;
  }
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
