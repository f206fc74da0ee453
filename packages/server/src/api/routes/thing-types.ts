/**
 * `/v1/tenants/{tenant}/thing-types`: AWS's CreateThingType (POST), DescribeThingType (GET),
 * ListThingTypes, DeprecateThingType (POST .../deprecate, `undoDeprecate` to take it back) and
 * DeleteThingType (only a deprecated type that no thing has). Changes publish THING_TYPE events.
 */
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/index.js';
import type { ThingTypeRecord } from '../../store/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { pageJson, pageQuery, registryContext, thingTypeJson } from '../identity/registry-json.js';
import { CreateThingTypeBody, DeprecateThingTypeBody, PageQuery, TenantNameParams, ThingTypeJson } from '../identity/registry-schemas.js';
import { TenantParams } from '../identity/role-alias-schemas.js';
import { commonErrors, ErrorBody, Page } from '../schemas.js';
import { existingTenant } from './tenants.js';

function notFound(name: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Thing type', id: name });
}

/**
 * @example
 * registerThingTypeRoutes(app, identityServices);
 * // POST /v1/tenants/acme/thing-types/camera  {"thingTypeProperties":{"searchableAttributes":["site"]}}
 */
export function registerThingTypeRoutes(app: FastifyInstance, services: IdentityServices): void {
  const base = '/v1/tenants/:tenant/thing-types';

  app.get<{ Params: TenantParams; Querystring: PageQuery }>(base, {
    schema: { tags: ['registry'], summary: "List a tenant's thing types by name", params: TenantParams, querystring: PageQuery, response: { 200: Page(ThingTypeJson), ...commonErrors } },
  }, async (request) => {
    return pageJson(await services.store.listThingTypes(request.params.tenant, pageQuery(request.query)), thingTypeJson);
  });

  app.post<{ Params: TenantNameParams; Body: CreateThingTypeBody }>(`${base}/:name`, {
    schema: {
      tags: ['registry'],
      summary: 'Create a thing type (201); 200 when it exists with the same properties, 409 when it exists with others. At most 3 searchable attributes',
      params: TenantNameParams,
      body: CreateThingTypeBody,
      response: { 200: ThingTypeJson, 201: ThingTypeJson, ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant, name } = request.params;
    await existingTenant(services, tenant);
    const context = registryContext(services);
    const properties = request.body?.thingTypeProperties;
    const type: ThingTypeRecord = {
      tenant, name, thingTypeId: randomUUID(),
      ...(properties?.thingTypeDescription === undefined ? {} : { description: properties.thingTypeDescription }),
      searchableAttributes: properties?.searchableAttributes ?? [],
      deprecated: false, createdAt: context.now, updatedAt: context.now,
    };
    if (await services.store.createThingType(type)) {
      await recordAudit(services, request, { action: 'thing-type.create', tenant, target: `thing-type/${name}`, details: { searchableAttributes: [...type.searchableAttributes] } });
      await context.events?.thingType('CREATED', type);
      return reply.code(201).send(thingTypeJson(type));
    }
    const existing = await services.store.getThingType(tenant, name);
    if (existing !== undefined && existing.description === type.description && existing.searchableAttributes.join('\n') === type.searchableAttributes.join('\n')) {
      return reply.code(200).send(thingTypeJson(existing));
    }
    throw new GatehouseError('CONFLICT', { reason: `Cannot create thing type "${name}": it exists with other properties` });
  });

  app.get<{ Params: TenantNameParams }>(`${base}/:name`, {
    schema: { tags: ['registry'], summary: 'Show a thing type', params: TenantNameParams, response: { 200: ThingTypeJson, ...commonErrors } },
  }, async (request) => {
    const type = await services.store.getThingType(request.params.tenant, request.params.name);
    if (type === undefined) throw notFound(request.params.name);
    return thingTypeJson(type);
  });

  app.post<{ Params: TenantNameParams; Body: DeprecateThingTypeBody }>(`${base}/:name/deprecate`, {
    schema: {
      tags: ['registry'],
      summary: 'Deprecate a thing type (no new thing may get it; things that have it keep it), or with undoDeprecate take that back',
      params: TenantNameParams,
      body: DeprecateThingTypeBody,
      response: { 200: ThingTypeJson, ...commonErrors },
    },
  }, async (request) => {
    const { tenant, name } = request.params;
    const context = registryContext(services);
    const deprecated = request.body?.undoDeprecate !== true;
    const before = await services.store.getThingType(tenant, name);
    const type = await services.store.setThingTypeDeprecated(tenant, name, deprecated, context.now);
    if (type === undefined || before === undefined) throw notFound(name);
    if (before.deprecated !== deprecated) {
      await recordAudit(services, request, { action: deprecated ? 'thing-type.deprecate' : 'thing-type.undeprecate', tenant, target: `thing-type/${name}` });
      await context.events?.thingType('UPDATED', type);
    }
    return thingTypeJson(type);
  });

  app.delete<{ Params: TenantNameParams }>(`${base}/:name`, {
    schema: {
      tags: ['registry'],
      summary: 'Delete a thing type: only a deprecated one that no thing has (409 otherwise). Unlike AWS, there is no five-minute wait after deprecating',
      params: TenantNameParams,
      response: { 204: Type.Null(), ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant, name } = request.params;
    const existing = await services.store.getThingType(tenant, name);
    if (existing === undefined || !(await services.store.deleteThingType(tenant, name))) throw notFound(name);
    await recordAudit(services, request, { action: 'thing-type.delete', tenant, target: `thing-type/${name}` });
    await registryContext(services).events?.thingType('DELETED', existing);
    return reply.code(204).send();
  });
}
