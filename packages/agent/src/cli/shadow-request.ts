/**
 * `gatehouse-agent shadow get|update`: one request on the AWS shadow topics of the agent's thing,
 * answered from `accepted` or `rejected` with the same client token.
 */
import { randomUUID } from 'node:crypto';
import { shadowTopic, type ShadowOperation } from '@gatehouse/protocol';
import type { AgentOptions } from '../index.ts';
import type { AgentIdentity } from './agent-files.ts';
import { CliError } from './cli-error.ts';
import { connectOneShot, type ConnectFlags } from './connect-agent.ts';

export interface ShadowFlags extends ConnectFlags {
  /** A named shadow; the classic one when absent. */
  readonly name?: string;
  /** `update` only: the shadow's `state` (`{"reported": {...}}`, `{"desired": {...}}`) as JSON. */
  readonly state?: string;
}

/**
 * Sends `get` or `update` and resolves with the accepted answer (the whole document); a rejection
 * becomes a CliError with the service's code and message.
 *
 * @example
 * const document = await shadowRequest(identity, 'update', { state: '{"reported":{"firmware":"1.4.2"}}' }, process.env);
 */
export async function shadowRequest(identity: AgentIdentity, operation: Extract<ShadowOperation, 'get' | 'update'>, flags: ShadowFlags, env: NonNullable<AgentOptions['env']>): Promise<unknown> {
  const thing = identity.config.thingName;
  const clientToken = randomUUID();
  const request = { ...(operation === 'update' ? { state: parseState(flags.state) } : {}), clientToken };
  const what = `${operation} shadow${flags.name === undefined ? '' : ` "${flags.name}"`} of "${thing}"`;
  const { agent, close } = await connectOneShot(identity, flags, env);
  try {
    type Answer = { reply: 'accepted' | 'rejected'; body: Record<string, unknown> };
    let resolve: (answer: Answer) => void = () => undefined;
    const answer = new Promise<Answer>((settle) => {
      resolve = settle;
    });
    // Both subscriptions are granted before the request goes out (online, the SDK awaits each SUBACK).
    await Promise.all((['accepted', 'rejected'] as const).map((reply) =>
      agent.subscribeTopic(shadowTopic(thing, flags.name, operation, reply), (message) => {
        let body: Record<string, unknown>;
        try {
          body = message.json() as Record<string, unknown>;
        } catch {
          return;
        }
        // Another client's request on the same shadow is answered on the same topic.
        if (body['clientToken'] === clientToken) resolve({ reply, body });
      }),
    ));
    await agent.publishTopic(shadowTopic(thing, flags.name, operation), JSON.stringify(request), { qos: 1 });
    const { reply, body } = await withTimeout(answer, (flags.timeout ?? 20) * 1000, `Cannot ${what}: no answer`);
    if (reply === 'rejected') throw new CliError(`Cannot ${what}: ${String(body['message'] ?? 'rejected')} (${String(body['code'] ?? '?')})`);
    const { clientToken: _token, ...document } = body;
    return document;
  } finally {
    await close();
  }
}

function parseState(text: string | undefined): Record<string, unknown> {
  if (text === undefined) throw new CliError('Cannot update the shadow: give --state \'{"reported": {...}}\'');
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw new CliError(`Cannot update the shadow: --state is not JSON (${(error as Error).message})`);
  }
  if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new CliError('Cannot update the shadow: --state must be a JSON object such as {"reported": {"firmware": "1.4.2"}}');
  return state as Record<string, unknown>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new CliError(`${message} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
