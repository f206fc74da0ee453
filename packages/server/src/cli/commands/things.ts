/**
 * `gatehouse things list|show|create|update|delete|bulk-create|groups|connectivity`: the thing
 * registry over the admin API, with AWS's CreateThing/UpdateThing/DeleteThing/ListThings semantics.
 */
import type { Command } from 'commander';
import { CliError } from '../admin-client.js';
import { adminAction, adminGroup, moreHint } from '../admin-command.js';
import type { BulkCreateJson, Page, ThingJson } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';
import { readInputFile } from '../read-input-file.js';
import {
  attributesOption, collectAttribute, expectedVersionBody, expectedVersionQuery, pageOptions, pageQuery, parseVersion, registryPath,
} from '../registry-options.js';
import { registerThingConnectivityCommand } from './thing-connectivity.js';

/** `key=value, key=value` for a table cell. */
export function attributeText(attributes: Readonly<Record<string, string>>): string {
  return Object.entries(attributes).map(([name, value]) => `${name}=${value}`).join(', ');
}

export function thingTable(things: readonly ThingJson[]): string {
  return formatTable(['NAME', 'TYPE', 'VERSION', 'ATTRIBUTES', 'GROUPS'], things.map((t) => [t.thingName, t.thingTypeName ?? '-', t.version, attributeText(t.attributes), t.thingGroups.join(',')]));
}

/**
 * @example
 * // gatehouse things create agent-7 --type gateway --attribute site=lyon --tenant acme
 * registerThingsCommands(program);
 */
