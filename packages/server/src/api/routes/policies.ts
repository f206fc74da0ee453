/**
 * `/v1/tenants/{tenant}/policies`: a tenant's IoT policies and their versions, as AWS keeps them — up
 * to five versions, one default (the one in effect); documents are checked by the policy parser first.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parsePolicy } from '../../auth/index.js';
import { GatehouseError } from '../../core/index.js';
import type { PolicyRecord, PolicyTarget, PolicyVersionRecord } from '../../store/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { PolicyJson, PolicyPutBody, PolicyVersionJson, PolicyVersionParams, TenantPolicyParams } from '../identity/policy-schemas.js';
import { TenantParams } from '../identity/role-alias-schemas.js';
import { commonErrors, ErrorBody } from '../schemas.js';
import { existingTenant } from './tenants.js';

export function registerPolicyRoutes(app: FastifyInstance, services: IdentityServices): void {
  const now = (): number => (services.now?.() ?? new Date()).getTime();
  const base = '/v1/tenants/:tenant/policies';

  app.get<{ Params: TenantParams }>(base, {
    schema: { tags: ['policies'], summary: "List a tenant's policies, ordered by name, each as its default version reads", params: TenantParams, response: { 200: Type.Object({ items: Type.Array(PolicyJson) }), ...commonErrors } },
  }, async (request) => ({ items: (await services.store.listPolicies(request.params.tenant)).map((policy) => policyJson(policy)) }));

  app.put<{ Params: TenantPolicyParams; Body: PolicyPutBody }>(`${base}/:name`, {
    schema: {
      tags: ['policies'],
      summary: 'Create a policy (201, version 1, the default), or add a version to one that exists (200; the default only with setAsDefault). The document is refused (400 POLICY_INVALID) with the path of its first fault',
      params: TenantPolicyParams,
      body: PolicyPutBody,
      response: { 200: PolicyJson, 201: PolicyJson, ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant, name } = request.params;
    const document = typeof request.body.policyDocument === 'string' ? request.body.policyDocument : JSON.stringify(request.body.policyDocument);
    parsePolicy(document, { name, tenant });
    await existingTenant(services, tenant);
    const at = now();
    if ((await services.store.getPolicy(tenant, name)) === undefined) {
      const created = await services.store.createPolicy(tenant, name, document, at);
      await recordAudit(services, request, { action: 'policy.create', tenant, target: `policy/${name}`, details: { versionId: 1, policyDocument: document } });
      return reply.code(201).send(policyJson(created, await services.store.listPolicyVersions(tenant, name), 1));
    }
    const setAsDefault = request.body.setAsDefault === true;
    const version = await services.store.createPolicyVersion(tenant, name, document, { setAsDefault }, at);
    await recordAudit(services, request, { action: 'policy.version.create', tenant, target: `policy/${name}`, details: { versionId: version.versionId, setAsDefault, policyDocument: document } });
    return policyJson(await foundPolicy(services, tenant, name), await services.store.listPolicyVersions(tenant, name), version.versionId);
  });

  app.get<{ Params: TenantPolicyParams }>(`${base}/:name`, {
    schema: { tags: ['policies'], summary: "Show a policy: its default version's document and every version", params: TenantPolicyParams, response: { 200: PolicyJson, ...commonErrors } },
  }, async (request) => {
    const { tenant, name } = request.params;
    return policyJson(await foundPolicy(services, tenant, name), await services.store.listPolicyVersions(tenant, name));
  });

  app.delete<{ Params: TenantPolicyParams }>(`${base}/:name`, {
    schema: {
      tags: ['policies'],
      summary: 'Delete a policy and all its versions; refused (409) while it is attached to anything, as AWS refuses',
      params: TenantPolicyParams,
      response: { 204: Type.Null(), ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant, name } = request.params;
    // One transaction: an attach racing the check cannot leave the policy deleted under it.
    await services.store.transaction(async (tx) => {
      const targets = await tx.listPolicyTargets(tenant, name);
      if (targets.length > 0) throw attachedConflict(name, targets);
      if (!(await tx.deletePolicy(tenant, name, now()))) throw policyNotFound(name);
    });
    await recordAudit(services, request, { action: 'policy.delete', tenant, target: `policy/${name}` });
    return reply.code(204).send();
  });

  app.get<{ Params: PolicyVersionParams }>(`${base}/:name/versions/:versionId`, {
    schema: { tags: ['policies'], summary: 'Show one version of a policy, with its document', params: PolicyVersionParams, response: { 200: PolicyVersionJson, ...commonErrors } },
  }, async (request) => {
    const { tenant, name, versionId } = request.params;
    const version = await services.store.getPolicyVersion(tenant, name, versionId);
    if (version === undefined) throw await versionNotFound(services, tenant, name, versionId);
    return versionJson(version);
  });

  app.post<{ Params: PolicyVersionParams }>(`${base}/:name/versions/:versionId/default`, {
    schema: { tags: ['policies'], summary: 'Make a version the default: the one in effect wherever the policy is attached', params: PolicyVersionParams, response: { 200: PolicyJson, ...commonErrors } },
  }, async (request) => {
    const { tenant, name, versionId } = request.params;
    const policy = await services.store.setDefaultPolicyVersion(tenant, name, versionId, now());
    await recordAudit(services, request, { action: 'policy.version.set-default', tenant, target: `policy/${name}`, details: { versionId } });
    return policyJson(policy, await services.store.listPolicyVersions(tenant, name));
  });

  app.delete<{ Params: PolicyVersionParams }>(`${base}/:name/versions/:versionId`, {
    schema: {
      tags: ['policies'],
      summary: 'Delete a version that is not the default (409 for the default: delete the policy instead)',
      params: PolicyVersionParams,
      response: { 204: Type.Null(), ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant, name, versionId } = request.params;
    if (!(await services.store.deletePolicyVersion(tenant, name, versionId, now()))) throw await versionNotFound(services, tenant, name, versionId);
    await recordAudit(services, request, { action: 'policy.version.delete', tenant, target: `policy/${name}`, details: { versionId } });
    return reply.code(204).send();
  });
}

export async function foundPolicy(services: IdentityServices, tenant: string, name: string): Promise<PolicyRecord> {
  const policy = await services.store.getPolicy(tenant, name);
  if (policy === undefined) throw policyNotFound(name);
  return policy;
}

export function policyNotFound(name: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Policy', id: name });
}

/** Names the policy when it is the policy that is missing, else the version. */
async function versionNotFound(services: IdentityServices, tenant: string, name: string, versionId: number): Promise<GatehouseError> {
  if ((await services.store.getPolicy(tenant, name)) === undefined) return policyNotFound(name);
  return new GatehouseError('NOT_FOUND', { what: `Policy "${name}" version`, id: String(versionId) });
}

