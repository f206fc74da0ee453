/**
 * `gatehouse policy list|show|create|delete` and `policy version create|default|delete`: a tenant's
 * IoT policies and their AWS-style versions (up to five, one default). Attachments: policy-attach.ts.
 */
import type { Command } from 'commander';
import { CliError } from '../admin-client.js';
import { adminAction, adminGroup, type AdminContext } from '../admin-command.js';
import type { PolicyJson, PolicyVersionJson } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';
import { readInputFile } from '../read-input-file.js';

/** `/v1/tenants/{tenant}/policies[/{name}]` for the command's `--tenant`. */
export function policyPath(options: Readonly<Record<string, unknown>>, name?: unknown): string {
  return `/v1/tenants/${encodeURIComponent(String(options['tenant']))}/policies${name === undefined ? '' : `/${encodeURIComponent(String(name))}`}`;
}

function parseVersionId(value: unknown): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id < 1) throw new CliError(`"${String(value)}" is not a version id (a whole number from 1)`);
  return id;
}

/**
 * Registers `policy` and returns its command group, so the attachment commands can join it.
 *
 * @example
 * const policy = registerPolicyCommands(program);
 * registerPolicyAttachCommands(policy);
 */
export function registerPolicyCommands(program: Command): Command {
  const description = 'IoT policies: documents, versions, what they are attached to, and what they decide';
  // `policy test` (policy-test.ts) finds or makes the same group, whichever registers first.
  const policy = program.commands.find((command) => command.name() === 'policy')?.description(description) ?? adminGroup(program, 'policy', description);

  adminAction(
    policy.command('list').description("list a tenant's policies").requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, options, print, printJson }) => {
      const answer = (await api.request<{ items: PolicyJson[] }>('GET', policyPath(options)))!;
      if (json) return printJson(answer);
      if (answer.items.length === 0) return print('No policies\n');
      print(formatTable(['NAME', 'DEFAULT VERSION', 'UPDATED'], answer.items.map((p) => [p.name, p.defaultVersionId, p.updatedAt])));
    },
  );

  adminAction(
    policy.command('show').description('show a policy: its versions and the default document (or one version with --version)').argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .option('--version <id>', 'show this version instead of the default'),
    async (context) => {
      const { api, json, args, options, print, printJson } = context;
      if (options['version'] !== undefined) return showVersion(context, parseVersionId(options['version']));
      const shown = (await api.request<PolicyJson>('GET', policyPath(options, args[0])))!;
      if (json) return printJson(shown);
      print(formatFields([['name', shown.name], ['tenant', shown.tenant], ['default version', shown.defaultVersionId], ['created', shown.createdAt], ['updated', shown.updatedAt]]));
      print(formatTable(['VERSION', 'DEFAULT', 'CREATED'], (shown.versions ?? []).map((v) => [v.versionId, v.isDefault ? 'yes' : '', v.createdAt])));
      print(`${pretty(shown.policyDocument)}\n`);
    },
  );

  adminAction(
    policy.command('create').description('create a policy from a JSON file (AWS IoT policy document); it is version 1, the default').argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .requiredOption('--file <file>', 'the policy document, JSON'),
    async ({ api, json, args, options, print, printJson }) => {
      const policyDocument = await readInputFile('--file', String(options['file']));
      if (await exists(api, policyPath(options, args[0]))) {
        throw new CliError(`Cannot create policy "${String(args[0])}": it exists; add a version with \`gatehouse policy version create\``);
      }
      const created = (await api.request<PolicyJson>('PUT', policyPath(options, args[0]), { policyDocument }))!;
      if (json) return printJson(created);
      print(`Created policy "${created.name}" of tenant "${created.tenant}" (version 1, the default)\n`);
    },
  );

  adminAction(
    policy.command('delete').description('delete a policy and all its versions (refused while it is attached)').argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      await api.request('DELETE', policyPath(options, args[0]));
      if (json) return printJson({ deleted: args[0] });
      print(`Deleted policy "${String(args[0])}"\n`);
    },
  );

  registerVersionCommands(policy);
  return policy;
}

function registerVersionCommands(policy: Command): void {
  const version = adminGroup(policy, 'version', 'policy versions: up to five per policy, one of them the default (the one in effect)');

  adminAction(
    version.command('create').description('add a version from a JSON file; it becomes the default only with --default').argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .requiredOption('--file <file>', 'the policy document, JSON')
      .option('--default', 'make the new version the default'),
    async ({ api, json, args, options, print, printJson }) => {
      const policyDocument = await readInputFile('--file', String(options['file']));
      // A PUT of a missing policy would create it: this command only adds versions.
      if (!(await exists(api, policyPath(options, args[0])))) throw new CliError(`Policy "${String(args[0])}" was not found; create it with \`gatehouse policy create\``);
      const answer = (await api.request<PolicyJson>('PUT', policyPath(options, args[0]), { policyDocument, setAsDefault: options['default'] === true }))!;
      if (json) return printJson(answer);
      const created = answer.createdVersionId ?? answer.defaultVersionId;
      const role = created === answer.defaultVersionId ? 'the default now' : `not the default; the default is version ${answer.defaultVersionId}`;
      print(`Created version ${created} of policy "${answer.name}" (${role})\n`);
    },
  );

  adminAction(
    version.command('default').description('make a version the default: the one in effect wherever the policy is attached').argument('<name>').argument('<versionId>')
      .requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const id = parseVersionId(args[1]);
      const answer = (await api.request<PolicyJson>('POST', `${policyPath(options, args[0])}/versions/${id}/default`))!;
      if (json) return printJson(answer);
      print(`Version ${id} of policy "${answer.name}" is now the default\n`);
    },
  );

  adminAction(
    version.command('delete').description('delete a version that is not the default').argument('<name>').argument('<versionId>')
      .requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const id = parseVersionId(args[1]);
      await api.request('DELETE', `${policyPath(options, args[0])}/versions/${id}`);
      if (json) return printJson({ deleted: { name: args[0], versionId: id } });
      print(`Deleted version ${id} of policy "${String(args[0])}"\n`);
    },
  );
}

async function showVersion({ api, json, args, options, print, printJson }: AdminContext, id: number): Promise<void> {
  const version = (await api.request<PolicyVersionJson>('GET', `${policyPath(options, args[0])}/versions/${id}`))!;
  if (json) return printJson(version);
  print(formatFields([['name', version.name], ['tenant', version.tenant], ['version', version.versionId], ['default', version.isDefault ? 'yes' : 'no'], ['created', version.createdAt]]));
  print(`${pretty(version.policyDocument)}\n`);
}

/** Whether GET finds it; any answer but 404 is an error of its own. */
async function exists(api: AdminContext['api'], path: string): Promise<boolean> {
  try {
    await api.request('GET', path);
    return true;
  } catch (error) {
    if ((error as { status?: unknown }).status === 404) return false;
    throw error;
  }
}

/** The document indented for reading; kept as stored when it is not JSON (it always is, once saved). */
function pretty(document: string): string {
  try {
    return JSON.stringify(JSON.parse(document), null, 2);
  } catch {
    return document;
  }
}
