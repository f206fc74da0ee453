/** `gatehouse policy attach|detach|targets|attached`: what a tenant's policies are attached to. */
import type { Command } from 'commander';
import { CliError } from '../admin-client.js';
import { adminAction } from '../admin-command.js';
import type { PolicyJson, PolicyTargetJson } from '../api-types.js';
import { formatTable } from '../format-table.js';
import { policyPath } from './policy.js';

/** `--tenant <tenant>` names the policy's tenant, so attaching to the tenant itself is `--tenant-wide`. */
function targetOptions(command: Command): Command {
  return command
    .requiredOption('--tenant <tenant>', 'tenant')
    .option('--certificate <id>', 'a certificate of the tenant (its SHA-256 id)')
    .option('--thing-group <group>', 'a thing group: its things and those of its subgroups')
    .option('--tenant-wide', 'the tenant itself: every agent of it');
}

/** The one target the options name; naming none or several is a CliError. */
function targetOf(options: Readonly<Record<string, unknown>>): PolicyTargetJson {
  const given: PolicyTargetJson[] = [
    ...(typeof options['certificate'] === 'string' ? [{ kind: 'certificate' as const, id: options['certificate'].toLowerCase() }] : []),
    ...(typeof options['thingGroup'] === 'string' ? [{ kind: 'thing-group' as const, id: options['thingGroup'] }] : []),
    ...(options['tenantWide'] === true ? [{ kind: 'tenant' as const, id: String(options['tenant']) }] : []),
  ];
  const [target] = given;
  if (given.length !== 1 || target === undefined) throw new CliError('Give exactly one of --certificate, --thing-group and --tenant-wide');
  return target;
}

function describeTarget(target: PolicyTargetJson): string {
  switch (target.kind) {
    case 'certificate':
      return `certificate ${target.id}`;
    case 'thing-group':
      return `thing group "${target.id}"`;
    case 'tenant':
      return `tenant "${target.id}" (every agent of it)`;
    default:
      return target.kind satisfies never;
  }
}

const targetPath = (options: Readonly<Record<string, unknown>>, name: unknown, target: PolicyTargetJson): string =>
  `${policyPath(options, name)}/targets/${target.kind}/${encodeURIComponent(target.id)}`;

export function registerPolicyAttachCommands(policy: Command): void {
  adminAction(
    targetOptions(policy.command('attach').description('attach a policy to a certificate, a thing group or the whole tenant').argument('<name>')),
    async ({ api, json, args, options, print, printJson }) => {
      const target = targetOf(options);
      await api.request('PUT', targetPath(options, args[0], target));
      if (json) return printJson({ attached: { name: args[0], target } });
      print(`Attached policy "${String(args[0])}" to ${describeTarget(target)}\n`);
    },
  );

  adminAction(
    targetOptions(policy.command('detach').description('detach a policy; live connections stop using it within a second').argument('<name>')),
    async ({ api, json, args, options, print, printJson }) => {
      const target = targetOf(options);
      await api.request('DELETE', targetPath(options, args[0], target));
      if (json) return printJson({ detached: { name: args[0], target } });
      print(`Detached policy "${String(args[0])}" from ${describeTarget(target)}\n`);
    },
  );

  adminAction(
    policy.command('targets').description('list what a policy is attached to').argument('<name>').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const answer = (await api.request<{ items: PolicyTargetJson[] }>('GET', `${policyPath(options, args[0])}/targets`))!;
      if (json) return printJson(answer);
      if (answer.items.length === 0) return print(`Policy "${String(args[0])}" is not attached to anything\n`);
      print(formatTable(['KIND', 'ID'], answer.items.map((target) => [target.kind, target.id])));
    },
  );

  adminAction(
    targetOptions(policy.command('attached').description('list the policies attached directly to a certificate, a thing group or the tenant')),
    async ({ api, json, options, print, printJson }) => {
      const target = targetOf(options);
      const query = target.kind === 'certificate' ? `certificate=${target.id}` : target.kind === 'thing-group' ? `thingGroup=${encodeURIComponent(target.id)}` : 'tenant=1';
      const answer = (await api.request<{ items: PolicyJson[] }>('GET', `/v1/tenants/${encodeURIComponent(String(options['tenant']))}/attached-policies?${query}`))!;
      if (json) return printJson(answer);
      if (answer.items.length === 0) return print(`No policies attached to ${describeTarget(target)}\n`);
      print(formatTable(['NAME', 'DEFAULT VERSION', 'UPDATED'], answer.items.map((p) => [p.name, p.defaultVersionId, p.updatedAt])));
    },
  );
}
