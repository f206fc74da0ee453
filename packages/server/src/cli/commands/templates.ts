/** `gatehouse templates list|show|put|delete`: the AWS-style provisioning templates things are made from. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from '../admin-client.js';
import { adminAction, adminGroup } from '../admin-command.js';
import type { ProvisioningTemplateJson } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';

export function registerTemplatesCommands(program: Command): void {
  const templates = adminGroup(program, 'templates', 'provisioning templates (JITP, registration tokens, fleet provisioning)');
  const path = (options: Readonly<Record<string, unknown>>, name?: unknown): string =>
    `/v1/tenants/${encodeURIComponent(String(options['tenant']))}/provisioning-templates${name === undefined ? '' : `/${encodeURIComponent(String(name))}`}`;

  adminAction(
    templates.command('list').description("list a tenant's provisioning templates")
      .requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, options, print, printJson }) => {
      const answer = (await api.request<{ items: ProvisioningTemplateJson[] }>('GET', path(options)))!;
      if (json) return printJson(answer);
      if (answer.items.length === 0) return print('No provisioning templates\n');
      print(formatTable(
        ['NAME', 'ENABLED', 'RESOURCES', 'UPDATED'],
        answer.items.map((t) => [t.name, t.enabled ? 'yes' : 'no', resourceSummary(t.templateBody), t.updatedAt]),
      ));
    },
  );

  adminAction(
    templates.command('show').description('show one provisioning template and its body').argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      const template = (await api.request<ProvisioningTemplateJson>('GET', path(options, args[0])))!;
      if (json) return printJson(template);
      print(formatFields([
        ['name', template.name],
        ['tenant', template.tenant],
        ['enabled', template.enabled ? 'yes' : 'no'],
        ['resources', resourceSummary(template.templateBody)],
        ['pre-provisioning hook', template.preProvisioningHook?.url],
        ['created', template.createdAt],
        ['updated', template.updatedAt],
      ]) + `${JSON.stringify(template.templateBody, null, 2)}\n`);
    },
  );

  adminAction(
    templates.command('put').description('create or replace a provisioning template from a JSON file (the template body, as AWS writes it); problems are listed and nothing is saved')
      .argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant')
      .requiredOption('--file <file>', 'the template body, JSON')
      .option('--disabled', 'save it disabled: it provisions nothing until put again without --disabled')
      .option('--hook-url <url>', 'pre-provisioning hook asked before fleet provisioning goes ahead'),
    async ({ api, json, args, options, print, printJson }) => {
      const file = String(options['file']);
      const body = {
        templateBody: await readTemplateFile(file),
        enabled: options['disabled'] !== true,
        ...(typeof options['hookUrl'] === 'string' ? { preProvisioningHook: { url: options['hookUrl'] } } : {}),
      };
      const template = (await api.request<ProvisioningTemplateJson>('PUT', path(options, args[0]), body))!;
      if (json) return printJson(template);
      const verb = template.createdAt === template.updatedAt ? 'Created' : 'Replaced';
      print(`${verb} provisioning template "${template.name}" of tenant "${template.tenant}" (${template.enabled ? 'enabled' : 'disabled'}; ${resourceSummary(template.templateBody)})\n`);
    },
  );

  adminAction(
    templates.command('delete').description('delete a provisioning template (things it made stay)').argument('<name>')
      .requiredOption('--tenant <tenant>', 'tenant'),
    async ({ api, json, args, options, print, printJson }) => {
      await api.request('DELETE', path(options, args[0]));
      if (json) return printJson({ deleted: args[0] });
      print(`Deleted provisioning template "${String(args[0])}"\n`);
    },
  );
}

/** The file's text, sent as is: the server parses and checks it and names every problem. */
async function readTemplateFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CliError(`Cannot read --file ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? String(error)}`);
  }
}

/** "thing, certificate, 2 policies": what a template's Resources make. */
function resourceSummary(body: { readonly [key: string]: unknown }): string {
  const resources = body['Resources'];
  if (typeof resources !== 'object' || resources === null) return 'none';
  const types = Object.values(resources).map((resource) => String((resource as { Type?: unknown }).Type ?? '').replace('AWS::IoT::', '').toLowerCase());
  const counts = new Map<string, number>();
  for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
  const parts = [...counts].map(([type, n]) => (n === 1 ? type : `${n} ${type === 'policy' ? 'policies' : `${type}s`}`));
  return parts.length === 0 ? 'none' : parts.join(', ');
}
