/**
 * `gatehouse-agent run`: stay connected with the agent's persistent session and offline queue, and
 * say on stdout each time the connection comes, goes or is retried, with the endpoint and the cause.
 */
import { join } from 'node:path';
import { createAgent, type Agent, type AgentOptions } from '../index.ts';
import type { AgentIdentity } from './agent-files.ts';
import { CliError } from './cli-error.ts';
import { agentOptions, type ConnectFlags } from './connect-agent.ts';

/** Where the status lines go; stdout and stderr in the CLI. */
export interface StatusOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/**
 * Starts the agent and reports its events as lines (`<ISO time> connected mqtts://...`); resolves
 * with the agent, which the caller closes on a signal.
 *
 * @example
 * const agent = await runAgent(identity, {}, process.env, { out: console.log, err: console.error });
 * process.once('SIGTERM', () => void agent.close());
 */
export async function runAgent(identity: AgentIdentity, flags: ConnectFlags, env: NonNullable<AgentOptions['env']>, output: StatusOutput): Promise<Agent> {
  let agent: Agent;
  try {
    agent = await createAgent(agentOptions(identity, flags, { queueDirectory: join(identity.dir, 'queue') }, env));
  } catch (error) {
    throw error instanceof TypeError || error instanceof RangeError ? new CliError(error.message) : error;
  }
  const line = (text: string): string => `${new Date().toISOString()} ${text}`;
  output.out(line(`starting thing=${identity.config.thingName} client=${agent.options.clientId} endpoints=${agent.options.endpointNames.join(',')}`));
  agent.on('connected', ({ endpoint, sessionPresent }) => {
    output.out(line(`connected ${endpoint} (${sessionPresent ? 'session resumed' : 'new session'}${agent.queued > 0 ? `, ${agent.queued} queued to send` : ''})`));
  });
  agent.on('offline', ({ endpoint, error }) => {
    output.out(line(`offline ${endpoint}: ${error?.message ?? 'connection closed'}`));
  });
  agent.on('reconnecting', ({ endpoint, failedEndpoint, error, delayMs, attempt }) => {
    output.out(line(`reconnecting ${endpoint} in ${delayMs} ms (attempt ${attempt}; ${failedEndpoint}: ${error?.message ?? 'connection closed'})`));
  });
  agent.on('clockSkew', ({ message }) => output.err(line(`warning ${message}`)));
  agent.on('error', (error) => output.err(line(`error ${error.message}`)));
  return agent;
}
