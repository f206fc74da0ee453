/** `gatehouse role-aliases list|create|delete`: what agents trade their certificate for at the credentials endpoint. */
import { InvalidArgumentError, type Command } from 'commander';
import { adminAction, adminGroup } from '../admin-command.js';
import type { RoleAliasJson } from '../api-types.js';
import { formatTable } from '../format-table.js';

export function registerRoleAliasesCommands(program: Command): void {
  const aliases = adminGroup(program, 'role-aliases', 'role aliases for the credentials endpoint (temporary credentials for SigV4 WebSockets)');
  const path = (options: Readonly<Record<string, unknown>>, alias?: string): string =>
    `/v1/tenants/${encodeURIComponent(String(options['tenant']))}/role-aliases${alias === undefined ? '' : `/${encodeURIComponent(alias)}`}`;

  adminAction(
    aliases.command('list').description("list a tenant's role aliases")
      .requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, options, print, printJson }) => {
      const answer = (await api.request<{ items: RoleAliasJson[] }>('GET', path(options)))!;
      if (json) return printJson(answer);
      if (answer.items.length === 0) return print('No role aliases\n');
      print(formatTable(['ALIAS', 'DURATION (S)', 'ROLE ARN', 'UPDATED'], answer.items.map((a) => [a.alias, a.credentialDurationSeconds, a.roleArn, a.updatedAt])));
    },
  );

  adminAction(
    aliases.command('create').description('create or replace a role alias; agents then GET /role-aliases/<alias>/credentials with their certificate')
      .requiredOption('--tenant <tenant>', 'tenant')
      .requiredOption('--alias <alias>', 'alias name: 1-128 of letters, digits and _ = , @ -')
      .option('--duration <seconds>', 'lifetime of the credentials it hands out, 900-43200 (default 3600)', parseDuration)
      .option('--role-arn <arn>', 'role ARN kept on the record for AWS-shaped tooling'),
    async ({ api, json, options, print, printJson }) => {
      const body = {
        ...(typeof options['duration'] === 'number' ? { credentialDurationSeconds: options['duration'] } : {}),
        ...(typeof options['roleArn'] === 'string' ? { roleArn: options['roleArn'] } : {}),
      };
      const alias = (await api.request<RoleAliasJson>('PUT', path(options, String(options['alias'])), body))!;
      if (json) return printJson(alias);
      print(`Role alias "${alias.alias}" of tenant "${alias.tenant}": credentials last ${alias.credentialDurationSeconds} s\n`);
    },
  );

  adminAction(
    aliases.command('delete').description('delete a role alias (credentials already issued stay valid until they expire)')
      .requiredOption('--tenant <tenant>', 'tenant')
      .requiredOption('--alias <alias>', 'alias name'),
    async ({ api, json, options, print, printJson }) => {
      await api.request('DELETE', path(options, String(options['alias'])));
      if (json) return printJson({ deleted: options['alias'] });
      print(`Deleted role alias "${String(options['alias'])}"\n`);
    },
  );
}

function parseDuration(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 900 || n > 43200) throw new InvalidArgumentError(`"${value}" is not a whole number of seconds from 900 to 43200`);
  return n;
}
