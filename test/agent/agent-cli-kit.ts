/** Helpers for the `gatehouse-agent` CLI tests: run it as a real child process, mint tokens. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TestGatehouse } from '../helpers/index.ts';
import { requestJson } from '../identity/onboarding-kit.ts';

const bin = fileURLToPath(new URL('../../packages/agent/bin/gatehouse-agent.js', import.meta.url));

export interface AgentCliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without HTTPS_PROXY, NO_PROXY or GATEHOUSE_AGENT_DIR from the machine running the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  const skip = /^(https?_proxy|no_proxy|gatehouse_agent_dir)$/i;
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !skip.test(name)));
}

/** Runs `gatehouse-agent ...args` to its end (20 s at most). */
export async function agentCli(...args: string[]): Promise<AgentCliRun> {
  const child = startAgentCli(...args);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited(child);
  clearTimeout(timer);
  return { code, stdout: child.output.stdout, stderr: child.output.stderr };
}

/**
 * Resolves with the exit code once the process exited and its stdout ended. Not 'close': tsx's
 * esbuild service inherits the CLI's stderr and may hold it open for seconds after the CLI exited.
 */
export async function exited(child: AgentCliProcess, timeoutMs = 20_000): Promise<number | null> {
  const signal = AbortSignal.timeout(timeoutMs);
  const stdoutEnded = child.stdout.readableEnded ? Promise.resolve() : once(child.stdout, 'end', { signal });
  const [code] = (child.exitCode !== null ? [child.exitCode] : await once(child, 'exit', { signal })) as [number | null];
  await stdoutEnded;
  // What the CLI wrote to stderr before exiting is in the pipe already; let it be read.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return code;
}

/** A running `gatehouse-agent` and what it printed so far. */
export type AgentCliProcess = ChildProcessWithoutNullStreams & { readonly output: { stdout: string; stderr: string } };

/** Starts `gatehouse-agent ...args` and collects its output; the caller ends it. */
export function startAgentCli(...args: string[]): AgentCliProcess {
  const child = spawn(process.execPath, [bin, ...args], { env: cleanEnv() });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => void (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (output.stderr += chunk.toString()));
  return Object.assign(child, { output });
}

/** A registration token for `thing` from the admin API, as the backend mints one. */
export async function mintToken(gh: TestGatehouse, thing: string): Promise<string> {
  const minted = await requestJson(`${gh.urls.admin}/v1/tokens`, { headers: { authorization: `Bearer ${gh.adminKey}` }, body: { thing } });
  if (minted.status !== 201) throw new Error(`Cannot mint a token for "${thing}": ${minted.status} ${JSON.stringify(minted.body)}`);
  return String(minted.body['token']);
}
