/** `gatehouse things connectivity <thing>`: whether a thing is connected, since when, and why it last disconnected. */
import type { Command } from 'commander';
import { adminAction } from '../admin-command.js';
import type { ThingConnectivityJson } from '../api-types.js';

/**
 * Adds `connectivity <thing> --tenant T` to the `things` command group.
 *
 * @example
 * // gatehouse things connectivity agent-7 --tenant acme
 * // agent-7 is connected since 2026-11-24T09:12:03.512Z (last disconnect: MQTT_KEEP_ALIVE_TIMEOUT)
 * registerThingConnectivityCommand(things);
 */
export function registerThingConnectivityCommand(things: Command): void {
  adminAction(
    things.command('connectivity').description("show whether a thing is connected, since when, and the reason of its last disconnect (AWS GetThingConnectivityData)").argument('<thing>')
      .requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const path = `/v1/tenants/${encodeURIComponent(String(options['tenant']))}/things/${encodeURIComponent(String(args[0]))}/connectivity`;
      const answer = (await api.request<ThingConnectivityJson>('GET', path))!;
      if (json) return printJson(answer);
      print(`${describeConnectivity(answer)}\n`);
    },
  );
}

/** One line for people: state, since when, and the last disconnect's reason when there was one. */
export function describeConnectivity(answer: ThingConnectivityJson): string {
  const state = answer.connected ? 'connected' : 'disconnected';
  if (answer.timestamp === undefined) return `${answer.thingName} is ${state} (it never connected)`;
  const since = `${answer.thingName} is ${state} since ${new Date(answer.timestamp).toISOString()}`;
  if (answer.disconnectReason === undefined) return since;
  return answer.connected ? `${since} (last disconnect: ${answer.disconnectReason})` : `${since} (${answer.disconnectReason})`;
}
