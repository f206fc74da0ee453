/**
 * `/v1/cas`: a tenant's registered CAs — list, show, the registration code, customer CA upload with
 * proof of possession, activate and deactivate, and the CRL of Gatehouse's own CA.
 */
import type { FastifyInstance } from 'fastify';
import type { PrincipalConnections } from '../../auth/index.js';
import { GatehouseError } from '../../core/index.js';
import type { CaRecord } from '../../store/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import { tenantCaCrl } from '../identity/ca-crl.js';
import { caRegistrationCode } from '../identity/ca-registration-code.js';
import {
  CaIdParams, CaJson, CaList, CaRegistrationRequest, CaStatusChangeJson, CrlQuery, RegistrationCodeJson, TenantQuery,
} from '../identity/ca-schemas.js';
import { setCaStatusClosing } from '../identity/ca-status.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { registerCustomerCa } from '../identity/register-ca.js';
import { commonErrors, ErrorBody } from '../schemas.js';

export function registerCaRoutes(app: FastifyInstance, services: IdentityServices, connections: PrincipalConnections): void {
  const tenantOf = (query: TenantQuery): string => query.tenant ?? services.defaultTenant;

  app.get<{ Querystring: TenantQuery }>('/v1/cas', {
    schema: { tags: ['identity'], summary: "List a tenant's registered CAs, ordered by id", querystring: TenantQuery, response: { 200: CaList, ...commonErrors } },
  }, async (request) => ({ items: (await services.store.listCas(tenantOf(request.query))).map(caJson) }));

  app.get<{ Querystring: TenantQuery }>('/v1/cas/registration-code', {
    schema: {
      tags: ['identity'],
      summary: "The tenant's registration code: the CN of the verification certificate that proves you hold a CA's key (AWS GetRegistrationCode)",
      querystring: TenantQuery,
      response: { 200: RegistrationCodeJson, ...commonErrors },
    },
  }, async (request) => {
    const tenant = tenantOf(request.query);
    return { tenant, registrationCode: await caRegistrationCode(services.signingKey, tenant) };
  });

  app.post<{ Body: CaRegistrationRequest }>('/v1/cas', {
    schema: {
      tags: ['identity'],
      summary: 'Register a customer CA: its certificate and a verification certificate it signed whose CN is the registration code',
      body: CaRegistrationRequest,
      response: { 201: CaJson, ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const record = await registerCustomerCa(services, request.body);
    await recordAudit(services, request, {
      action: 'ca.register',
      tenant: record.tenant,
      target: `ca/${record.id}`,
      details: { subject: record.subject, status: record.status, autoRegistration: record.autoRegistration, ...(record.provisioningTemplate === undefined ? {} : { provisioningTemplate: record.provisioningTemplate }) },
    });
    return reply.code(201).send(caJson(record));
  });

  app.get<{ Params: CaIdParams; Querystring: TenantQuery }>('/v1/cas/:id', {
    schema: { tags: ['identity'], summary: 'Show one registered CA', params: CaIdParams, querystring: TenantQuery, response: { 200: CaJson, ...commonErrors } },
  }, async (request) => {
    const id = request.params.id.toLowerCase();
    const record = await services.store.getCa(tenantOf(request.query), id);
    if (record === undefined) throw new GatehouseError('NOT_FOUND', { what: 'CA certificate', id });
    return caJson(record);
  });

  for (const [verb, status] of [['activate', 'ACTIVE'], ['deactivate', 'INACTIVE']] as const) {
    app.post<{ Params: CaIdParams; Querystring: TenantQuery }>(`/v1/cas/:id/${verb}`, {
      schema: {
        tags: ['identity'],
        summary: verb === 'activate'
          ? 'Activate a CA: certificates it issued may connect again'
          : 'Deactivate a CA: its certificates are refused, and their live connections are closed at once',
        params: CaIdParams,
        querystring: TenantQuery,
        response: { 200: CaStatusChangeJson, ...commonErrors },
      },
    }, async (request) => {
      const change = await setCaStatusClosing(services.store, connections, { tenant: tenantOf(request.query), id: request.params.id.toLowerCase(), status });
      await recordAudit(services, request, { action: `ca.${verb}`, tenant: change.ca.tenant, target: `ca/${change.ca.id}`, details: { status, disconnected: change.disconnected } });
      return { ca: caJson(change.ca), disconnected: change.disconnected };
    });
  }

  app.get<{ Params: CaIdParams; Querystring: CrlQuery }>('/v1/cas/:id/crl', {
    schema: {
      tags: ['identity'],
      summary: "The CRL of one of Gatehouse's own CAs, root or intermediate (DER, `application/pkix-crl`; `?format=pem` for PEM); customer CAs publish their own (409)",
      params: CaIdParams,
      querystring: CrlQuery,
      response: { ...commonErrors, 409: ErrorBody, 503: ErrorBody },
    },
  }, async (request, reply) => {
    const crl = await tenantCaCrl(services, { tenant: tenantOf(request.query), caId: request.params.id.toLowerCase() });
    return request.query.format === 'pem'
      ? reply.type('application/x-pem-file').send(crl.pem)
      : reply.type('application/pkix-crl').send(crl.der);
  });
}

/** Epoch milliseconds become ISO dates, as every time in the admin API is. */
export function caJson(record: CaRecord): unknown {
  return {
    ...record,
    notAfter: new Date(record.notAfter).toISOString(),
    createdAt: new Date(record.createdAt).toISOString(),
  };
}
