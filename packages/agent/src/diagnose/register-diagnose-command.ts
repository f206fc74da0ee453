/** `gatehouse-agent diagnose`: runs the diagnosis for the agent's endpoints and prints it for people or as JSON. */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { agentDirectory, readAgentIdentity, type AgentIdentity } from '../cli/agent-files.ts';
import { CliError } from '../cli/cli-error.ts';
import type { DiagnosisReport } from './diagnosis-types.ts';
import { formatDiagnosis } from './format-diagnosis.ts';
import { runDiagnosis } from './run-diagnosis.ts';

interface DiagnoseFlags {
  readonly dir?: string;
  readonly endpoint?: string[];
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
  readonly customer?: string;
  readonly device?: string;
  readonly clientId?: string;
  /** commander's `--no-proxy` sets this to false; `--proxy <url>` to the URL. */
  readonly proxy?: string | false;
  readonly mqttVersion?: 4 | 5;
  readonly timeout?: number;
  readonly json?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * Adds `diagnose` to the `gatehouse-agent` program. It reads the directory `register` wrote (or
 * `--endpoint`, `--cert`, `--key` and `--ca` alone), diagnoses each endpoint in turn, prints the steps
 * (or `--json`) and sets exit code 1 when any step of any endpoint failed.
 *
 * @example
 * registerDiagnoseCommand(program);
 * // $ gatehouse-agent diagnose --dir /etc/pump-agent
 * // $ HTTPS_PROXY=http://user:pw@proxy:3128 gatehouse-agent diagnose --json
 */
export function registerDiagnoseCommand(program: Command): Command {
  return program
    .command('diagnose')
    .description('check, step by step, DNS, the proxy, TCP, TLS, the clock, the certificate, MQTT CONNECT, subscribing and a round trip; print each step\'s cause and what to ask the firewall or proxy admin for; exit 1 when a step fails')
    .option('-d, --dir <dir>', "the agent's directory (default: $GATEHOUSE_AGENT_DIR, else ~/.gatehouse-agent)")
    .option('-e, --endpoint <url>', 'diagnose this endpoint instead of those in config.json (repeatable)', collect)
    .option('--cert <file>', "the agent's certificate (PEM) instead of the directory's")
    .option('--key <file>', "the agent's private key (PEM) instead of the directory's")
    .option('--ca <file>', 'the CA to trust for the server (PEM) instead of the directory\'s')
    .option('--customer <name>', 'first level of its own topics (default: config.json\'s)')
    .option('--device <name>', 'second level of its own topics (default: the thing name)')
    .option('--client-id <id>', 'MQTT client id (default: <device>-diagnose, so a running agent is not disturbed)')
    .option('--proxy <url>', 'use this HTTP proxy (default: HTTPS_PROXY unless NO_PROXY names the host)')
    .option('--no-proxy', 'connect directly even when HTTPS_PROXY is set')
    .option('--mqtt-version <version>', 'MQTT 5 (default) or 4 for 3.1.1', parseVersion)
    .option('--timeout <seconds>', 'bound on each network step (default 10)', parseSeconds)
    .option('--json', 'print the reports as JSON')
    .action(async (flags: DiagnoseFlags) => {
      const reports = await diagnose(flags);
      const ok = reports.every((report) => report.ok);
      if (flags.json === true) process.stdout.write(`${JSON.stringify({ ok, reports }, null, 2)}\n`);
      else process.stdout.write(reports.map(formatDiagnosis).join('\n'));
      if (!ok) process.exitCode = 1;
    });
}

async function diagnose(flags: DiagnoseFlags): Promise<DiagnosisReport[]> {
  const identity = await identityFor(flags);
  const endpoints = flags.endpoint ?? identity?.config.endpoints ?? [];
  if (endpoints.length === 0) throw new CliError('Cannot diagnose: no endpoint (give --endpoint, or --dir with a config.json)');
  const [cert, key, ca] = await Promise.all([
    readFlagFile('--cert', flags.cert, identity?.certificatePem),
    readFlagFile('--key', flags.key, identity?.keyPem),
    readFlagFile('--ca', flags.ca, identity?.caPem),
  ]);
  const customer = flags.customer ?? identity?.config.customer;
  const device = flags.device ?? identity?.config.thingName;
  const reports: DiagnosisReport[] = [];
  for (const endpoint of endpoints) {
    try {
      reports.push(await runDiagnosis({
        endpoint,
        tls: { ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }), ...(ca === undefined ? {} : { ca }) },
        ...(customer === undefined ? {} : { customer }),
        ...(device === undefined ? {} : { device }),
        ...(flags.clientId === undefined ? {} : { clientId: flags.clientId }),
        ...(flags.proxy === undefined ? {} : { proxy: flags.proxy }),
        ...(flags.mqttVersion === undefined ? {} : { protocolVersion: flags.mqttVersion }),
        ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout * 1000 }),
      }));
    } catch (error) {
      if (error instanceof TypeError) throw new CliError(error.message);
      throw error;
    }
  }
  return reports;
}

/**
 * The registered directory's files, or undefined when the flags name everything needed without it
 * (an endpoint, a certificate and a key): diagnose must work before or without `register`.
 */
async function identityFor(flags: DiagnoseFlags): Promise<AgentIdentity | undefined> {
  try {
    return await readAgentIdentity(agentDirectory(flags.dir));
  } catch (error) {
    const standalone = flags.dir === undefined && flags.endpoint !== undefined && flags.cert !== undefined && flags.key !== undefined;
    if (standalone) return undefined;
    throw error;
  }
}

async function readFlagFile(flag: string, path: string | undefined, fallback: string | undefined): Promise<string | undefined> {
  if (path === undefined) return fallback;
  return readFile(path, 'utf8').catch((error: Error) => {
    throw new CliError(`Cannot read ${flag} ${path}: ${error.message}`);
  });
}

function parseVersion(text: string): 4 | 5 {
  if (text === '4' || text === '3.1.1') return 4;
  if (text === '5') return 5;
  throw new InvalidArgumentError('--mqtt-version must be 5 or 4 (3.1.1)');
}

function parseSeconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 1 || value > 600) throw new InvalidArgumentError('--timeout must be a number of seconds from 1 to 600');
  return value;
}
