/** `gatehouse certs list|show|register|revoke|deactivate|activate`: the device certificate registry. */
import { InvalidArgumentError, type Command } from 'commander';
import { adminAction, adminGroup, moreHint } from '../admin-command.js';
import type { CertificateJson, CertificateStatusChangeJson, Page } from '../api-types.js';
import { formatFields, formatTable } from '../format-table.js';
import { readInputFile } from '../read-input-file.js';

const statuses = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_ACTIVATION'];

export function registerCertsCommands(program: Command): void {
  const certs = adminGroup(program, 'certs', 'device certificates');

  adminAction(
    certs.command('list').description("list a tenant's device certificates")
      .option('--tenant <tenant>', 'tenant (default: identity.defaultTenant)')
      .option('--thing <name>', 'only this thing')
      .option('--status <status>', `only this status: ${statuses.join(', ')}`, parseStatus)
      .option('--limit <n>', 'items per page, 1-1000')
      .option('--cursor <cursor>', 'continue after this cursor (printed under a full page)'),
    async ({ api, json, options, print, printJson }) => {
      const query = new URLSearchParams();
      for (const name of ['tenant', 'thing', 'status', 'limit', 'cursor']) {
        const value = options[name];
        if (typeof value === 'string') query.set(name, value);
      }
      const text = query.toString();
      const page = (await api.request<Page<CertificateJson>>('GET', `/v1/certificates${text.length === 0 ? '' : `?${text}`}`))!;
      if (json) return printJson(page);
      if (page.items.length === 0) return print('No certificates\n');
      print(formatTable(
        ['ID', 'THING', 'STATUS', 'NOT AFTER', 'ISSUED BY'],
        page.items.map((c) => [c.id, c.thing, c.status, c.notAfter, c.issuedBy]),
      ) + moreHint(page.nextCursor));
    },
  );

  adminAction(certs.command('show').description('show one device certificate').argument('<id>'), async ({ api, json, args, print, printJson }) => {
    const cert = (await api.request<CertificateJson>('GET', `/v1/certificates/${encodeURIComponent(String(args[0]))}`))!;
    if (json) return printJson(cert);
    print(formatFields([
      ['id', cert.id],
      ['tenant', cert.tenant],
      ['thing', cert.thing],
      ['status', cert.status],
      ['subject', cert.subject],
      ['serial', cert.serialNumber],
      ['not before', cert.notBefore],
      ['not after', cert.notAfter],
      ['issued by', cert.issuedBy],
      ['ca', cert.caId],
      ['revoked at', cert.revokedAt],
    ]) + cert.certificatePem);
  });

  adminAction(
    certs.command('register')
      .description('register a device certificate that a CA registered for the tenant signed (never its key)')
      .requiredOption('--cert <file>', 'the certificate, PEM')
      .option('--tenant <tenant>', 'tenant (default: identity.defaultTenant)')
      .option('--thing <name>', 'attach it to this thing')
      .option('--inactive', 'register it INACTIVE (activate it later)'),
    async ({ api, json, options, print, printJson }) => {
      const body = {
        certificatePem: await readInputFile('--cert', String(options['cert'])),
        ...(typeof options['tenant'] === 'string' ? { tenant: options['tenant'] } : {}),
        ...(typeof options['thing'] === 'string' ? { thing: options['thing'] } : {}),
        ...(options['inactive'] === true ? { status: 'INACTIVE' } : {}),
      };
      const cert = (await api.request<CertificateJson>('POST', '/v1/certificates', body))!;
      if (json) return printJson(cert);
      print(`Registered certificate ${cert.id} (${cert.status}, tenant "${cert.tenant}", CA ${cert.caId})\n`);
    },
  );

  const changes = [
    ['revoke', 'revoke a certificate for good: refused from now on, live connections closed, listed in the CRL', 'Revoked'],
    ['deactivate', 'deactivate a certificate until it is activated again; live connections are closed', 'Deactivated'],
    ['activate', 'activate an INACTIVE certificate (a revoked one stays revoked)', 'Activated'],
  ] as const;
  for (const [verb, description, done] of changes) {
    adminAction(certs.command(verb).description(description).argument('<id>'), async ({ api, json, args, print, printJson }) => {
      const change = (await api.request<CertificateStatusChangeJson>('POST', `/v1/certificates/${encodeURIComponent(String(args[0]))}/${verb}`))!;
      if (json) return printJson(change);
      print(`${done} certificate ${change.certificate.id}: ${change.certificate.status}${closedText(change.disconnected)}\n`);
    });
  }
}

/** ", closed 2 live connections", or nothing when none were closed. */
export function closedText(disconnected: number): string {
  if (disconnected === 0) return '';
  return `, closed ${disconnected} live connection${disconnected === 1 ? '' : 's'}`;
}

function parseStatus(value: string): string {
  const upper = value.toUpperCase();
  if (!statuses.includes(upper)) throw new InvalidArgumentError(`"${value}" is not one of ${statuses.join(', ')}`);
  return upper;
}
