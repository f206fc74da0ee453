/**
 * `/v1/tenants/{tenant}/things`: the thing registry as AWS's CreateThing (POST), DescribeThing (GET),
 * UpdateThing (PATCH), DeleteThing (DELETE) and ListThings (GET the collection, filtered by the store),
 * plus a bulk create and the groups of one thing. Changes go to the audit log and publish the
 * registry events the tenant enabled.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/index.js';
import { createThing, deleteThing, registryArn, thingIdOf, updateThing } from '../../services/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { pageJson, registryContext, thingJson } from '../identity/registry-json.js';
import {
  BulkCreateBody, BulkCreateResult, CreateThingBody, ExpectedVersionQuery, TenantThingParams, ThingJson, ThingListQuery, UpdateThingBody,
} from '../identity/registry-schemas.js';
import { TenantParams } from '../identity/role-alias-schemas.js';
import { commonErrors, ErrorBody, Page } from '../schemas.js';
import { toErrorAnswer } from '../errors.js';
import { existingTenant } from './tenants.js';

/**
 * @example
 * registerThingRoutes(app, identityServices);
 * // POST /v1/tenants/acme/things/agent-7  {"thingTypeName":"gateway","attributePayload":{"attributes":{"site":"lyon"}}}
 */
export function registerThingRoutes(app: FastifyInstance, services: IdentityServices): void {
  const base = '/v1/tenants/:tenant/things';

  app.get<{ Params: TenantParams; Querystring: ThingListQuery }>(base, {
    schema: {
      tags: ['registry'],
      summary: "List a tenant's things by name, filtered as AWS's ListThings (thingTypeName, attributeName + attributeValue, usePrefixAttributeValue) and by thingGroupName (recursive) or billingGroupName",
      params: TenantParams,
      querystring: ThingListQuery,
      response: { 200: Page(ThingJson), ...commonErrors },
    },
  }, async (request) => {
    const query = request.query;
    if (query.attributeValue !== undefined && query.attributeName === undefined) {
      throw new GatehouseError('BAD_REQUEST', { reason: 'attributeValue needs attributeName' });
    }
    const page = await services.store.listThings(request.params.tenant, {
      limit: query.limit ?? 100,
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...(query.thingTypeName === undefined ? {} : { thingType: query.thingTypeName }),
      ...(query.attributeName === undefined ? {} : { attributeName: query.attributeName }),
      ...(query.attributeValue === undefined ? {} : { attributeValue: query.attributeValue }),
      ...(query.usePrefixAttributeValue === undefined ? {} : { usePrefixAttributeValue: query.usePrefixAttributeValue }),
      ...(query.thingGroupName === undefined ? {} : { thingGroup: query.thingGroupName, recursive: query.recursive === true }),
      ...(query.billingGroupName === undefined ? {} : { billingGroup: query.billingGroupName }),
    });
    return pageJson(page, thingJson);
  });

  app.post<{ Params: TenantParams; Body: BulkCreateBody }>(`${base}/bulk`, {
    schema: {
      tags: ['registry'],
      summary: 'Create up to 1000 things; each gets its own answer (201, 200 when it existed alike, or its error), and one failing stops none of the others',
      params: TenantParams,
      body: BulkCreateBody,
      response: { 200: BulkCreateResult, ...commonErrors },
    },
  }, async (request) => {
    const { tenant } = request.params;
    await existingTenant(services, tenant);
    const results = [];
    for (const { thingName, ...item } of request.body.things) {
      try {
        const { thing, created } = await createThing(registryContext(services), tenant, thingName, item);
        if (created) await recordAudit(services, request, { action: 'thing.create', tenant, target: `thing/${thingName}`, details: { bulk: true } });
        results.push({ thingName, status: created ? 201 : 200, thingId: thingIdOf(thing) });
      } catch (error) {
        const answer = toErrorAnswer(error);
        if (answer.status >= 500) request.log.error({ err: error, thing: thingName }, 'Bulk create failed for one thing');
        results.push({ thingName, status: answer.status, error: answer.body });
      }
    }
    return { results };
  });

  app.post<{ Params: TenantThingParams; Body: CreateThingBody }>(`${base}/:thing`, {
    schema: {
      tags: ['registry'],
      summary: "Create a thing (AWS's CreateThing): 201; 200 when it exists with the same type, attributes and billing group; 409 when it exists otherwise",
      params: TenantThingParams,
      body: CreateThingBody,
      response: { 200: ThingJson, 201: ThingJson, ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant, thing: name } = request.params;
    await existingTenant(services, tenant);
    const { thing, created } = await createThing(registryContext(services), tenant, name, request.body ?? {});
    if (created) await recordAudit(services, request, { action: 'thing.create', tenant, target: `thing/${name}`, details: { thingTypeName: thing.thingType ?? null, attributes: { ...thing.attributes } } });
    return reply.code(created ? 201 : 200).send(thingJson(thing));
  });

  app.get<{ Params: TenantThingParams }>(`${base}/:thing`, {
    schema: { tags: ['registry'], summary: "Show a thing (AWS's DescribeThing, with its groups)", params: TenantThingParams, response: { 200: ThingJson, ...commonErrors } },
  }, async (request) => {
    const { tenant, thing: name } = request.params;
    const thing = await services.store.getThing(tenant, name);
    if (thing === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Thing', id: name });
    return thingJson(thing);
  });

  app.patch<{ Params: TenantThingParams; Body: UpdateThingBody }>(`${base}/:thing`, {
    schema: {
      tags: ['registry'],
      summary: "Update a thing (AWS's UpdateThing): its type (or removeThingType), its attributes (replaced, or merged with attributePayload.merge, where an empty value or null removes one); one version on each time. expectedVersion makes it optimistic (409 VERSION_CONFLICT)",
      params: TenantThingParams,
      body: UpdateThingBody,
      response: { 200: ThingJson, ...commonErrors, 409: ErrorBody },
    },
  }, async (request) => {
    const { tenant, thing: name } = request.params;
    const thing = await updateThing(registryContext(services), tenant, name, request.body);
    await recordAudit(services, request, { action: 'thing.update', tenant, target: `thing/${name}`, details: { version: thing.version, thingTypeName: thing.thingType ?? null, attributes: { ...thing.attributes } } });
    return thingJson(thing);
  });

  app.delete<{ Params: TenantThingParams; Querystring: ExpectedVersionQuery }>(`${base}/:thing`, {
    schema: {
      tags: ['registry'],
      summary: "Delete a thing (AWS's DeleteThing): its certificates are detached and it leaves its groups. A thing that does not exist is no error (204), as with AWS; ?expectedVersion= makes it optimistic (409)",
      params: TenantThingParams,
      querystring: ExpectedVersionQuery,
      response: { 204: Type.Null(), ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant, thing: name } = request.params;
    const deleted = await deleteThing(registryContext(services), tenant, name, request.query.expectedVersion);
    if (deleted !== undefined) await recordAudit(services, request, { action: 'thing.delete', tenant, target: `thing/${name}`, details: { version: deleted.version } });
    return reply.code(204).send();
  });

  app.get<{ Params: TenantThingParams }>(`${base}/:thing/thing-groups`, {
    schema: {
      tags: ['registry'],
      summary: "The static thing groups a thing belongs to (AWS's ListThingGroupsForThing)",
      params: TenantThingParams,
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ groupName: Type.String(), groupArn: Type.String() })) }), ...commonErrors },
    },
  }, async (request) => {
    const { tenant, thing: name } = request.params;
    const thing = await services.store.getThing(tenant, name);
    if (thing === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Thing', id: name });
    return { items: thing.groups.map((group) => ({ groupName: group, groupArn: registryArn(tenant, 'thinggroup', group) })) };
  });
}
