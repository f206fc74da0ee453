/** `/v1/certificates`: the device certificate registry; list and show. */
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/index.js';
import type { CertificateRecord } from '../../store/index.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { CertificateIdParams, CertificateJson, CertificateListQuery } from '../identity/identity-schemas.js';
import { commonErrors, Page } from '../schemas.js';

export function registerCertificateRoutes(app: FastifyInstance, services: IdentityServices): void {
  app.get<{ Querystring: CertificateListQuery }>('/v1/certificates', {
    schema: {
      tags: ['identity'],
      summary: "List a tenant's device certificates, ordered by id",
      querystring: CertificateListQuery,
      response: { 200: Page(CertificateJson), ...commonErrors },
    },
  }, async (request) => {
    const { tenant, thing, status, limit, cursor } = request.query;
    const page = await services.store.listCertificates(tenant ?? services.defaultTenant, {
      limit: limit ?? 100,
      ...(thing === undefined ? {} : { thing }),
      ...(status === undefined ? {} : { status }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return { items: page.items.map(certificateJson), ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
  });

  app.get<{ Params: CertificateIdParams }>('/v1/certificates/:id', {
    schema: {
      tags: ['identity'],
      summary: 'Show one device certificate',
      params: CertificateIdParams,
      response: { 200: CertificateJson, ...commonErrors },
    },
  }, async (request) => {
    const id = request.params.id.toLowerCase();
    const record = await services.store.getCertificate(id);
    if (record === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Certificate', id });
    return certificateJson(record);
  });
}

/** Epoch milliseconds become ISO dates, as every time in the admin API is. */
function certificateJson(record: CertificateRecord): unknown {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    ...record,
    notBefore: iso(record.notBefore),
    notAfter: iso(record.notAfter),
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    ...(record.revokedAt === undefined ? {} : { revokedAt: iso(record.revokedAt) }),
  };
}
