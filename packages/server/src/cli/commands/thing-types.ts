/** `gatehouse types list|show|create|deprecate|undeprecate|delete`: thing types, as AWS keeps them. */
import type { Command } from 'commander';
import { adminAction, adminGroup, moreHint } from '../admin-command.js';
import type { Page, ThingTypeJson } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';
import { collectValue, pageOptions, pageQuery, registryPath } from '../registry-options.js';

/**
 * @example
 * // gatehouse types create camera --searchable-attribute site --tenant acme
 * registerThingTypesCommands(program);
 */
export function registerThingTypesCommands(program: Command): void {
  const types = adminGroup(program, 'types', 'thing types: deprecate one before deleting it, which only works once no thing has it');

  adminAction(
    pageOptions(types.command('list').description("list a tenant's thing types").requiredOption('--tenant <tenant>', 'tenant')),
    async ({ api, json, options, print, printJson }) => {
      const page = (await api.request<Page<ThingTypeJson>>('GET', `${registryPath(options, 'thing-types')}${pageQuery(options)}`))!;
      if (json) return printJson(page);
      if (page.items.length === 0) return print('No thing types\n');
      print(formatTable(['NAME', 'DEPRECATED', 'SEARCHABLE', 'DESCRIPTION'], page.items.map((t) => [
        t.thingTypeName, t.thingTypeMetadata.deprecated ? t.thingTypeMetadata.deprecationDate ?? 'yes' : 'no', t.thingTypeProperties.searchableAttributes.join(','), t.thingTypeProperties.thingTypeDescription ?? '',
      ])) + moreHint(page.nextCursor));
    },
  );

  adminAction(
    types.command('show').description('show one thing type').argument('<name>').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const type = (await api.request<ThingTypeJson>('GET', registryPath(options, 'thing-types', args[0])))!;
      if (json) return printJson(type);
      print(formatFields([
        ['name', type.thingTypeName],
        ['tenant', type.tenant],
        ['id', type.thingTypeId],
        ['arn', type.thingTypeArn],
        ['description', type.thingTypeProperties.thingTypeDescription],
        ['searchable', type.thingTypeProperties.searchableAttributes.join(', ')],
        ['deprecated', type.thingTypeMetadata.deprecationDate ?? 'no'],
        ['created', type.thingTypeMetadata.creationDate],
      ]));
    },
  );

  adminAction(
    types.command('create').description('create a thing type').argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .option('--description <text>', 'what the type is')
      .option('--searchable-attribute <name>', 'an attribute meant for searching; repeat it (3 at most)', collectValue, []),
    async ({ api, json, args, options, print, printJson }) => {
      const searchable = options['searchableAttribute'] as string[];
      const body = { thingTypeProperties: { ...(typeof options['description'] === 'string' ? { thingTypeDescription: options['description'] } : {}), ...(searchable.length === 0 ? {} : { searchableAttributes: searchable }) } };
      const type = (await api.request<ThingTypeJson>('POST', registryPath(options, 'thing-types', args[0]), body))!;
      if (json) return printJson(type);
      print(`Thing type "${type.thingTypeName}" of tenant "${type.tenant}" (id ${type.thingTypeId})\n`);
    },
  );

  for (const [verb, undo] of [['deprecate', false], ['undeprecate', true]] as const) {
    adminAction(
      types.command(verb).description(undo ? 'take a deprecation back' : 'deprecate a thing type: no new thing may get it').argument('<name>').requiredOption('--tenant <tenant>', 'tenant'),
      async ({ api, json, args, options, print, printJson }) => {
        const type = (await api.request<ThingTypeJson>('POST', registryPath(options, 'thing-types', args[0], 'deprecate'), { undoDeprecate: undo }))!;
        if (json) return printJson(type);
        print(`Thing type "${type.thingTypeName}" is ${type.thingTypeMetadata.deprecated ? 'deprecated' : 'not deprecated'}\n`);
      },
    );
  }

  adminAction(
    types.command('delete').description('delete a deprecated thing type that no thing has').argument('<name>').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      await api.request('DELETE', registryPath(options, 'thing-types', args[0]));
      if (json) return printJson({ deleted: args[0] });
      print(`Deleted thing type "${String(args[0])}"\n`);
    },
  );
}
