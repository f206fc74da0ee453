/**
 * `/v1/tenants/{tenant}/billing-groups`: AWS's CreateBillingGroup (POST), DescribeBillingGroup (GET),
 * UpdateBillingGroup (PATCH, optimistic with expectedVersion), DeleteBillingGroup, ListBillingGroups,
 * and its things: AddThingToBillingGroup (PUT .../things/{thing}; a thing is in one billing group at
 * most, so this moves it), RemoveThingFromBillingGroup and ListThingsInBillingGroup.
 */
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/index.js';
import type { BillingGroupRecord } from '../../store/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { billingGroupJson, pageJson, pageQuery, registryContext, thingJson } from '../identity/registry-json.js';
import {
  BillingGroupJson, CreateBillingGroupBody, ExpectedVersionQuery, GroupThingParams, PageQuery, TenantNameParams, ThingJson, UpdateBillingGroupBody,
} from '../identity/registry-schemas.js';
import { TenantParams } from '../identity/role-alias-schemas.js';
import { commonErrors, ErrorBody, Page } from '../schemas.js';
import { existingTenant } from './tenants.js';

function notFound(name: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Billing group', id: name });
}

const Membership = Type.Object({ billingGroupName: Type.String(), thingName: Type.String(), previousBillingGroupName: Type.Optional(Type.String()) });

/**
 * @example
 * registerBillingGroupRoutes(app, identityServices);
 * // PUT /v1/tenants/acme/billing-groups/eu/things/agent-7
 */
