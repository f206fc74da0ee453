/** `/v1/audit`: the audit log of admin changes to policies, certificates, CAs and tenants, newest first. */
import type { FastifyInstance } from 'fastify';
import type { AuditEntry } from '../../store/index.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { AuditEntryJson, AuditQueryString } from '../identity/tenant-schemas.js';
import { commonErrors, Page } from '../schemas.js';

export function registerAuditRoutes(app: FastifyInstance, services: IdentityServices): void {
  app.get<{ Querystring: AuditQueryString }>('/v1/audit', {
    schema: {
      tags: ['audit'],
      summary: 'The audit log, newest first: who changed what, when and from where; filter by tenant and time',
      querystring: AuditQueryString,
      response: { 200: Page(AuditEntryJson), ...commonErrors },
    },
  }, async (request) => {
    const { tenant, since, limit, cursor } = request.query;
    const page = await services.store.listAudit({
      limit: limit ?? 100,
      ...(tenant === undefined ? {} : { tenant }),
      ...(since === undefined ? {} : { since: Date.parse(since) }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return { items: page.items.map(auditJson), ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
  });
}

function auditJson(entry: AuditEntry): unknown {
  return { ...entry, at: new Date(entry.at).toISOString() };
}