function attachedConflict(name: string, targets: readonly PolicyTarget[]): GatehouseError {
  const shown = targets.slice(0, 3).map((target) => `${target.kind} ${target.id}`).join(', ');
  const more = targets.length > 3 ? `, and ${targets.length - 3} more` : '';
  const count = `${targets.length} target${targets.length === 1 ? '' : 's'}`;
  return new GatehouseError('CONFLICT', { reason: `Cannot delete policy "${name}": it is attached to ${count} (${shown}${more}); detach it first` });
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The API's form of a policy; `versions` only where one policy is shown. */
export function policyJson(policy: PolicyRecord, versions?: readonly PolicyVersionRecord[], createdVersionId?: number): unknown {
  return {
    tenant: policy.tenant,
    name: policy.name,
    defaultVersionId: policy.version,
    policyDocument: policy.document,
    createdAt: iso(policy.createdAt),
    updatedAt: iso(policy.updatedAt),
    ...(versions === undefined ? {} : { versions: versions.map((version) => ({ versionId: version.versionId, isDefault: version.isDefault, createdAt: iso(version.createdAt) })) }),
    ...(createdVersionId === undefined ? {} : { createdVersionId }),
  };
}

function versionJson(version: PolicyVersionRecord): unknown {
  return { tenant: version.tenant, name: version.name, versionId: version.versionId, isDefault: version.isDefault, policyDocument: version.document, createdAt: iso(version.createdAt) };
}
