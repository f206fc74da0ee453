/** `gatehouse retained list|get|delete`: retained messages by topic. */
import type { Command } from 'commander';
import { adminAction, adminGroup, listOptions, listQuery, moreHint, tenantOption, tenantQuery } from '../admin-command.js';
import type { Page, RetainedJson } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function registerRetainedCommands(program: Command): void {
  const retained = adminGroup(program, 'retained', 'retained messages');

  adminAction(listOptions(retained.command('list').description('list retained messages')), async ({ api, json, options, print, printJson }) => {
    const page = (await api.request<Page<RetainedJson>>('GET', `/v1/retained${listQuery(options)}`))!;
    if (json) return printJson(page);
    if (page.items.length === 0) return print('No retained messages\n');
    print(formatTable(
      ['TOPIC', 'QOS', 'BYTES', 'STORED AT', 'EXPIRES AT'],
      page.items.map((m) => [m.topic, m.qos, m.payloadSize, m.storedAt, m.expiresAt]),
    ) + moreHint(page.nextCursor));
  });

  adminAction(tenantOption(retained.command('get').description('show the retained message of a topic').argument('<topic>')), async ({ api, json, args, options, print, printJson }) => {
    const message = (await api.request<RetainedJson>('GET', retainedPath(String(args[0])) + tenantQuery(options)))!;
    if (json) return printJson(message);
    print(formatFields([
      ['topic', message.topic],
      ['qos', message.qos],
      ['bytes', message.payloadSize],
      ['stored at', message.storedAt],
      ['expires at', message.expiresAt],
      ['content type', message.properties?.contentType],
      ['payload', payloadText(message.payload)],
    ]));
  });

  adminAction(tenantOption(retained.command('delete').description('delete the retained message of a topic').argument('<topic>')), async ({ api, json, args, options, print, printJson }) => {
    const topic = String(args[0]);
    await api.request('DELETE', retainedPath(topic) + tenantQuery(options));
    if (json) return printJson({ topic, deleted: true });
    print(`Deleted the retained message of "${topic}"\n`);
  });
}

/** Each level encoded, `/` kept: readable in logs and exact for `%`, `?`, `#` and spaces. */
function retainedPath(topic: string): string {
  return `/v1/retained/${topic.split('/').map(encodeURIComponent).join('/')}`;
}

/** UTF-8 text as it is; anything else as `base64:...` so binary never garbles the terminal. */
function payloadText(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  try {
    const text = utf8.decode(bytes);
    // Control characters other than tab and newline would garble a terminal as well.
    if (!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return text;
  } catch {
    // Not UTF-8: fall through to base64.
  }
  return `base64:${base64}`;
}