export function registerThingsCommands(program: Command): void {
  const things = adminGroup(program, 'things', 'the thing registry: things with a type, attributes, groups and an optimistic version');

  adminAction(
    pageOptions(things.command('list').description("list a tenant's things by name, filtered as AWS ListThings does")
      .requiredOption('--tenant <tenant>', 'tenant')
      .option('--type <type>', 'only things of this thing type')
      .option('--attribute-name <name>', 'only things that have this attribute')
      .option('--attribute-value <value>', 'with --attribute-name: only this value')
      .option('--use-prefix-attribute-value', 'with --attribute-value: values that start with it')
      .option('--group <group>', 'only things in this thing group')
      .option('--recursive', "with --group: the things of its subgroups too")
      .option('--billing-group <group>', 'only things in this billing group')),
    async ({ api, json, options, print, printJson }) => {
      const text = (name: string): string | undefined => (typeof options[name] === 'string' ? options[name] : undefined);
      const query = pageQuery(options, {
        thingTypeName: text('type'),
        attributeName: text('attributeName'),
        attributeValue: text('attributeValue'),
        usePrefixAttributeValue: options['usePrefixAttributeValue'] === true ? 'true' : undefined,
        thingGroupName: text('group'),
        recursive: options['recursive'] === true ? 'true' : undefined,
        billingGroupName: text('billingGroup'),
      });
      const page = (await api.request<Page<ThingJson>>('GET', `${registryPath(options, 'things')}${query}`))!;
      if (json) return printJson(page);
      if (page.items.length === 0) return print('No things\n');
      print(thingTable(page.items) + moreHint(page.nextCursor));
    },
  );

  adminAction(
    things.command('show').description('show one thing').argument('<thing>').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const thing = (await api.request<ThingJson>('GET', registryPath(options, 'things', args[0])))!;
      if (json) return printJson(thing);
      print(formatFields([
        ['name', thing.thingName],
        ['tenant', thing.tenant],
        ['thing id', thing.thingId],
        ['arn', thing.thingArn],
        ['type', thing.thingTypeName],
        ['version', thing.version],
        ['billing group', thing.billingGroupName],
        ['groups', thing.thingGroups.join(', ')],
        ['created', thing.createdAt],
        ['updated', thing.updatedAt],
        ...Object.entries(thing.attributes).map(([name, value]): [string, string] => [`attribute ${name}`, value]),
      ]));
    },
  );

  adminAction(
    things.command('create').description('create a thing (repeating it with the same settings is no error)').argument('<thing>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .option('--type <type>', 'its thing type (it must exist and not be deprecated)')
      .option('--attribute <name=value>', 'an attribute; repeat it for more (50 at most)', collectAttribute, {})
      .option('--billing-group <group>', 'its billing group'),
    async ({ api, json, args, options, print, printJson }) => {
      const attributes = attributesOption(options);
      const body = {
        ...(typeof options['type'] === 'string' ? { thingTypeName: options['type'] } : {}),
        ...(attributes === undefined ? {} : { attributePayload: { attributes } }),
        ...(typeof options['billingGroup'] === 'string' ? { billingGroupName: options['billingGroup'] } : {}),
      };
      const thing = (await api.request<ThingJson>('POST', registryPath(options, 'things', args[0]), body))!;
      if (json) return printJson(thing);
      print(`Thing "${thing.thingName}" of tenant "${thing.tenant}" is at version ${thing.version} (id ${thing.thingId})\n`);
    },
  );

  adminAction(
    things.command('update').description('update a thing: its type and attributes; one version on each time').argument('<thing>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .option('--type <type>', 'give it this thing type')
      .option('--remove-type', 'take its thing type away')
      .option('--attribute <name=value>', 'an attribute; repeat it for more. Without --merge they replace all its attributes', collectAttribute, {})
      .option('--merge', 'merge the attributes into its own; name= (empty) removes one')
      .option('--expected-version <n>', 'refuse the update unless the thing is at this version', parseVersion),
    async ({ api, json, args, options, print, printJson }) => {
      const attributes = attributesOption(options);
      const body = {
        ...(typeof options['type'] === 'string' ? { thingTypeName: options['type'] } : {}),
        ...(options['removeType'] === true ? { removeThingType: true } : {}),
        ...(attributes === undefined ? {} : { attributePayload: { attributes, ...(options['merge'] === true ? { merge: true } : {}) } }),
        ...expectedVersionBody(options),
      };
      const thing = (await api.request<ThingJson>('PATCH', registryPath(options, 'things', args[0]), body))!;
      if (json) return printJson(thing);
      print(`Thing "${thing.thingName}" is at version ${thing.version}\n`);
    },
  );

  adminAction(
    things.command('delete').description('delete a thing (its certificates are detached); a thing that does not exist is no error').argument('<thing>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .option('--expected-version <n>', 'refuse unless the thing is at this version', parseVersion),
    async ({ api, json, args, options, print, printJson }) => {
      await api.request('DELETE', `${registryPath(options, 'things', args[0])}${expectedVersionQuery(options)}`);
      if (json) return printJson({ deleted: args[0] });
      print(`Deleted thing "${String(args[0])}"\n`);
    },
  );

  adminAction(
    things.command('bulk-create').description('create many things from a JSON file: an array of {thingName, thingTypeName?, attributePayload?, billingGroupName?}')
      .requiredOption('--tenant <tenant>', 'tenant')
      .requiredOption('--file <file>', 'the JSON file'),
    async ({ api, json, options, print, printJson }) => {
      const file = String(options['file']);
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readInputFile('--file', file));
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(`Cannot read --file ${file}: it is not JSON (${error instanceof Error ? error.message : String(error)})`);
      }
      const body = Array.isArray(parsed) ? { things: parsed } : parsed;
      const answer = (await api.request<BulkCreateJson>('POST', registryPath(options, 'things', 'bulk'), body))!;
      if (json) return printJson(answer);
      print(formatTable(['NAME', 'STATUS', 'RESULT'], answer.results.map((r) => [r.thingName, r.status, r.error?.message ?? (r.status === 201 ? 'created' : 'existed alike')])));
      const failed = answer.results.filter((result) => result.status >= 400).length;
      if (failed > 0) {
        process.stderr.write(`Error: ${failed} of ${answer.results.length} things were not created\n`);
        process.exitCode = 1;
      }
    },
  );

  adminAction(
    things.command('groups').description('list the thing groups a thing belongs to').argument('<thing>').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const answer = (await api.request<{ items: { groupName: string; groupArn: string }[] }>('GET', registryPath(options, 'things', args[0], 'thing-groups')))!;
      if (json) return printJson(answer);
      if (answer.items.length === 0) return print('No thing groups\n');
      print(formatTable(['GROUP', 'ARN'], answer.items.map((group) => [group.groupName, group.groupArn])));
    },
  );

  registerThingConnectivityCommand(things);
}

