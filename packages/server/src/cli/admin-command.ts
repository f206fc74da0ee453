/** What every admin command shares: connection flags, `--json`, error printing and exit codes. */
import { InvalidArgumentError, type Command, type CommanderError } from 'commander';
import { AdminClient } from './admin-client.js';
import { resolveConnection } from './resolve-connection.js';

export interface AdminContext {
  readonly api: AdminClient;
  /** `--json`: print the API's JSON instead of tables. */
  readonly json: boolean;
  /** The command's own options (not the connection flags). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly args: readonly unknown[];
  print(text: string): void;
  printJson(value: unknown): void;
}

/**
 * Exit 2 for usage mistakes (unknown option, missing argument, bad value), 0 for `--help`.
 * Commander prints its message before calling this.
 */
export function exitOnUsageError(error: CommanderError): never {
  process.exit(error.exitCode === 0 ? 0 : 2);
}

/** A command group (`clients`, `sessions`, ...) with usage errors mapped to exit 2. */
export function adminGroup(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).exitOverride(exitOnUsageError);
}

/**
 * Adds the connection flags to `command` and runs `handler` with a ready API client. Errors print
 * as `Error: <message>` on stderr and set exit code 1; the key never appears in any output.
 *
 * The flags sit on each command rather than on the program so that `gatehouse clients list --json`
 * works and so they cannot clash with options the program defines for `serve`. Program-level
 * options of the same names are honoured too (`optsWithGlobals`).
 *
 * @example
 * adminAction(group.command('get').argument('<clientId>'), async ({ api, args }) => { ... });
 */
export function adminAction(command: Command, handler: (context: AdminContext) => Promise<void>): Command {
  return command
    .option('--url <adminUrl>', 'admin API URL (default: $GATEHOUSE_URL, else "admin" in <home>/endpoints.json)')
    .option('--key <adminKey>', 'admin API key (default: $GATEHOUSE_ADMIN_KEY, else <home>/admin.key)')
    .option('--home <dir>', 'Gatehouse home directory (default: $GATEHOUSE_HOME, else ./.gatehouse)')
    .option('--json', 'print the raw JSON answer')
    .exitOverride(exitOnUsageError)
    .action(async (...received: unknown[]) => {
      const self = received[received.length - 1] as Command;
      const { url, key, home, json, ...options } = self.optsWithGlobals<{ url?: string; key?: string; home?: string; json?: boolean }>();
      try {
        const connection = await resolveConnection(
          { ...(url === undefined ? {} : { url }), ...(key === undefined ? {} : { key }), ...(home === undefined ? {} : { home }) },
          process.env,
        );
        await handler({
          api: new AdminClient(connection),
          json: json === true,
          options,
          args: self.processedArgs,
          print: (text) => process.stdout.write(text),
          printJson: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
        });
      } catch (error) {
        process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    });
}

/** Options shared by the `list` commands. */
export function listOptions(command: Command): Command {
  return command
    .option('--tenant <tenant>', 'the tenant (default: identity.defaultTenant)')
    .option('--prefix <prefix>', 'only ids (or topics) that start with this')
    .option('--limit <n>', 'items per page, 1-1000', parsePositiveInt, 100)
    .option('--cursor <cursor>', 'continue after this cursor (printed under a full page)');
}

export function listQuery(options: Readonly<Record<string, unknown>>): string {
  const query = new URLSearchParams();
  if (typeof options['tenant'] === 'string') query.set('tenant', options['tenant']);
  if (typeof options['prefix'] === 'string') query.set('prefix', options['prefix']);
  if (typeof options['limit'] === 'number') query.set('limit', String(options['limit']));
  if (typeof options['cursor'] === 'string') query.set('cursor', options['cursor']);
  const text = query.toString();
  return text.length === 0 ? '' : `?${text}`;
}

export function moreHint(nextCursor: string | undefined): string {
  return nextCursor === undefined ? '' : `More: --cursor ${shellWord(nextCursor)}\n`;
}

/** Quotes for a POSIX shell when needed, so the hint can be pasted back. */
export function shellWord(text: string): string {
  return /^[\w./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Commander's parser for `--limit`: a whole number from 1 to 1000, else a usage error. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new InvalidArgumentError(`"${value}" is not a whole number from 1 to 1000`);
  }
  return n;
}

/** `?tenant=…` for commands that name one client, session or retained topic, or '' without `--tenant`. */
export function tenantQuery(options: Readonly<Record<string, unknown>>): string {
  return typeof options['tenant'] === 'string' ? `?tenant=${encodeURIComponent(options['tenant'])}` : '';
}

/** Adds `--tenant` to a command that names one client, session or retained topic. */
export function tenantOption(command: Command): Command {
  return command.option('--tenant <tenant>', 'the tenant (default: identity.defaultTenant)');
}
