/** `gatehouse billing-groups list|show|create|update|delete|add-thing|remove-thing|list-things`: billing groups, one per thing at most. */
import type { Command } from 'commander';
import { adminAction, adminGroup, moreHint } from '../admin-command.js';
import type { BillingGroupJson, Page, ThingJson } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';
import { expectedVersionBody, expectedVersionQuery, pageOptions, pageQuery, parseVersion, registryPath } from '../registry-options.js';
import { thingTable } from './things.js';

/**
 * @example
 * // gatehouse billing-groups add-thing eu agent-7 --tenant acme
 * registerBillingGroupsCommands(program);
 */
export function registerBillingGroupsCommands(program: Command): void {
  const groups = adminGroup(program, 'billing-groups', 'billing groups: a thing is in one at most');

  adminAction(
    pageOptions(groups.command('list').description("list a tenant's billing groups").requiredOption('--tenant <tenant>', 'tenant')),
    async ({ api, json, options, print, printJson }) => {
      const page = (await api.request<Page<BillingGroupJson>>('GET', `${registryPath(options, 'billing-groups')}${pageQuery(options)}`))!;
      if (json) return printJson(page);
      if (page.items.length === 0) return print('No billing groups\n');
      print(formatTable(['NAME', 'VERSION', 'DESCRIPTION'], page.items.map((g) => [g.billingGroupName, g.version, g.billingGroupProperties.billingGroupDescription ?? ''])) + moreHint(page.nextCursor));
    },
  );

  adminAction(
    groups.command('show').description('show one billing group').argument('<name>').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const group = (await api.request<BillingGroupJson>('GET', registryPath(options, 'billing-groups', args[0])))!;
      if (json) return printJson(group);
      print(formatFields([
        ['name', group.billingGroupName], ['tenant', group.tenant], ['id', group.billingGroupId], ['arn', group.billingGroupArn],
        ['version', group.version], ['description', group.billingGroupProperties.billingGroupDescription], ['created', group.billingGroupMetadata.creationDate],
      ]));
    },
  );

  adminAction(
    groups.command('create').description('create a billing group').argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .option('--description <text>', 'what it bills'),
    async ({ api, json, args, options, print, printJson }) => {
      const body = { billingGroupProperties: typeof options['description'] === 'string' ? { billingGroupDescription: options['description'] } : {} };
      const group = (await api.request<BillingGroupJson>('POST', registryPath(options, 'billing-groups', args[0]), body))!;
      if (json) return printJson(group);
      print(`Billing group "${group.billingGroupName}" of tenant "${group.tenant}" is at version ${group.version}\n`);
    },
  );

  adminAction(
    groups.command('update').description("change a billing group's description; one version on").argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .requiredOption('--description <text>', 'the new description')
      .option('--expected-version <n>', 'refuse unless it is at this version', parseVersion),
    async ({ api, json, args, options, print, printJson }) => {
      const body = { billingGroupProperties: { billingGroupDescription: String(options['description']) }, ...expectedVersionBody(options) };
      const group = (await api.request<BillingGroupJson>('PATCH', registryPath(options, 'billing-groups', args[0]), body))!;
      if (json) return printJson(group);
      print(`Billing group "${group.billingGroupName}" is at version ${group.version}\n`);
    },
  );

  adminAction(
    groups.command('delete').description('delete a billing group; its things leave it').argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .option('--expected-version <n>', 'refuse unless it is at this version', parseVersion),
    async ({ api, json, args, options, print, printJson }) => {
      await api.request('DELETE', `${registryPath(options, 'billing-groups', args[0])}${expectedVersionQuery(options)}`);
      if (json) return printJson({ deleted: args[0] });
      print(`Deleted billing group "${String(args[0])}"\n`);
    },
  );

  adminAction(
    groups.command('add-thing').description('put a thing into a billing group (out of the one it was in)').argument('<group>').argument('<thing>').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const answer = (await api.request<{ billingGroupName: string; thingName: string; previousBillingGroupName?: string }>('PUT', registryPath(options, 'billing-groups', args[0], 'things', args[1])))!;
      if (json) return printJson(answer);
      print(`Thing "${answer.thingName}" is in billing group "${answer.billingGroupName}"${answer.previousBillingGroupName === undefined ? '' : ` (it left "${answer.previousBillingGroupName}")`}\n`);
    },
  );

  adminAction(
    groups.command('remove-thing').description('take a thing out of a billing group').argument('<group>').argument('<thing>').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      await api.request('DELETE', registryPath(options, 'billing-groups', args[0], 'things', args[1]));
      if (json) return printJson({ removed: args[1] });
      print(`Thing "${String(args[1])}" left billing group "${String(args[0])}"\n`);
    },
  );

  adminAction(
    pageOptions(groups.command('list-things').description('list the things of a billing group').argument('<group>').requiredOption('--tenant <tenant>', 'tenant')),
    async ({ api, json, args, options, print, printJson }) => {
      const page = (await api.request<Page<ThingJson>>('GET', `${registryPath(options, 'billing-groups', args[0], 'things')}${pageQuery(options)}`))!;
      if (json) return printJson(page);
      if (page.items.length === 0) return print('No things\n');
      print(thingTable(page.items) + moreHint(page.nextCursor));
    },
  );
}
