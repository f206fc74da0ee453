/** `gatehouse clients list|get|kick`: connected MQTT clients. */
import type { Command } from 'commander';
import { adminAction, adminGroup, listOptions, listQuery, moreHint, tenantOption, tenantQuery } from '../admin-command.js';
import type { ClientJson, Page } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';

export function registerClientsCommands(program: Command): void {
  const clients = adminGroup(program, 'clients', 'connected MQTT clients');

  adminAction(listOptions(clients.command('list').description('list connected clients')), async ({ api, json, options, print, printJson }) => {
    const page = (await api.request<Page<ClientJson>>('GET', `/v1/clients${listQuery(options)}`))!;
    if (json) return printJson(page);
    if (page.items.length === 0) return print('No clients connected\n');
    print(formatTable(
      ['CLIENT ID', 'MQTT', 'ADDRESS', 'CONNECTED AT', 'SUBS', 'INFLIGHT', 'QUEUED', 'MSG IN', 'MSG OUT'],
      page.items.map((c) => [c.clientId, mqttVersion(c.protocolVersion), address(c), c.connectedAt, c.subscriptions, c.inflight, c.queued, c.messagesIn, c.messagesOut]),
    ) + moreHint(page.nextCursor));
  });

  adminAction(tenantOption(clients.command('get').description('show one connected client').argument('<clientId>')), async ({ api, json, args, options, print, printJson }) => {
    const client = (await api.request<ClientJson>('GET', `/v1/clients/${encodeURIComponent(String(args[0]))}${tenantQuery(options)}`))!;
    if (json) return printJson(client);
    print(formatFields([
      ['client id', client.clientId],
      ['mqtt', mqttVersion(client.protocolVersion)],
      ['address', address(client)],
      ['listener', `${client.peer.listener} (${client.peer.transport})`],
      ['username', client.username],
      ['connected at', client.connectedAt],
      ['keepalive', `${client.keepAlive}s`],
      ['clean start', client.cleanStart],
      ['session expiry', `${client.sessionExpiryInterval}s`],
      ['subscriptions', client.subscriptions],
      ['inflight', client.inflight],
      ['queued', client.queued],
      ['messages in/out', `${client.messagesIn} / ${client.messagesOut}`],
      ['bytes in/out', `${client.bytesIn} / ${client.bytesOut}`],
    ]));
  });

  adminAction(tenantOption(clients.command('kick').description('disconnect a client (its session stays)').argument('<clientId>')), async ({ api, json, args, options, print, printJson }) => {
    const clientId = String(args[0]);
    await api.request('DELETE', `/v1/clients/${encodeURIComponent(clientId)}${tenantQuery(options)}`);
    if (json) return printJson({ clientId, disconnected: true });
    print(`Disconnected client "${clientId}"\n`);
  });
}

export function mqttVersion(protocolVersion: number): string {
  return protocolVersion === 5 ? '5.0' : protocolVersion === 4 ? '3.1.1' : '3.1';
}

function address(client: ClientJson): string {
  const host = client.peer.remoteAddress.includes(':') ? `[${client.peer.remoteAddress}]` : client.peer.remoteAddress;
  return `${host}:${client.peer.remotePort}`;
}
