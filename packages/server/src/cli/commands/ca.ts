/** `gatehouse ca list|show|registration-code|register|deactivate|activate|crl`: a tenant's registered CAs. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { adminAction, adminGroup } from '../admin-command.js';
import { CliError } from '../admin-client.js';
import type { CaJson, CaStatusChangeJson, RegistrationCodeJson } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';
import { readInputFile } from '../read-input-file.js';
import { closedText } from './certs.js';

export function registerCaCommands(program: Command): void {
  const ca = adminGroup(program, 'ca', "a tenant's CAs: Gatehouse's own and customer CAs");
  const tenantOption = (command: Command): Command => command.option('--tenant <tenant>', 'tenant (default: identity.defaultTenant)');

  adminAction(tenantOption(ca.command('list').description("list a tenant's registered CAs")), async ({ api, json, options, print, printJson }) => {
    const list = (await api.request<{ items: CaJson[] }>('GET', `/v1/cas${tenantQuery(options)}`))!;
    if (json) return printJson(list);
    if (list.items.length === 0) return print('No CAs\n');
    print(formatTable(
      ['ID', 'KIND', 'STATUS', 'AUTO-REGISTER', 'NOT AFTER', 'SUBJECT'],
      list.items.map((c) => [c.id, c.kind, c.status, c.autoRegistration ? 'yes' : 'no', c.notAfter, c.subject]),
    ));
  });

  adminAction(tenantOption(ca.command('show').description('show one registered CA').argument('<id>')), async ({ api, json, args, options, print, printJson }) => {
    const record = (await api.request<CaJson>('GET', `/v1/cas/${encodeURIComponent(String(args[0]))}${tenantQuery(options)}`))!;
    if (json) return printJson(record);
    print(formatFields([
      ['id', record.id],
      ['tenant', record.tenant],
      ['kind', record.kind],
      ['status', record.status],
      ['auto-register', record.autoRegistration],
      ['template', record.provisioningTemplate],
      ['subject', record.subject],
      ['not after', record.notAfter],
      ['created at', record.createdAt],
    ]) + record.certificatePem);
  });

  adminAction(
    tenantOption(ca.command('registration-code').description("print the tenant's registration code: the CN of the verification certificate your CA signs")),
    async ({ api, json, options, print, printJson }) => {
      const answer = (await api.request<RegistrationCodeJson>('GET', `/v1/cas/registration-code${tenantQuery(options)}`))!;
      if (json) return printJson(answer);
      // The code alone on stdout, so `$(gatehouse ca registration-code)` gets it.
      print(`${answer.registrationCode}\n`);
    },
  );

  adminAction(
    tenantOption(ca.command('register')
      .description('register a customer CA, proving you hold its key with a verification certificate it signed')
      .requiredOption('--ca-cert <file>', 'the CA certificate, PEM')
      .requiredOption('--verification-cert <file>', 'a certificate the CA signed whose CN is the registration code, PEM')
      .option('--auto-register', 'register unknown certificates it signed when they first connect (JITP)')
      .option('--template <name>', 'provisioning template that JITP applies')),
    async ({ api, json, options, print, printJson }) => {
      const body = {
        caCertificatePem: await readInputFile('--ca-cert', String(options['caCert'])),
        verificationCertificatePem: await readInputFile('--verification-cert', String(options['verificationCert'])),
        ...(typeof options['tenant'] === 'string' ? { tenant: options['tenant'] } : {}),
        ...(options['autoRegister'] === true ? { autoRegistration: true } : {}),
        ...(typeof options['template'] === 'string' ? { provisioningTemplate: options['template'] } : {}),
      };
      const record = (await api.request<CaJson>('POST', '/v1/cas', body))!;
      if (json) return printJson(record);
      print(`Registered CA ${record.id} for tenant "${record.tenant}" (${record.status}, auto-registration ${record.autoRegistration ? 'on' : 'off'})\n`);
    },
  );

  for (const [verb, description, done] of [
    ['deactivate', "deactivate a CA: its certificates are refused and their live connections closed", 'Deactivated'],
    ['activate', 'activate a CA again', 'Activated'],
  ] as const) {
    adminAction(tenantOption(ca.command(verb).description(description).argument('<id>')), async ({ api, json, args, options, print, printJson }) => {
      const change = (await api.request<CaStatusChangeJson>('POST', `/v1/cas/${encodeURIComponent(String(args[0]))}/${verb}${tenantQuery(options)}`))!;
      if (json) return printJson(change);
      print(`${done} CA ${change.ca.id}: ${change.ca.status}${closedText(change.disconnected)}\n`);
    });
  }

  adminAction(
    tenantOption(ca.command('crl')
      .description("fetch the CRL of Gatehouse's own CA: PEM on stdout, or DER into --out")
      .argument('<id>')
      .option('--out <file>', 'write the CRL to this file, DER (PEM with --pem)')
      .option('--pem', 'PEM rather than DER in --out')),
    async ({ api, json, args, options, print }) => {
      const out = typeof options['out'] === 'string' ? options['out'] : undefined;
      const pem = out === undefined || options['pem'] === true;
      if (json) throw new CliError('A CRL is not JSON: use --out FILE, or no flag for PEM on stdout');
      const query = new URLSearchParams();
      if (typeof options['tenant'] === 'string') query.set('tenant', options['tenant']);
      if (pem) query.set('format', 'pem');
      const text = query.toString();
      const crl = await api.download(`/v1/cas/${encodeURIComponent(String(args[0]))}/crl${text.length === 0 ? '' : `?${text}`}`);
      if (out === undefined) return print(crl.toString('utf8'));
      await writeFile(out, crl);
      process.stderr.write(`Wrote the CRL (${pem ? 'PEM' : 'DER'}, ${crl.length} bytes) to ${out}\n`);
    },
  );
}

function tenantQuery(options: Readonly<Record<string, unknown>>): string {
  return typeof options['tenant'] === 'string' ? `?tenant=${encodeURIComponent(options['tenant'])}` : '';
}
