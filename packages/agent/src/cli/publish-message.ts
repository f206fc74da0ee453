/** `gatehouse-agent pub`: one message on the agent's own subject or on a whole topic, then exit. */
import type { AgentIdentity } from './agent-files.ts';
import { CliError } from './cli-error.ts';
import { connectOneShot, type ConnectFlags } from './connect-agent.ts';
import type { AgentOptions } from '../index.ts';

export interface PublishFlags extends ConnectFlags {
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** The argument is a whole topic, not a subject. */
  readonly topic: boolean;
}

/**
 * The topic a `pub`/`sub` argument names: a whole topic with `--topic` or when it starts with `$`
 * (`$aws/...`), else the agent's own `{customer}/{device}/{subject}`.
 *
 * @example
 * topicOf('telemetry', { topic: false }, identity); // 'acme/pump-7/telemetry'
 */
export function topicOf(argument: string, flags: { readonly topic: boolean }, identity: AgentIdentity): string {
  if (flags.topic || argument.startsWith('$')) return argument;
  return `${identity.config.customer}/${identity.config.thingName}/${argument}`;
}

/**
 * Connects, publishes and waits for the acknowledgement (QoS 1 and 2); resolves with the topic.
 *
 * @example
 * await publishMessage(identity, 'telemetry', '{"rpm":1200}', { qos: 1, retain: false, topic: false }, process.env);
 */
export async function publishMessage(identity: AgentIdentity, target: string, message: string, flags: PublishFlags, env: NonNullable<AgentOptions['env']>): Promise<string> {
  const topic = topicOf(target, flags, identity);
  const { agent, close } = await connectOneShot(identity, flags, env);
  try {
    await agent.publishTopic(topic, message, { qos: flags.qos, retain: flags.retain });
    // The SDK queues what it cannot send at once; a one-shot command must not leave it behind.
    if (agent.queued > 0) throw new CliError(`Cannot publish to "${topic}": the connection was lost before it was sent`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`Cannot publish to "${topic}": ${(error as Error).message}`, { cause: error });
  } finally {
    await close();
  }
  return topic;
}
