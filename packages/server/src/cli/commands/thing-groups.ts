/** `gatehouse thing-groups list|create|delete`: the static group tree whose policies things inherit. */
import type { Command } from 'commander';
import { adminAction, adminGroup } from '../admin-command.js';
import type { ThingGroupJson } from '../api-types.js';
import { formatTable } from '../format-table.js';

/** `/v1/tenants/{tenant}/thing-groups[/{name}]` for the command's `--tenant`. */
function groupPath(options: Readonly<Record<string, unknown>>, name?: unknown): string {
  return `/v1/tenants/${encodeURIComponent(String(options['tenant']))}/thing-groups${name === undefined ? '' : `/${encodeURIComponent(String(name))}`}`;
}

/**
 * @example
 * // gatehouse thing-groups create berlin --parent sites --tenant acme
 * registerThingGroupsCommands(program);
 */
export function registerThingGroupsCommands(program: Command): void {
  const groups = adminGroup(program, 'thing-groups', 'static thing groups: a policy attached to a group applies to the things of every group below it');

  adminAction(
    groups.command('list').description("list a tenant's thing groups").requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, options, print, printJson }) => {
      const answer = (await api.request<{ items: ThingGroupJson[] }>('GET', groupPath(options)))!;
      if (json) return printJson(answer);
      if (answer.items.length === 0) return print('No thing groups\n');
      print(formatTable(['NAME', 'PARENT', 'DESCRIPTION', 'UPDATED'], answer.items.map((g) => [g.name, g.parent ?? '-', g.description ?? '', g.updatedAt])));
    },
  );

  adminAction(
    groups.command('create').description('create or replace a thing group; with --parent it goes under that group (at most 7 levels), without it is a root').argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .option('--parent <group>', 'the parent group (it must exist)')
      .option('--description <text>', 'what the group is for'),
    async ({ api, json, args, options, print, printJson }) => {
      const body = {
        ...(typeof options['parent'] === 'string' ? { parent: options['parent'] } : {}),
        ...(typeof options['description'] === 'string' ? { description: options['description'] } : {}),
      };
      const group = (await api.request<ThingGroupJson>('PUT', groupPath(options, args[0]), body))!;
      if (json) return printJson(group);
      print(`Thing group "${group.name}" of tenant "${group.tenant}"${group.parent === undefined ? ' is a root' : ` is under "${group.parent}"`}\n`);
    },
  );

  adminAction(
    groups.command('delete').description('delete a thing group (refused while other groups are under it)').argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      await api.request('DELETE', groupPath(options, args[0]));
      if (json) return printJson({ deleted: args[0] });
      print(`Deleted thing group "${String(args[0])}"\n`);
    },
  );
}
