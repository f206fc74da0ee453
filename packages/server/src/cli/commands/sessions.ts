/** `gatehouse sessions list|get|delete`: sessions, connected or waiting for their client. */
import type { Command } from 'commander';
import { adminAction, adminGroup, listOptions, listQuery, moreHint, tenantOption, tenantQuery } from '../admin-command.js';
import type { Page, SessionJson } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';
import { mqttVersion } from './clients.js';

const NEVER = 0xffffffff;

export function registerSessionsCommands(program: Command): void {
  const sessions = adminGroup(program, 'sessions', 'MQTT sessions, connected or not');

  adminAction(listOptions(sessions.command('list').description('list sessions')), async ({ api, json, options, print, printJson }) => {
    const page = (await api.request<Page<SessionJson>>('GET', `/v1/sessions${listQuery(options)}`))!;
    if (json) return printJson(page);
    if (page.items.length === 0) return print('No sessions\n');
    print(formatTable(
      ['CLIENT ID', 'CONNECTED', 'MQTT', 'EXPIRY', 'SUBS', 'QUEUED', 'INFLIGHT', 'EXPIRES AT'],
      page.items.map((s) => [s.clientId, s.connected ? 'yes' : 'no', mqttVersion(s.protocolVersion), expiry(s.expiryInterval), s.subscriptions.length, s.queued, s.inflight, s.expiresAt]),
    ) + moreHint(page.nextCursor));
  });

  adminAction(tenantOption(sessions.command('get').description('show one session and its subscriptions').argument('<clientId>')), async ({ api, json, args, options, print, printJson }) => {
    const session = (await api.request<SessionJson>('GET', `/v1/sessions/${encodeURIComponent(String(args[0]))}${tenantQuery(options)}`))!;
    if (json) return printJson(session);
    print(formatFields([
      ['client id', session.clientId],
      ['connected', session.connected],
      ['mqtt', mqttVersion(session.protocolVersion)],
      ['expiry', expiry(session.expiryInterval)],
      ['disconnected at', session.disconnectedAt],
      ['expires at', session.expiresAt],
      ['queued', session.queued],
      ['inflight', session.inflight],
    ]));
    if (session.subscriptions.length > 0) {
      print('\n' + formatTable(
        ['FILTER', 'QOS', 'NO LOCAL', 'RETAIN AS PUBLISHED', 'RETAIN HANDLING'],
        session.subscriptions.map(({ filter, options }) => [filter, options.qos, options.noLocal, options.retainAsPublished, options.retainHandling]),
      ));
    }
  });

  adminAction(tenantOption(sessions.command('delete').description('delete a session, disconnecting its client').argument('<clientId>')), async ({ api, json, args, options, print, printJson }) => {
    const clientId = String(args[0]);
    await api.request('DELETE', `/v1/sessions/${encodeURIComponent(clientId)}${tenantQuery(options)}`);
    if (json) return printJson({ clientId, deleted: true });
    print(`Deleted session "${clientId}"\n`);
  });
}

function expiry(seconds: number): string {
  return seconds === NEVER ? 'never' : `${seconds}s`;
}
