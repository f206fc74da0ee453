/**
 * What a tenant's policies are attached to: attach and detach (certificates, thing groups, the tenant
 * itself), a policy's targets, and the policies attached to one target.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/index.js';
import type { PolicyTarget } from '../../store/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { AttachedPoliciesQuery, PolicyJson, PolicyTargetJson, PolicyTargetParams, TenantPolicyParams } from '../identity/policy-schemas.js';
import { TenantParams } from '../identity/role-alias-schemas.js';
import { commonErrors, NoContent } from '../schemas.js';
import { foundPolicy, policyJson } from './policies.js';
import { existingTenant } from './tenants.js';

export function registerPolicyTargetRoutes(app: FastifyInstance, services: IdentityServices): void {
  const now = (): number => (services.now?.() ?? new Date()).getTime();
  const targetPath = '/v1/tenants/:tenant/policies/:name/targets/:kind/:id';

  app.put<{ Params: PolicyTargetParams }>(targetPath, {
    schema: {
      tags: ['policies'],
      summary: "Attach a policy to one of the tenant's certificates, a thing group (its things and those of its subgroups), or the tenant itself (every agent of it); attaching twice changes nothing",
      params: PolicyTargetParams,
      response: { 204: NoContent, ...commonErrors },
    },
  }, async (request, reply) => {
    const { tenant, name } = request.params;
    await existingTenant(services, tenant);
    const target = await checkedTarget(services, request.params);
    await services.store.attachPolicy(tenant, name, target, now());
    await recordAudit(services, request, { action: 'policy.attach', tenant, target: `policy/${name}`, details: { kind: target.kind, id: target.id } });
    return reply.code(204).send();
  });

  app.delete<{ Params: PolicyTargetParams }>(targetPath, {
    schema: { tags: ['policies'], summary: 'Detach a policy; live connections stop using it within a second', params: PolicyTargetParams, response: { 204: NoContent, ...commonErrors } },
  }, async (request, reply) => {
    const { tenant, name, kind } = request.params;
    const target = { kind, id: kind === 'certificate' ? request.params.id.toLowerCase() : request.params.id };
    if (!(await services.store.detachPolicy(tenant, name, target, now()))) {
      await foundPolicy(services, tenant, name);
      throw new GatehouseError('NOT_FOUND', { what: `Policy "${name}" attachment`, id: `${target.kind}/${target.id}` });
    }
    await recordAudit(services, request, { action: 'policy.detach', tenant, target: `policy/${name}`, details: { kind: target.kind, id: target.id } });
    return reply.code(204).send();
  });

  app.get<{ Params: TenantPolicyParams }>('/v1/tenants/:tenant/policies/:name/targets', {
    schema: {
      tags: ['policies'],
      summary: 'What a policy is attached to, ordered by kind then id',
      params: TenantPolicyParams,
      response: { 200: Type.Object({ items: Type.Array(PolicyTargetJson) }), ...commonErrors },
    },
  }, async (request) => {
    const { tenant, name } = request.params;
    await foundPolicy(services, tenant, name);
    return { items: await services.store.listPolicyTargets(tenant, name) };
  });

  app.get<{ Params: TenantParams; Querystring: AttachedPoliciesQuery }>('/v1/tenants/:tenant/attached-policies', {
    schema: {
      tags: ['policies'],
      summary: 'The policies attached directly to one target (`certificate=ID`, `thingGroup=NAME` or `tenant=1`), each as its default version reads',
      params: TenantParams,
      querystring: AttachedPoliciesQuery,
      response: { 200: Type.Object({ items: Type.Array(PolicyJson) }), ...commonErrors },
    },
  }, async (request) => {
    const { tenant } = request.params;
    const { certificate, thingGroup } = request.query;
    const given: PolicyTarget[] = [
      ...(certificate === undefined ? [] : [{ kind: 'certificate' as const, id: certificate.toLowerCase() }]),
      ...(thingGroup === undefined ? [] : [{ kind: 'thing-group' as const, id: thingGroup }]),
      ...(request.query.tenant === undefined ? [] : [{ kind: 'tenant' as const, id: tenant }]),
    ];
    if (given.length !== 1) throw new GatehouseError('BAD_REQUEST', { reason: 'give exactly one of certificate, thingGroup and tenant=1' });
    return { items: (await services.store.listPoliciesAttachedTo(tenant, given)).map((policy) => policyJson(policy)) };
  });
}

/** The target in its stored form, refused when it cannot belong to the tenant (AWS answers ResourceNotFound for an unknown certificate). */
async function checkedTarget(services: IdentityServices, params: PolicyTargetParams): Promise<PolicyTarget> {
  const { tenant, name, kind, id } = params;
  switch (kind) {
    case 'certificate': {
      const certificateId = id.toLowerCase();
      const certificate = /^[0-9a-f]{64}$/.test(certificateId) ? await services.store.getCertificate(certificateId) : undefined;
      if (certificate === undefined || certificate.tenant !== tenant) throw new GatehouseError('NOT_FOUND', { what: 'Certificate', id });
      return { kind, id: certificateId };
    }
    case 'thing-group':
      return { kind, id };
    case 'tenant':
      if (id !== tenant) throw new GatehouseError('BAD_REQUEST', { reason: `Cannot attach policy "${name}" to tenant "${id}": a policy of tenant "${tenant}" attaches only to its own tenant` });
      return { kind, id };
    default:
      return kind satisfies never;
  }
}
