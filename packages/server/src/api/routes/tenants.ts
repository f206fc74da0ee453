/** `/v1/tenants`: the tenants themselves — list, create, show, rename or suspend, delete once no device is left. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/index.js';
import type { TenantRecord } from '../../store/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { TenantParams } from '../identity/role-alias-schemas.js';
import { TenantCreateBody, TenantJson, TenantListQuery, TenantPatchBody } from '../identity/tenant-schemas.js';
import { commonErrors, ErrorBody, Page } from '../schemas.js';

export function registerTenantRoutes(app: FastifyInstance, services: IdentityServices): void {
  const now = (): number => (services.now?.() ?? new Date()).getTime();

  app.get<{ Querystring: TenantListQuery }>('/v1/tenants', {
    schema: { tags: ['tenants'], summary: 'List tenants, ordered by id', querystring: TenantListQuery, response: { 200: Page(TenantJson), ...commonErrors } },
  }, async (request) => {
    const { limit, cursor } = request.query;
    const page = await services.store.listTenants({ limit: limit ?? 100, ...(cursor === undefined ? {} : { cursor }) });
    return { items: page.items.map(tenantJson), ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
  });

  app.post<{ Body: TenantCreateBody }>('/v1/tenants', {
    schema: { tags: ['tenants'], summary: 'Create a tenant (409 when the id is taken)', body: TenantCreateBody, response: { 201: TenantJson, ...commonErrors, 409: ErrorBody } },
  }, async (request, reply) => {
    const { id, name, status } = request.body;
    const at = now();
    const tenant: TenantRecord = { id, ...(name === undefined ? {} : { name }), status: status ?? 'ACTIVE', createdAt: at, updatedAt: at };
    await services.store.createTenant(tenant);
    await recordAudit(services, request, { action: 'tenant.create', tenant: id, target: `tenant/${id}`, details: { ...(name === undefined ? {} : { name }), status: tenant.status } });
    return reply.code(201).send(tenantJson(tenant));
  });

  app.get<{ Params: TenantParams }>('/v1/tenants/:tenant', {
    schema: { tags: ['tenants'], summary: 'Show one tenant', params: TenantParams, response: { 200: TenantJson, ...commonErrors } },
  }, async (request) => tenantJson(await existingTenant(services, request.params.tenant)));

  app.patch<{ Params: TenantParams; Body: TenantPatchBody }>('/v1/tenants/:tenant', {
    schema: {
      tags: ['tenants'],
      summary: 'Rename a tenant or change its status (SUSPENDED keeps its records)',
      params: TenantParams,
      body: TenantPatchBody,
      response: { 200: TenantJson, ...commonErrors },
    },
  }, async (request) => {
    const { name, status } = request.body;
    const updated = await services.store.transaction(async (tx) => {
      const current = await existingTenant({ store: tx }, request.params.tenant);
      const { name: _old, ...rest } = current;
      // Absent keeps the name, null removes it.
      const nextName = name === undefined ? current.name : (name ?? undefined);
      const next: TenantRecord = { ...rest, ...(nextName === undefined ? {} : { name: nextName }), status: status ?? current.status, updatedAt: now() };
      await tx.putTenant(next);
      return next;
    });
    await recordAudit(services, request, { action: 'tenant.update', tenant: updated.id, target: `tenant/${updated.id}`, details: { ...(name === undefined ? {} : { name }), ...(status === undefined ? {} : { status }) } });
    return tenantJson(updated);
  });

  app.delete<{ Params: TenantParams }>('/v1/tenants/:tenant', {
    schema: {
      tags: ['tenants'],
      summary: 'Delete a tenant; refused (409) while it has certificates or things, and for the default tenant',
      params: TenantParams,
      response: { 204: Type.Null(), ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant } = request.params;
    if (tenant === services.defaultTenant) {
      throw new GatehouseError('CONFLICT', { reason: `Cannot delete tenant "${tenant}": it is the default tenant (identity.defaultTenant)` });
    }
    if (!(await services.store.deleteTenant(tenant))) throw tenantNotFound(tenant);
    await recordAudit(services, request, { action: 'tenant.delete', tenant, target: `tenant/${tenant}` });
    return reply.code(204).send();
  });
}

/** The tenant's record, or NOT_FOUND: routes that write into a tenant refuse one that does not exist. */
export async function existingTenant(services: Pick<IdentityServices, 'store'>, tenant: string): Promise<TenantRecord> {
  const record = await services.store.getTenant(tenant);
  if (record === undefined) throw tenantNotFound(tenant);
  return record;
}

function tenantNotFound(tenant: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Tenant', id: tenant });
}

function tenantJson(record: TenantRecord): unknown {
  return { ...record, createdAt: new Date(record.createdAt).toISOString(), updatedAt: new Date(record.updatedAt).toISOString() };
}