export function registerBillingGroupRoutes(app: FastifyInstance, services: IdentityServices): void {
  const base = '/v1/tenants/:tenant/billing-groups';
  const now = (): number => registryContext(services).now;

  app.get<{ Params: TenantParams; Querystring: PageQuery }>(base, {
    schema: { tags: ['registry'], summary: "List a tenant's billing groups by name", params: TenantParams, querystring: PageQuery, response: { 200: Page(BillingGroupJson), ...commonErrors } },
  }, async (request) => {
    return pageJson(await services.store.listBillingGroups(request.params.tenant, pageQuery(request.query)), billingGroupJson);
  });

  app.post<{ Params: TenantNameParams; Body: CreateBillingGroupBody }>(`${base}/:name`, {
    schema: {
      tags: ['registry'],
      summary: 'Create a billing group (201); 200 when it exists with the same description, 409 when it exists with another',
      params: TenantNameParams,
      body: CreateBillingGroupBody,
      response: { 200: BillingGroupJson, 201: BillingGroupJson, ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant, name } = request.params;
    await existingTenant(services, tenant);
    const at = now();
    const description = request.body?.billingGroupProperties?.billingGroupDescription;
    const group: BillingGroupRecord = { tenant, name, billingGroupId: randomUUID(), ...(description === undefined ? {} : { description }), version: 1, createdAt: at, updatedAt: at };
    if (await services.store.createBillingGroup(group)) {
      await recordAudit(services, request, { action: 'billing-group.create', tenant, target: `billing-group/${name}` });
      return reply.code(201).send(billingGroupJson(group));
    }
    const existing = await services.store.getBillingGroup(tenant, name);
    if (existing !== undefined && existing.description === description) return reply.code(200).send(billingGroupJson(existing));
    throw new GatehouseError('CONFLICT', { reason: `Cannot create billing group "${name}": it exists with another description` });
  });

  app.get<{ Params: TenantNameParams }>(`${base}/:name`, {
    schema: { tags: ['registry'], summary: 'Show a billing group', params: TenantNameParams, response: { 200: BillingGroupJson, ...commonErrors } },
  }, async (request) => billingGroupJson(await foundGroup(services, request.params.tenant, request.params.name)));

  app.patch<{ Params: TenantNameParams; Body: UpdateBillingGroupBody }>(`${base}/:name`, {
    schema: {
      tags: ['registry'],
      summary: 'Change a billing group\'s description; one version on. expectedVersion makes it optimistic (409 VERSION_CONFLICT)',
      params: TenantNameParams,
      body: UpdateBillingGroupBody,
      response: { 200: BillingGroupJson, ...commonErrors, 409: ErrorBody },
    },
  }, async (request) => {
    const { tenant, name } = request.params;
    const { billingGroupProperties, expectedVersion } = request.body;
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await foundGroup(services, tenant, name);
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw new GatehouseError('VERSION_CONFLICT', { action: `update billing group "${name}"`, expected: expectedVersion, current: current.version });
      }
      const { description: _old, ...rest } = current;
      const description = billingGroupProperties.billingGroupDescription;
      const next: BillingGroupRecord = { ...rest, ...(description === undefined ? {} : { description }), version: current.version + 1, updatedAt: now() };
      if (!(await services.store.replaceBillingGroup(next, current.version))) continue;
      await recordAudit(services, request, { action: 'billing-group.update', tenant, target: `billing-group/${name}`, details: { version: next.version } });
      return billingGroupJson(next);
    }
    throw new GatehouseError('CONFLICT', { reason: `Cannot update billing group "${name}": it keeps changing; try again` });
  });

  app.delete<{ Params: TenantNameParams; Querystring: ExpectedVersionQuery }>(`${base}/:name`, {
    schema: {
      tags: ['registry'],
      summary: 'Delete a billing group; its things leave it. ?expectedVersion= makes it optimistic (409)',
      params: TenantNameParams,
      querystring: ExpectedVersionQuery,
      response: { 204: Type.Null(), ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant, name } = request.params;
    const { expectedVersion } = request.query;
    const current = await foundGroup(services, tenant, name);
    if (expectedVersion !== undefined && current.version !== expectedVersion) {
      throw new GatehouseError('VERSION_CONFLICT', { action: `delete billing group "${name}"`, expected: expectedVersion, current: current.version });
    }
    if (!(await services.store.deleteBillingGroup(tenant, name))) throw notFound(name);
    await recordAudit(services, request, { action: 'billing-group.delete', tenant, target: `billing-group/${name}` });
    return reply.code(204).send();
  });

  app.get<{ Params: TenantNameParams; Querystring: PageQuery }>(`${base}/:name/things`, {
    schema: { tags: ['registry'], summary: "The things of a billing group by name (AWS's ListThingsInBillingGroup)", params: TenantNameParams, querystring: PageQuery, response: { 200: Page(ThingJson), ...commonErrors } },
  }, async (request) => {
    const { tenant, name } = request.params;
    await foundGroup(services, tenant, name);
    return pageJson(await services.store.listThings(tenant, { ...pageQuery(request.query), billingGroup: name }), thingJson);
  });

  app.put<{ Params: GroupThingParams }>(`${base}/:name/things/:thing`, {
    schema: {
      tags: ['registry'],
      summary: 'Put a thing into this billing group, out of the one it was in (a thing is in one at most)',
      params: GroupThingParams,
      response: { 200: Membership, ...commonErrors },
    },
  }, async (request) => {
    const { tenant, name, thing } = request.params;
    const previous = await services.store.setThingBillingGroup(tenant, thing, name);
    if (previous !== name) await recordAudit(services, request, { action: 'billing-group.add-thing', tenant, target: `billing-group/${name}`, details: { thing, previous: previous ?? null } });
    return { billingGroupName: name, thingName: thing, ...(previous === undefined ? {} : { previousBillingGroupName: previous }) };
  });

  app.delete<{ Params: GroupThingParams }>(`${base}/:name/things/:thing`, {
    schema: {
      tags: ['registry'],
      summary: 'Take a thing out of this billing group; 404 when it is not in it',
      params: GroupThingParams,
      response: { 204: Type.Null(), ...commonErrors },
    },
  }, async (request, reply) => {
    const { tenant, name, thing } = request.params;
    const current = await services.store.getThing(tenant, thing);
    if (current?.billingGroup !== name) throw new GatehouseError('NOT_FOUND', { what: `Thing in billing group "${name}"`, id: thing });
    await services.store.setThingBillingGroup(tenant, thing, undefined);
    await recordAudit(services, request, { action: 'billing-group.remove-thing', tenant, target: `billing-group/${name}`, details: { thing } });
    return reply.code(204).send();
  });
}

async function foundGroup(services: IdentityServices, tenant: string, name: string): Promise<BillingGroupRecord> {
  const group = await services.store.getBillingGroup(tenant, name);
  if (group === undefined) throw notFound(name);
  return group;
}
