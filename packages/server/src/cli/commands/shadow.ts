/** `gatehouse shadow get|update|delete|list`: a thing's device shadows through the admin API, in AWS's documents. */
import { InvalidArgumentError, type Command } from 'commander';
import { adminAction, adminGroup, parsePositiveInt } from '../admin-command.js';
import { CliError } from '../admin-client.js';
import { readInputFile } from '../read-input-file.js';

/** The parts of AWS's shadow documents the commands print. */
interface ShadowAnswer {
  readonly state?: unknown;
  readonly version?: number;
}

interface NamedShadowsAnswer {
  readonly results: readonly string[];
  readonly nextToken?: string;
}

/** `/v1/tenants/{tenant}/things/{thing}/shadow[?name=]`. */
function shadowPath(options: Readonly<Record<string, unknown>>, thing: unknown): string {
  const name = typeof options['name'] === 'string' ? `?name=${encodeURIComponent(options['name'])}` : '';
  return `/v1/tenants/${encodeURIComponent(String(options['tenant']))}/things/${encodeURIComponent(String(thing))}/shadow${name}`;
}

/** `shadow "config" of thing "agent-7"` or `classic shadow of thing "agent-7"`. */
function describeShadow(options: Readonly<Record<string, unknown>>, thing: unknown): string {
  return typeof options['name'] === 'string' ? `shadow "${options['name']}" of thing "${String(thing)}"` : `classic shadow of thing "${String(thing)}"`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Adds `--tenant` and `--name` to a command that names one shadow. */
function shadowOptions(command: Command): Command {
  return command.argument('<thing>', 'thing name').requiredOption('--tenant <tenant>', 'tenant').option('--name <shadow>', 'named shadow (default: the classic shadow)');
}

/**
 * @example
 * // gatehouse shadow update agent-7 --name config --state '{"desired":{"interval":10}}' --tenant acme
 * registerShadowCommands(program);
 */
export function registerShadowCommands(program: Command): void {
  const shadow = adminGroup(program, 'shadow', "a thing's device shadows (AWS documents): read, update desired or reported state, delete, list named shadows");

  adminAction(
    shadowOptions(shadow.command('get').description('print a shadow: desired, reported, delta, metadata and version')),
    async ({ api, args, options, printJson }) => {
      printJson(await api.request('GET', shadowPath(options, args[0])));
    },
  );

  adminAction(
    shadowOptions(shadow.command('update').description('update (or create) a shadow; devices get the delta over MQTT'))
      .option('--state <json>', 'the state node, e.g. \'{"desired":{"interval":10}}\' (null deletes a key)')
      .option('--file <path>', 'a file holding the whole request document {"state":{...},"version"?:N}')
      .option('--version <n>', 'apply only if the shadow is at this version (409 otherwise)', parseVersion),
    async ({ api, json, args, options, print, printJson }) => {
      const document = await updateDocument(options);
      const answer = (await api.request<ShadowAnswer>('POST', shadowPath(options, args[0]), document))!;
      if (json) return printJson(answer);
      print(`${capitalized(describeShadow(options, args[0]))} is at version ${answer.version ?? '?'}\n`);
    },
  );

  adminAction(
    shadowOptions(shadow.command('delete').description('delete a shadow; recreated within 48 hours it continues its version')),
    async ({ api, json, args, options, print, printJson }) => {
      const answer = (await api.request<ShadowAnswer>('DELETE', shadowPath(options, args[0])))!;
      if (json) return printJson(answer);
      print(`Deleted ${describeShadow(options, args[0])} (it was at version ${answer.version ?? '?'})\n`);
    },
  );

  adminAction(
    shadow.command('list').description("list a thing's named shadows (the classic shadow is not listed)").argument('<thing>', 'thing name')
      .requiredOption('--tenant <tenant>', 'tenant')
      .option('--limit <n>', 'names per page, 1-1000', parsePositiveInt, 100)
      .option('--cursor <token>', 'continue after this token (printed under a full page)'),
    async ({ api, json, args, options, print, printJson }) => {
      const query = new URLSearchParams({ pageSize: String(options['limit']) });
      if (typeof options['cursor'] === 'string') query.set('nextToken', options['cursor']);
      const answer = (await api.request<NamedShadowsAnswer>('GET', `/v1/tenants/${encodeURIComponent(String(options['tenant']))}/things/${encodeURIComponent(String(args[0]))}/shadows?${query}`))!;
      if (json) return printJson(answer);
      if (answer.results.length === 0) return print(`Thing "${String(args[0])}" has no named shadows\n`);
      print(answer.results.map((name) => `${name}\n`).join(''));
      if (answer.nextToken !== undefined) print(`More: --cursor ${answer.nextToken}\n`);
    },
  );
}

/** The request document from `--file` or `--state`, with `--version` set over either. */
async function updateDocument(options: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const { state, file, version } = options;
  if ((state === undefined) === (file === undefined)) throw new CliError('Cannot update the shadow: give exactly one of --state and --file');
  const document = typeof file === 'string'
    ? parseObject(await readInputFile('--file', file), `--file ${file}`)
    : { state: parseObject(String(state), '--state') };
  return version === undefined ? document : { ...document, version };
}

function parseObject(text: string, source: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`Cannot read ${source}: it is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(`Cannot read ${source}: expected a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Commander's parser for `--version`: a whole number from 0 up. */
function parseVersion(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || value.trim() === '') throw new InvalidArgumentError(`"${value}" is not a whole number of 0 or more`);
  return n;
}
