/** `gatehouse events get|set`: which registry events a tenant publishes on its `$aws/events/...` topics. */
import { InvalidArgumentError, type Command } from 'commander';
import { CliError } from '../admin-client.js';
import { adminAction, adminGroup } from '../admin-command.js';
import type { EventConfigurationsJson } from '../api-types.js';
import { formatTable } from '../format-table.js';
import { registryPath } from '../registry-options.js';

/** `THING,thing_group` → `['THING', 'THING_GROUP']`. */
function parseTypes(value: string): string[] {
  const types = value.split(',').map((type) => type.trim().toUpperCase()).filter((type) => type !== '');
  if (types.length === 0) throw new InvalidArgumentError(`"${value}" names no event type`);
  return types;
}

function eventTable(answer: EventConfigurationsJson): string {
  return formatTable(['EVENT TYPE', 'ENABLED'], Object.entries(answer.eventConfigurations).map(([type, setting]) => [type, setting.Enabled ? 'yes' : 'no']));
}

/**
 * @example
 * // gatehouse events set --enable THING,THING_GROUP_MEMBERSHIP --tenant acme
 * registerEventsCommands(program);
 */
export function registerEventsCommands(program: Command): void {
  const events = adminGroup(program, 'events', "registry events: which of AWS's event types a tenant publishes (all off until turned on)");

  adminAction(
    events.command('get').description('show which registry event types the tenant publishes').requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, options, print, printJson }) => {
      const answer = (await api.request<EventConfigurationsJson>('GET', registryPath(options, 'event-configurations')))!;
      if (json) return printJson(answer);
      print(eventTable(answer));
    },
  );

  adminAction(
    events.command('set').description('turn registry event types on or off; the ones not named stay as they are')
      .requiredOption('--tenant <tenant>', 'tenant')
      .option('--enable <types>', 'comma-separated: THING, THING_GROUP, THING_TYPE, THING_TYPE_ASSOCIATION, THING_GROUP_MEMBERSHIP, THING_GROUP_HIERARCHY', parseTypes)
      .option('--disable <types>', 'comma-separated, as --enable', parseTypes),
    async ({ api, json, options, print, printJson }) => {
      const enable = (options['enable'] as string[] | undefined) ?? [];
      const disable = (options['disable'] as string[] | undefined) ?? [];
      if (enable.length + disable.length === 0) throw new CliError('Cannot set event configurations: give --enable or --disable');
      const eventConfigurations = Object.fromEntries([...enable.map((type) => [type, { Enabled: true }]), ...disable.map((type) => [type, { Enabled: false }])]);
      const answer = (await api.request<EventConfigurationsJson>('PATCH', registryPath(options, 'event-configurations'), { eventConfigurations }))!;
      if (json) return printJson(answer);
      print(eventTable(answer));
    },
  );
}
