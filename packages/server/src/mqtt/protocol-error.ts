/** The error a packet handler throws; the dispatcher turns it into CONNACK/DISCONNECT and a close. */
import { reasonCodeName } from './reason-codes.js';

/**
 * A violation by the client. `reasonCode` is what an MQTT 5 client is told; `message` goes to logs and,
 * when the client asked for problem information, into the Reason String.
 *
 * @example
 * throw new ProtocolError(ReasonCode.TopicAliasInvalid, 'Topic alias 9 exceeds the maximum of 8'); // [MQTT-3.3.2-9]
 */
export class ProtocolError extends Error {
  readonly reasonCode: number;

  constructor(reasonCode: number, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.reasonCode = reasonCode;
  }

  get reasonName(): string {
    return reasonCodeName(this.reasonCode);
  }
}
