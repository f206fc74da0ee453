/**
 * The packet codec: `mqtt-packet` behind one module, with the checks the library leaves to us.
 * Framing, the maximum packet size and the hot-path decoders live in packet-reader.ts.
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
 * The library parser with the checks `mqtt-packet` leaves to us: well-formed UTF-8 without U+0000 in
 * every string, non-zero packet ids, no repeated properties. The packet reader feeds it whole frames.
 */
export function createLibraryParser(onPacket: (packet: Packet) => void, onError: (error: ProtocolError) => void): ReturnType<typeof mqttPacket.parser> {
  const parser = mqttPacket.parser();
  checkStrings(parser as unknown as ParserInternals);
  parser.on('packet', (packet: Packet) => {
    const error = checkPacket(packet);
    if (error === undefined) onPacket(packet);
    else onError(error);
  });
  parser.on('error', (error: Error) => onError(toProtocolError(error)));
  return parser;
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

const ACK_TYPES: Readonly<Record<string, number>> = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 };
const PINGRESP = Buffer.from([0xd0, 0x00]);

/** Encodes one packet for a connection of the given protocol version. */
export function encodePacket(packet: Packet, protocolVersion: ProtocolVersion): Buffer {
  switch (packet.cmd) {
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      // The hot path's acknowledgements: success without properties is the 2-byte form in every
      // version (MQTT 5 3.4.2.1: the reason code 0x00 may be left out when there are no properties).
      if (!packet.reasonCode && packet.properties === undefined) {
        const id = packet.messageId ?? 0;
        return Buffer.from([ACK_TYPES[packet.cmd]!, 0x02, id >> 8, id & 0xff]);
      }
      break;
    case 'pingresp':
      return PINGRESP;
    default:
      break;
  }
  return mqttPacket.generate(packet, { protocolVersion });
}
