/**
 * `/v1/certificates`: the device certificate registry; list, show, register one a registered CA
 * signed, and revoke, deactivate or activate one (closing its live connections where it stops working).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { deactivateCertificate, revokeCertificate, type PrincipalConnections } from '../../auth/index.js';
import { GatehouseError } from '../../core/index.js';
import type { CertificateRecord } from '../../store/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import { CertificateRegistrationRequest, CertificateStatusChangeJson } from '../identity/ca-schemas.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { CertificateIdParams, CertificateJson, CertificateListQuery } from '../identity/identity-schemas.js';
import { registerCertificate } from '../identity/register-certificate.js';
import { commonErrors, ErrorBody, Page } from '../schemas.js';

export function registerCertificateRoutes(app: FastifyInstance, services: IdentityServices, connections: PrincipalConnections): void {
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

  app.post<{ Body: CertificateRegistrationRequest }>('/v1/certificates', {
    schema: {
      tags: ['identity'],
      summary: 'Register a device certificate that an ACTIVE CA of the tenant signed (AWS RegisterCertificate)',
      body: CertificateRegistrationRequest,
      response: { 201: CertificateJson, ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const record = await registerCertificate(services, request.body);
    await recordAudit(services, request, { action: 'certificate.register', tenant: record.tenant, target: `certificate/${record.id}`, details: { caId: record.caId, status: record.status, subject: record.subject } });
    return reply.code(201).send(certificateJson(record));
  });

  const statusChange = { params: CertificateIdParams, response: { 200: CertificateStatusChangeJson, ...commonErrors, 409: ErrorBody } };
  const at = (): number => (services.now?.() ?? new Date()).getTime();
  const auditStatusChange = (request: FastifyRequest, action: string, record: CertificateRecord, disconnected: number): Promise<void> =>
    recordAudit(services, request, { action, tenant: record.tenant, target: `certificate/${record.id}`, details: { status: record.status, disconnected } });

  app.post<{ Params: CertificateIdParams }>('/v1/certificates/:id/revoke', {
    schema: { tags: ['identity'], summary: 'Revoke a certificate (final): it is refused from now on, its live connections are closed, and the CRL lists it', ...statusChange },
  }, async (request) => {
    const change = await revokeCertificate(request.params.id.toLowerCase(), { identity: services.store, connections, at: at() });
    await auditStatusChange(request, 'certificate.revoke', change.certificate, change.disconnected);
    return { certificate: certificateJson(change.certificate), disconnected: change.disconnected };
  });

  app.post<{ Params: CertificateIdParams }>('/v1/certificates/:id/deactivate', {
    schema: { tags: ['identity'], summary: 'Deactivate a certificate: it is refused until activated again, and its live connections are closed', ...statusChange },
  }, async (request) => {
    const change = await deactivateCertificate(request.params.id.toLowerCase(), { identity: services.store, connections, at: at() });
    await auditStatusChange(request, 'certificate.deactivate', change.certificate, change.disconnected);
    return { certificate: certificateJson(change.certificate), disconnected: change.disconnected };
  });

  app.post<{ Params: CertificateIdParams }>('/v1/certificates/:id/activate', {
    schema: { tags: ['identity'], summary: 'Activate an INACTIVE (or PENDING_ACTIVATION) certificate; a REVOKED one stays revoked (409)', ...statusChange },
  }, async (request) => {
    const id = request.params.id.toLowerCase();
    const current = await services.store.getCertificate(id);
    if (current === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Certificate', id });
    // The store refuses REVOKED -> ACTIVE with CONFLICT: revocation is final.
    const record = current.status === 'ACTIVE' ? current : await services.store.setCertificateStatus(id, 'ACTIVE', at());
    if (record === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Certificate', id });
    await auditStatusChange(request, 'certificate.activate', record, 0);
    return { certificate: certificateJson(record), disconnected: 0 };
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
