/** A message as the agent's handlers receive it. */

/** One received PUBLISH. */
export interface AgentMessage {
  readonly topic: string;
  /** The part after `{customer}/{device}/` when the topic is the agent's own, else undefined. */
  readonly subject: string | undefined;
  readonly payload: Buffer;
  readonly retain: boolean;
  /** The MQTT 5 properties a handler may need (absent on 3.1.1). */
  readonly properties: MessageProperties;
  /** The payload as UTF-8 text. */
  text(): string;
  /** The payload parsed as JSON; throws a SyntaxError naming the topic when it is not JSON. */
  json<T = unknown>(): T;
}

/** The MQTT 5 PUBLISH properties passed on to handlers. */
export interface MessageProperties {
  readonly responseTopic?: string;
  readonly correlationData?: Buffer;
  readonly contentType?: string;
  readonly userProperties?: Readonly<Record<string, string | string[]>>;
}

/** Called for each message on a subscription. */
export type MessageHandler = (message: AgentMessage) => void | Promise<void>;

/**
 * Wraps a received payload.
 *
 * @example
 * const message = toAgentMessage('acme/pump-7/config', Buffer.from('{"rate":5}'), true, 'acme/pump-7/');
 * message.json(); // { rate: 5 }
 */
export function toAgentMessage(topic: string, payload: Buffer, retain: boolean, ownPrefix: string, properties: MessageProperties = {}): AgentMessage {
  return {
    topic,
    subject: topic.startsWith(ownPrefix) ? topic.slice(ownPrefix.length) : undefined,
    payload,
    retain,
    properties,
    text: () => payload.toString('utf8'),
    json: <T>() => {
      try {
        return JSON.parse(payload.toString('utf8')) as T;
      } catch (error) {
        throw new SyntaxError(`The message on "${topic}" is not JSON: ${(error as Error).message}`);
      }
    },
  };
}
