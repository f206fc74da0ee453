/** `gatehouse stats`: the broker's counters. */
import type { Command } from 'commander';
import { adminAction } from '../admin-command.js';
import type { StatsJson } from '../api-types.js';
import { formatFields, type Cell } from '../format-table.js';

export function registerStatsCommand(program: Command): void {
  adminAction(program.command('stats').description("show the broker's counters"), async ({ api, json, print, printJson }) => {
    const stats = (await api.request<StatsJson>('GET', '/v1/stats'))!;
    if (json) return printJson(stats);
    const fields: (readonly [string, Cell])[] = [
      ['connections', stats.connections],
      ['connections total', stats.connectionsTotal],
      ['sessions', stats.sessions],
      ['subscriptions', stats.subscriptions],
      ['retained messages', stats.retainedMessages],
      ['messages in (qos 0/1/2)', stats.messagesIn.join(' / ')],
      ['messages out (qos 0/1/2)', stats.messagesOut.join(' / ')],
      ['bytes in', stats.bytesIn],
      ['bytes out', stats.bytesOut],
      ['queued messages', stats.queuedMessages],
      ['inflight messages', stats.inflightMessages],
      ['store commits', stats.storeCommits],
      ['store commit ops', stats.storeCommitOps],
      ...Object.entries(stats.drops).map(([reason, n]) => [`dropped: ${reason}`, n] as const),
      ...Object.entries(stats.disconnects).map(([reason, n]) => [`disconnects: ${reason}`, n] as const),
    ];
    print(formatFields(fields));
  });
}
