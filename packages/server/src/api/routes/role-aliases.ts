/** `/v1/tenants/{tenant}/role-aliases`: what agents' certificates may be traded for at the credentials endpoint. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/index.js';
import type { RoleAliasRecord } from '../../store/index.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { RoleAliasBody, RoleAliasJson, TenantParams, TenantRoleAliasParams } from '../identity/role-alias-schemas.js';
import { commonErrors } from '../schemas.js';

/** AWS's default `credentialDurationSeconds`. */
const defaultDurationSeconds = 3600;

export function registerRoleAliasRoutes(app: FastifyInstance, services: IdentityServices): void {
  const now = (): number => (services.now?.() ?? new Date()).getTime();

  app.get<{ Params: TenantParams }>('/v1/tenants/:tenant/role-aliases', {
    schema: {
      tags: ['identity'],
      summary: "List a tenant's role aliases, ordered by alias",
      params: TenantParams,
      response: { 200: Type.Object({ items: Type.Array(RoleAliasJson) }), ...commonErrors },
    },
  }, async (request) => ({ items: (await services.store.listRoleAliases(request.params.tenant)).map(roleAliasJson) }));

  app.get<{ Params: TenantRoleAliasParams }>('/v1/tenants/:tenant/role-aliases/:alias', {
    schema: {
      tags: ['identity'],
      summary: 'Show one role alias',
      params: TenantRoleAliasParams,
      response: { 200: RoleAliasJson, ...commonErrors },
    },
  }, async (request) => roleAliasJson(await found(services, request.params.tenant, request.params.alias)));

  app.put<{ Params: TenantRoleAliasParams; Body: RoleAliasBody }>('/v1/tenants/:tenant/role-aliases/:alias', {
    schema: {
      tags: ['identity'],
      summary: 'Create or replace a role alias; agents of the tenant may then trade their certificate for credentials under it',
      params: TenantRoleAliasParams,
      body: RoleAliasBody,
      response: { 200: RoleAliasJson, 201: RoleAliasJson, ...commonErrors },
    },
  }, async (request, reply) => {
    const { tenant, alias } = request.params;
    const at = now();
    const existing = await services.store.getRoleAlias(tenant, alias);
    const record: RoleAliasRecord = {
      tenant,
      alias,
      roleArn: request.body?.roleArn ?? existing?.roleArn ?? `arn:gatehouse:iam::${tenant}:role/${alias}`,
      credentialDurationSeconds: request.body?.credentialDurationSeconds ?? existing?.credentialDurationSeconds ?? defaultDurationSeconds,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
    };
    await services.store.putRoleAlias(record);
    return reply.code(existing === undefined ? 201 : 200).send(roleAliasJson(record));
  });

  app.delete<{ Params: TenantRoleAliasParams }>('/v1/tenants/:tenant/role-aliases/:alias', {
    schema: {
      tags: ['identity'],
      summary: 'Delete a role alias; credentials already issued under it stay valid until they expire',
      params: TenantRoleAliasParams,
      response: { 204: Type.Null(), ...commonErrors },
    },
  }, async (request, reply) => {
    const { tenant, alias } = request.params;
    if (!(await services.store.deleteRoleAlias(tenant, alias))) throw notFound(tenant, alias);
    return reply.code(204).send();
  });
}

async function found(services: IdentityServices, tenant: string, alias: string): Promise<RoleAliasRecord> {
  const record = await services.store.getRoleAlias(tenant, alias);
  if (record === undefined) throw notFound(tenant, alias);
  return record;
}

function notFound(tenant: string, alias: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Role alias', id: alias, tenant });
}

function roleAliasJson(record: RoleAliasRecord): unknown {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return { ...record, createdAt: iso(record.createdAt), updatedAt: iso(record.updatedAt) };
}
