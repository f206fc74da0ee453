/**
 * `gatehouse thing-groups` (or `groups`) `list|show|create|delete|add-thing|remove-thing|list-things`:
 * the static group tree whose policies things inherit, its attributes and its things.
 */
import type { Command } from 'commander';
import { adminAction, adminGroup, moreHint } from '../admin-command.js';
import type { Page, ThingGroupJson, ThingJson } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';
import { attributesOption, collectAttribute, expectedVersionBody, pageOptions, pageQuery, parseVersion, registryPath } from '../registry-options.js';
import { attributeText, thingTable } from './things.js';

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
  const groups = adminGroup(program, 'thing-groups', 'static thing groups: a policy attached to a group applies to the things of every group below it').alias('groups');

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
      .option('--description <text>', 'what the group is for')
      .option('--attribute <name=value>', 'an attribute; repeat it for more. Without --merge they replace its attributes; none given keeps them', collectAttribute, {})
      .option('--merge', 'merge the attributes into its own; name= (empty) removes one')
      .option('--expected-version <n>', 'refuse unless the group is at this version', parseVersion),
    async ({ api, json, args, options, print, printJson }) => {
      const attributes = attributesOption(options);
      const body = {
        ...(typeof options['parent'] === 'string' ? { parent: options['parent'] } : {}),
        ...(typeof options['description'] === 'string' ? { description: options['description'] } : {}),
        ...(attributes === undefined ? {} : { attributePayload: { attributes, ...(options['merge'] === true ? { merge: true } : {}) } }),
        ...expectedVersionBody(options),
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

  adminAction(
    groups.command('show').description('show one thing group').argument('<name>').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const group = (await api.request<ThingGroupJson>('GET', groupPath(options, args[0])))!;
      if (json) return printJson(group);
      print(formatFields([
        ['name', group.name], ['tenant', group.tenant], ['id', group.thingGroupId], ['arn', group.thingGroupArn], ['parent', group.parent],
        ['description', group.description], ['version', group.version], ['attributes', attributeText(group.attributes)], ['updated', group.updatedAt],
      ]));
    },
  );

  adminAction(
    groups.command('add-thing').description('add a thing to a group (10 groups per thing at most)').argument('<group>').argument('<thing>').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const answer = (await api.request<{ changed: boolean }>('PUT', registryPath(options, 'thing-groups', args[0], 'things', args[1])))!;
      if (json) return printJson(answer);
      print(`Thing "${String(args[1])}" ${answer.changed ? 'is now' : 'already was'} in thing group "${String(args[0])}"\n`);
    },
  );

  adminAction(
    groups.command('remove-thing').description('remove a thing from a group').argument('<group>').argument('<thing>').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const answer = (await api.request<{ changed: boolean }>('DELETE', registryPath(options, 'thing-groups', args[0], 'things', args[1])))!;
      if (json) return printJson(answer);
      print(`Thing "${String(args[1])}" ${answer.changed ? 'left' : 'was not in'} thing group "${String(args[0])}"\n`);
    },
  );

  adminAction(
    pageOptions(groups.command('list-things').description('list the things of a group').argument('<group>').requiredOption('--tenant <tenant>', 'tenant')
      .option('--recursive', 'the things of its subgroups too')),
    async ({ api, json, args, options, print, printJson }) => {
      const query = pageQuery(options, { recursive: options['recursive'] === true ? 'true' : undefined });
      const page = (await api.request<Page<ThingJson>>('GET', `${registryPath(options, 'thing-groups', args[0], 'things')}${query}`))!;
      if (json) return printJson(page);
      if (page.items.length === 0) return print('No things\n');
      print(thingTable(page.items) + moreHint(page.nextCursor));
    },
  );
}
