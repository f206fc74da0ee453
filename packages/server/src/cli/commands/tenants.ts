/** `gatehouse tenants list|create|show|update|delete`: the tenants, each what an AWS account is to AWS IoT. */
import { InvalidArgumentError, type Command } from 'commander';
import { adminAction, adminGroup, moreHint, parsePositiveInt } from '../admin-command.js';
import type { Page, TenantJson } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';

const statuses = ['ACTIVE', 'SUSPENDED'] as const;

function parseStatus(value: string): (typeof statuses)[number] {
  const upper = value.toUpperCase();
  if (upper === 'ACTIVE' || upper === 'SUSPENDED') return upper;
  throw new InvalidArgumentError(`"${value}" is not a tenant status (ACTIVE or SUSPENDED)`);
}

export function registerTenantsCommands(program: Command): void {
  const tenants = adminGroup(program, 'tenants', 'tenants: their own things, certificates, policies and topics');
  const path = (id?: unknown): string => `/v1/tenants${id === undefined ? '' : `/${encodeURIComponent(String(id))}`}`;

  adminAction(
    tenants.command('list').description('list tenants, ordered by id')
      .option('--limit <n>', 'tenants per page, 1-1000', parsePositiveInt, 100)
      .option('--cursor <cursor>', 'continue after this cursor (printed under a full page)'),
    async ({ api, json, options, print, printJson }) => {
      const query = new URLSearchParams({ limit: String(options['limit']) });
      if (typeof options['cursor'] === 'string') query.set('cursor', options['cursor']);
      const page = (await api.request<Page<TenantJson>>('GET', `${path()}?${query}`))!;
      if (json) return printJson(page);
      if (page.items.length === 0) return print('No tenants\n');
      print(formatTable(['ID', 'NAME', 'STATUS', 'CREATED'], page.items.map((t) => [t.id, t.name, t.status, t.createdAt])) + moreHint(page.nextCursor));
    },
  );

  adminAction(
    tenants.command('create').description('create a tenant').argument('<id>', 'tenant id: letters, digits and _ . : -')
      .option('--name <name>', 'a name for people')
      .option('--status <status>', 'ACTIVE (default) or SUSPENDED', parseStatus),
    async ({ api, json, args, options, print, printJson }) => {
      const body = {
        id: String(args[0]),
        ...(typeof options['name'] === 'string' ? { name: options['name'] } : {}),
        ...(typeof options['status'] === 'string' ? { status: options['status'] } : {}),
      };
      const tenant = (await api.request<TenantJson>('POST', path(), body))!;
      if (json) return printJson(tenant);
      print(`Created tenant "${tenant.id}"${tenant.name === undefined ? '' : ` (${tenant.name})`}, ${tenant.status}\n`);
    },
  );

  adminAction(
    tenants.command('show').description('show one tenant').argument('<id>'),
    async ({ api, json, args, print, printJson }) => {
      const tenant = (await api.request<TenantJson>('GET', path(args[0])))!;
      if (json) return printJson(tenant);
      print(formatFields([['id', tenant.id], ['name', tenant.name], ['status', tenant.status], ['created', tenant.createdAt], ['updated', tenant.updatedAt]]));
    },
  );

  adminAction(
    tenants.command('update').description('rename a tenant or change its status').argument('<id>')
      .option('--name <name>', 'a new name for people')
      .option('--no-name', 'remove the name')
      .option('--status <status>', 'ACTIVE or SUSPENDED', parseStatus),
    async ({ api, json, args, options, print, printJson }) => {
      const name = options['name'];
      const body = {
        ...(typeof name === 'string' ? { name } : name === false ? { name: null } : {}),
        ...(typeof options['status'] === 'string' ? { status: options['status'] } : {}),
      };
      const tenant = (await api.request<TenantJson>('PATCH', path(args[0]), body))!;
      if (json) return printJson(tenant);
      print(`Updated tenant "${tenant.id}"${tenant.name === undefined ? '' : ` (${tenant.name})`}, ${tenant.status}\n`);
    },
  );

  adminAction(
    tenants.command('delete').description('delete a tenant; refused while it still has certificates or things').argument('<id>'),
    async ({ api, json, args, print, printJson }) => {
      await api.request('DELETE', path(args[0]));
      if (json) return printJson({ deleted: args[0] });
      print(`Deleted tenant "${String(args[0])}"\n`);
    },
  );
}
