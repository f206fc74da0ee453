/** `gatehouse-agent sub`: print what arrives on a filter, one line each, until a signal or `--count`. */
import type { AgentIdentity } from './agent-files.ts';
import { CliError } from './cli-error.ts';
import { connectOneShot, type ConnectFlags } from './connect-agent.ts';
import { topicOf } from './publish-message.ts';
import type { AgentMessage, AgentOptions } from '../index.ts';

export interface SubscribeFlags extends ConnectFlags {
  readonly topic: boolean;
  /** Exit after this many messages. */
  readonly count?: number;
}

/**
 * Subscribes and calls `print` for each message; says "subscribed" on `notice` once the server
 * granted it (scripts wait for that before publishing). Resolves after `count` messages or when
 * `stop` aborts; rejects when the subscription is refused.
 *
 * @example
 * await subscribeMessages(identity, 'commands/#', { topic: false }, process.env, { print: (m) => console.log(m.topic, m.text()), notice: console.error, stop: signal });
 */
export async function subscribeMessages(
  identity: AgentIdentity,
  target: string,
  flags: SubscribeFlags,
  env: NonNullable<AgentOptions['env']>,
  io: { print: (message: AgentMessage) => void; notice: (line: string) => void; stop: AbortSignal },
): Promise<void> {
  const filter = topicOf(target, flags, identity);
  const { agent, close } = await connectOneShot(identity, flags, env);
  try {
    await new Promise<void>((resolve, reject) => {
      let received = 0;
      const finish = (error?: Error): void => {
        io.stop.removeEventListener('abort', onAbort);
        agent.off('error', onError);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => finish();
      // The SDK reports a refused SUBACK (and handler failures) on 'error'.
      const onError = (error: Error): void => finish(new CliError(`Cannot subscribe to "${filter}": ${error.message}`, { cause: error }));
      io.stop.addEventListener('abort', onAbort, { once: true });
      agent.on('error', onError);
      agent.subscribeTopic(filter, (message) => {
        if (flags.count !== undefined && received >= flags.count) return;
        received++;
        io.print(message);
        if (flags.count !== undefined && received >= flags.count) finish();
      }).then(
        () => io.notice(`subscribed to ${filter}`),
        (error: unknown) => finish(new CliError(`Cannot subscribe to "${filter}": ${(error as Error).message}`, { cause: error })),
      );
    });
  } finally {
    await close();
  }
}
