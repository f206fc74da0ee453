/** The `gatehouse-agent` command line: `register`, `run`, `pub`, `sub`, `shadow` and `diagnose` on the agent SDK. */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, type CommanderError } from 'commander';
import { agentDirectory, readAgentIdentity } from './agent-files.ts';
import { CliError } from './cli-error.ts';
import type { ConnectFlags } from './connect-agent.ts';
import { publishMessage } from './publish-message.ts';
import { registerAgent } from './register-agent.ts';
import { runAgent } from './run-agent.ts';
import { shadowRequest, type ShadowFlags } from './shadow-request.ts';
import { subscribeMessages } from './subscribe-messages.ts';
import { registerDiagnoseCommand } from '../diagnose/index.ts';

interface DirFlags {
  readonly dir?: string;
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * Prints a failure: a CliError as one line with its exit code, anything else with its stack (a bug).
 */
export function reportFailure(error: unknown): void {
  if (error instanceof CliError) {
    err(`Error: ${error.message}`);
    process.exitCode = error.exitCode;
    return;
  }
  err(`Error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function parseInteger(name: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return value;
  };
}

/** The flags every command that connects takes. */
function withConnectFlags(command: Command): Command {
  return command
    .option('-d, --dir <dir>', "the agent's directory (default: $GATEHOUSE_AGENT_DIR, else ~/.gatehouse-agent)")
    .option('-e, --endpoint <url>', 'connect here instead of the endpoints in config.json (repeatable, tried in order)', collect)
    .option('--client-id <id>', 'MQTT client id')
    .option('--timeout <seconds>', 'give up connecting after this long (default 20)', parseInteger('--timeout', 1, 3600));
}

/** `--topic`: the argument is a whole topic rather than a subject under `{customer}/{device}/`. */
const TOPIC_HELP = 'the argument is a whole topic, not a subject of the agent (arguments starting with $ always are)';

/**
 * Builds the `gatehouse-agent` program.
 *
 * @example
 * await buildAgentProgram().parseAsync(['node', 'gatehouse-agent', 'pub', 'telemetry', '{"rpm":1200}']);
 */
export function buildAgentProgram(): Command {
  const program = new Command('gatehouse-agent')
    .description('Gatehouse agent: register this machine, stay connected, publish, subscribe, read and update its shadow, diagnose its connection')
    .showHelpAfterError()
    .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2));

  program
    .command('register')
    .description('make a key and a CSR here, trade them with a registration token for a certificate, and write key, certificate, CA and config.json into the directory')
    .requiredOption('-t, --token <token>', 'the registration token (from `gatehouse tokens create` or POST /v1/tokens)')
    .option('-e, --endpoint <url>', "the agent-facing HTTPS URL, https://host:port (default: the token's)")
    .option('-d, --dir <dir>', 'where to write the files (default: $GATEHOUSE_AGENT_DIR, else ~/.gatehouse-agent)')
    .option('--ca <file>', "PEM file of the CA to trust for the server (default: the system's CAs)")
    .option('--customer <name>', 'first level of the agent\'s own topics (default: its tenant)')
    .option('--force', 'replace an agent already registered in the directory')
    .action(async (flags: { token: string; endpoint?: string; dir?: string; ca?: string; customer?: string; force?: boolean }) => {
      const dir = agentDirectory(flags.dir);
      const ca = flags.ca === undefined ? undefined : await readFile(flags.ca, 'utf8').catch((error: Error) => {
        throw new CliError(`Cannot read --ca ${flags.ca}: ${error.message}`);
      });
      const config = await registerAgent({
        token: flags.token,
        dir,
        force: flags.force === true,
        env: process.env,
        ...(flags.endpoint === undefined ? {} : { endpoint: flags.endpoint }),
        ...(ca === undefined ? {} : { ca }),
        ...(flags.customer === undefined ? {} : { customer: flags.customer }),
      });
      out(`Registered thing "${config.thingName}" of tenant "${config.tenant}" (certificate ${config.certificateId.slice(0, 12)})`);
      out(`Files in ${dir}; endpoints ${config.endpoints.join(', ')}`);
    });

  withConnectFlags(program.command('run'))
    .description('stay connected (persistent session, offline queue in <dir>/queue) and print a line each time the connection comes, goes or is retried')
    .action(async (flags: ConnectFlags & DirFlags) => {
      const identity = await readAgentIdentity(agentDirectory(flags.dir));
      const agent = await runAgent(identity, flags, process.env, { out, err });
      const stop = (signal: NodeJS.Signals): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        out(`${new Date().toISOString()} closing (${signal})`);
        agent.close().then(
          () => out(`${new Date().toISOString()} closed`),
          (error: unknown) => reportFailure(error),
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });

  withConnectFlags(program.command('pub'))
    .description('publish one message on a subject of the agent ({customer}/{device}/<subject>) or, with --topic, on a topic')
    .argument('<subject|topic>', 'e.g. telemetry, or $aws/things/pump-7/shadow/get')
    .argument('<message>', 'the payload')
    .option('-q, --qos <qos>', 'QoS 0, 1 or 2 (default 1)', parseInteger('--qos', 0, 2), 1)
    .option('-r, --retain', 'retain the message')
    .option('-t, --topic', TOPIC_HELP)
    .action(async (target: string, message: string, flags: ConnectFlags & DirFlags & { qos: 0 | 1 | 2; retain?: boolean; topic?: boolean }) => {
      const identity = await readAgentIdentity(agentDirectory(flags.dir));
      const topic = await publishMessage(identity, target, message, { ...flags, retain: flags.retain === true, topic: flags.topic === true }, process.env);
      out(`published ${topic}`);
    });

  withConnectFlags(program.command('sub'))
    .description('print each message on a filter (a subject of the agent, or a topic filter with --topic) as "<topic> <payload>"')
    .argument('<filter>', 'e.g. commands/#')
    .option('-t, --topic', TOPIC_HELP)
    .option('-n, --count <n>', 'exit after n messages', parseInteger('--count', 1, Number.MAX_SAFE_INTEGER))
    .action(async (target: string, flags: ConnectFlags & DirFlags & { topic?: boolean; count?: number }) => {
      const identity = await readAgentIdentity(agentDirectory(flags.dir));
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await subscribeMessages(identity, target, { ...flags, topic: flags.topic === true }, process.env, {
          print: (message) => out(`${message.topic} ${message.text()}`),
          notice: err,
          stop: stop.signal,
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });

  const shadow = program.command('shadow').description("read or update the agent's thing shadow (classic, or named with --name)");
  for (const operation of ['get', 'update'] as const) {
    const command = withConnectFlags(shadow.command(operation))
      .description(operation === 'get' ? 'print the shadow document' : 'update the shadow with --state and print the accepted answer')
      .option('--name <name>', 'a named shadow (default: the classic shadow)');
    if (operation === 'update') command.requiredOption('-s, --state <json>', 'the state to send, e.g. \'{"reported": {"firmware": "1.4.2"}}\'');
    command.action(async (flags: ShadowFlags & DirFlags) => {
      const identity = await readAgentIdentity(agentDirectory(flags.dir));
      out(JSON.stringify(await shadowRequest(identity, operation, flags, process.env), null, 2));
    });
  }
  registerDiagnoseCommand(program);
  return program;
}
