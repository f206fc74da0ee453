/**
 * An agent made from the files `register` wrote, for `run` (its persistent session and queue) and
 * for the one-shot commands `pub`, `sub` and `shadow` (a session of their own that ends with them).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, type Agent, type AgentOptions } from '../index.ts';

type ProxyEnvironment = NonNullable<AgentOptions['env']>;
import type { AgentIdentity } from './agent-files.ts';
import { CliError } from './cli-error.ts';

/** Flags every connecting command takes. */
export interface ConnectFlags {
  /** Overrides config.json's endpoints (repeatable). */
  readonly endpoint?: string[];
  readonly clientId?: string;
  /** Give up connecting after this many seconds. */
  readonly timeout?: number;
}

/** The SDK's options for an agent from `identity`; `overrides` win. */
export function agentOptions(identity: AgentIdentity, flags: ConnectFlags, overrides: Partial<AgentOptions> & Pick<AgentOptions, 'queueDirectory'>, env: ProxyEnvironment): AgentOptions {
  const { config } = identity;
  return {
    endpoints: flags.endpoint !== undefined && flags.endpoint.length > 0 ? flags.endpoint : config.endpoints,
    customer: config.customer,
    device: config.thingName,
    tls: { cert: identity.certificatePem, key: identity.keyPem, ca: identity.caPem },
    env,
    ...(flags.clientId === undefined ? {} : { clientId: flags.clientId }),
    ...overrides,
  };
}

/** A connected one-shot agent and how to end it. */
export interface OneShotAgent {
  readonly agent: Agent;
  /** Disconnects and removes the temporary queue. */
  close(): Promise<void>;
}

/**
 * Connects a short-lived agent: client id `<thing>-cli` unless `--client-id` (so it does not take over
 * the session of a running `gatehouse-agent run`), a session that ends at disconnect, and a temporary
 * queue. Resolves once connected; rejects with the last failure after `--timeout` seconds (default 20).
 *
 * @example
 * const { agent, close } = await connectOneShot(identity, flags, process.env);
 * try { await agent.publish('hello', 'hi'); } finally { await close(); }
 */
export async function connectOneShot(identity: AgentIdentity, flags: ConnectFlags, env: ProxyEnvironment): Promise<OneShotAgent> {
  const scratch = await mkdtemp(join(tmpdir(), 'gatehouse-agent-'));
  let agent: Agent;
  try {
    agent = await createAgent(agentOptions(identity, flags, {
      clientId: flags.clientId ?? `${identity.config.thingName}-cli`,
      queueDirectory: join(scratch, 'queue'),
      sessionExpirySeconds: 0,
      backoff: { initialDelayMs: 500, maxDelayMs: 5000 },
    }, env));
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error instanceof TypeError || error instanceof RangeError ? new CliError(error.message) : error;
  }
  const close = async (): Promise<void> => {
    await agent.close();
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    await waitConnected(agent, (flags.timeout ?? 20) * 1000);
  } catch (error) {
    await close();
    throw error;
  }
  return { agent, close };
}

/** Resolves on the agent's first `connected`; after `timeoutMs` rejects with the last attempt's error. */
function waitConnected(agent: Agent, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let last: string | undefined;
    const onReconnecting = ({ failedEndpoint, error }: { failedEndpoint: string; error: Error | undefined }): void => {
      last = `${failedEndpoint}: ${error?.message ?? 'connection failed'}`;
    };
    const onConnected = (): void => {
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new CliError(`Cannot connect within ${timeoutMs / 1000} s${last === undefined ? '' : ` (last failure ${last})`}; \`gatehouse-agent diagnose\` checks each step`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      agent.off('connected', onConnected);
      agent.off('reconnecting', onReconnecting);
    };
    agent.on('connected', onConnected);
    agent.on('reconnecting', onReconnecting);
  });
}
