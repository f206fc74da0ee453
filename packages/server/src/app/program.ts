/** The `gatehouse` command line: `serve`, `config check`, `passwd`, and the admin commands from cli/. */
import { Command, InvalidArgumentError, type CommanderError } from 'commander';
import { registerAdminCommands } from '../cli/index.js';
import { createLogger, GatehouseError } from '../core/index.js';
import { configToYaml, loadConfig, type ConfigInputs } from './config.js';
import { registerPasswdCommands } from './passwd-command.js';
import { startGatehouse, type RunningGatehouse } from './serve.js';
import { version } from './version.js';

interface ConfigFlags {
  readonly config?: string;
  readonly home?: string;
  readonly set: string[];
}

const collect = (value: string, previous: string[]): string[] => {
  if (!value.includes('=')) throw new InvalidArgumentError('expected key.path=value, e.g. listeners.mqtt.port=1884');
  return [...previous, value];
};

function withConfigFlags(command: Command): Command {
  return command
    .option('-c, --config <path>', 'YAML or JSON configuration file (default: $GATEHOUSE_CONFIG, else <home>/gatehouse.yaml if present)')
    .option('--home <dir>', 'where Gatehouse keeps its files (default: $GATEHOUSE_HOME, else ./.gatehouse)')
    .option('-s, --set <key=value>', 'set one setting, e.g. --set listeners.mqtt.port=1884 (repeatable)', collect, [] as string[]);
}

function configInputs(flags: ConfigFlags): ConfigInputs {
  return { flags: { config: flags.config, home: flags.home, set: flags.set } };
}

/**
 * Prints a failure the way an operator wants it: our own errors as one line, anything else with
 * its stack (that one is a bug), and sets exit code 1.
 */
export function reportFailure(error: unknown): void {
  if (error instanceof GatehouseError) process.stderr.write(`Error: ${error.message}\n`);
  else process.stderr.write(`Error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}

async function serve(flags: ConfigFlags): Promise<void> {
  const { config, explicitPorts } = await loadConfig(configInputs(flags));
  const logger = createLogger({ level: config.log.level });
  // A stray rejection from a client's corner of the code must not take every other client down.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'Unhandled promise rejection'));
  const running: RunningGatehouse = await startGatehouse(config, { explicitPorts, logger });
  // First signal: drain (paced disconnects, then close). Second: the rest at once, still flushing
  // the store. Third: exit without waiting.
  let signals = 0;
  const stop = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 2) {
      logger.warn({ signal }, 'Third signal: exiting without waiting');
      process.exit(1);
    }
    if (signals === 2) {
      logger.warn({ signal }, 'Second signal: disconnecting the remaining clients at once');
      running.drain().hurry();
      return;
    }
    logger.info({ signal }, 'Shutting down');
    running.drain().done.then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function checkConfig(flags: ConfigFlags): Promise<void> {
  const { config, file } = await loadConfig(configInputs(flags));
  process.stdout.write(`# Effective configuration (file: ${file ?? 'none'}); it is valid.\n${configToYaml(config)}`);
}

/**
 * Builds the `gatehouse` program.
 *
 * @example
 * await buildProgram().parseAsync(['node', 'gatehouse', 'config', 'check', '--set', 'listeners.mqtt.port=1884']);
 */
export function buildProgram(): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse: MQTT broker and control plane for fleets of agents')
    .version(version)
    .showHelpAfterError()
    .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2));

  withConfigFlags(program.command('serve').description('start the broker, the listeners and the admin API'))
    .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2))
    .action((flags: ConfigFlags) => serve(flags).catch(reportFailure));

  const config = program.command('config').description('inspect the configuration');
  withConfigFlags(config.command('check').description('load and validate the configuration, then print it as YAML (secrets elided)'))
    .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2))
    .action((flags: ConfigFlags) => checkConfig(flags).catch(reportFailure));

  registerPasswdCommands(program, reportFailure);
  registerAdminCommands(program);
  return program;
}
