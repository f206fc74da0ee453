/** `gatehouse audit list`: who changed which policy, certificate, CA or tenant, when and from where. */
import { InvalidArgumentError, type Command } from 'commander';
import { adminAction, adminGroup, moreHint, parsePositiveInt } from '../admin-command.js';
import type { AuditEntryJson, Page } from '../api-types.js';
import { formatTable } from '../format-table.js';

/** `--since`: an ISO time, or a duration back from now (`15m`, `2h`, `7d`). */
function parseSince(value: string): string {
  const ago = /^(\d+)([smhd])$/.exec(value);
  if (ago !== null) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(Date.now() - Number(ago[1]) * unit).toISOString();
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new InvalidArgumentError(`"${value}" is neither a time (2025-06-01T12:00:00Z) nor a duration back from now (15m, 2h, 7d)`);
  return new Date(at).toISOString();
}

/** `key=value` pairs of the details on one line (white space folded); values past 70 characters are cut (`--json` has them whole). */
function detailsText(details: AuditEntryJson['details']): string {
  return Object.entries(details)
    .map(([key, value]) => {
      const text = (typeof value === 'string' ? value : JSON.stringify(value)).replace(/\s+/g, ' ');
      return `${key}=${text.length > 70 ? `${text.slice(0, 69)}…` : text}`;
    })
    .join(' ');
}

export function registerAuditCommands(program: Command): void {
  const audit = adminGroup(program, 'audit', 'the audit log of admin changes to policies, certificates, CAs and tenants');

  adminAction(
    audit.command('list').description('list audit entries, newest first')
      .option('--tenant <tenant>', "only this tenant's entries")
      .option('--since <time>', 'only entries from this time on: ISO time or a duration back from now (15m, 2h, 7d)', parseSince)
      .option('--limit <n>', 'entries per page, 1-1000', parsePositiveInt, 100)
      .option('--cursor <cursor>', 'continue after this cursor (printed under a full page)'),
    async ({ api, json, options, print, printJson }) => {
      const query = new URLSearchParams({ limit: String(options['limit']) });
      for (const name of ['tenant', 'since', 'cursor']) if (typeof options[name] === 'string') query.set(name, options[name]);
      const page = (await api.request<Page<AuditEntryJson>>('GET', `/v1/audit?${query}`))!;
      if (json) return printJson(page);
      if (page.items.length === 0) return print('No audit entries\n');
      print(formatTable(
        ['AT', 'ACTOR', 'FROM', 'ACTION', 'TENANT', 'TARGET', 'DETAILS'],
        page.items.map((entry) => [entry.at, entry.actor, entry.sourceIp, entry.action, entry.tenant, entry.target, detailsText(entry.details)]),
      ) + moreHint(page.nextCursor));
    },
  );
}
