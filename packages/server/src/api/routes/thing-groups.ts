/**
 * `/v1/tenants/{tenant}/thing-groups`: the static thing group tree. A policy attached to a group
 * (`thingGroup=` on the policy targets) applies to the things of the group and of every group below it.
 * Groups carry AWS's properties too (attributes, version); changes publish the registry events the tenant enabled.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/index.js';
import { deleteThingGroup, putThingGroup, registryArn, thingGroupIdOf } from '../../services/index.js';
import type { ThingGroupRecord } from '../../store/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import { TenantName } from '../identity/identity-schemas.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { registryContext } from '../identity/registry-json.js';
import { AttributePayloadBody } from '../identity/registry-schemas.js';
import { commonErrors, ErrorBody } from '../schemas.js';

/** AWS's thing group name pattern (CreateThingGroup), the same as a thing's. */
const ThingGroupName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9:_-]+$', description: 'Thing group name (AWS pattern)' });

const TenantParams = Type.Object({ tenant: TenantName });
type TenantParams = Static<typeof TenantParams>;
const ThingGroupParams = Type.Object({ tenant: TenantName, name: ThingGroupName });
type ThingGroupParams = Static<typeof ThingGroupParams>;

const ThingGroupBody = Type.Union([
  Type.Object(
    {
      parent: Type.Optional(ThingGroupName),
      description: Type.Optional(Type.String({ maxLength: 2028, description: "AWS's thingGroupDescription limit" })),
      attributePayload: Type.Optional(AttributePayloadBody),
      expectedVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'Refused with 409 VERSION_CONFLICT unless the group is at this version' })),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
], { description: 'A thing group to create or replace; without `parent` it is a root. The parent must exist; the tree may be at most 7 levels deep. Attributes stay as they are unless attributePayload is given (replacing them, or merging with merge: true)' });
type ThingGroupBody = Static<typeof ThingGroupBody>;

const ThingGroupJson = Type.Object(
  {
    tenant: Type.String(),
    name: Type.String(),
    parent: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    thingGroupId: Type.String(),
    thingGroupArn: Type.String(),
    version: Type.Integer(),
    attributes: Type.Record(Type.String(), Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A static thing group' },
);

/**
 * @example
 * registerThingGroupRoutes(app, identityServices);
 * // PUT /v1/tenants/acme/thing-groups/berlin  {"parent":"sites"}
 */
export function registerThingGroupRoutes(app: FastifyInstance, services: IdentityServices): void {
  app.get<{ Params: TenantParams }>('/v1/tenants/:tenant/thing-groups', {
    schema: {
      tags: ['registry'],
      summary: "List a tenant's thing groups, ordered by name",
      params: TenantParams,
      response: { 200: Type.Object({ items: Type.Array(ThingGroupJson) }), ...commonErrors },
    },
  }, async (request) => ({ items: (await services.store.listThingGroups(request.params.tenant)).map(thingGroupJson) }));

  app.get<{ Params: ThingGroupParams }>('/v1/tenants/:tenant/thing-groups/:name', {
    schema: { tags: ['registry'], summary: 'Show one thing group', params: ThingGroupParams, response: { 200: ThingGroupJson, ...commonErrors } },
  }, async (request) => {
    const { tenant, name } = request.params;
    const group = await services.store.getThingGroup(tenant, name);
    if (group === undefined) throw notFound(tenant, name);
    return thingGroupJson(group);
  });

  app.put<{ Params: ThingGroupParams; Body: ThingGroupBody }>('/v1/tenants/:tenant/thing-groups/:name', {
    schema: {
      tags: ['registry'],
      summary: "Create or replace a thing group (replacing may move it under another parent); policies of its ancestors reach its things' live connections within a second",
      params: ThingGroupParams,
      body: ThingGroupBody,
      response: { 200: ThingGroupJson, 201: ThingGroupJson, ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant, name } = request.params;
    const { group, created } = await putThingGroup(registryContext(services), tenant, name, request.body ?? {});
    await recordAudit(services, request, { action: created ? 'thing-group.create' : 'thing-group.update', tenant, target: `thing-group/${name}`, details: { parent: group.parent ?? null, version: group.version ?? 1 } });
    return reply.code(created ? 201 : 200).send(thingGroupJson(group));
  });

  app.delete<{ Params: ThingGroupParams }>('/v1/tenants/:tenant/thing-groups/:name', {
    schema: {
      tags: ['registry'],
      summary: 'Delete a thing group; refused (409) while other groups have it as their parent. Its things leave it',
      params: ThingGroupParams,
      response: { 204: Type.Null(), ...commonErrors, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const { tenant, name } = request.params;
    if ((await deleteThingGroup(registryContext(services), tenant, name)) === undefined) throw notFound(tenant, name);
    await recordAudit(services, request, { action: 'thing-group.delete', tenant, target: `thing-group/${name}` });
    return reply.code(204).send();
  });
}

function notFound(tenant: string, name: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Thing group', id: name, tenant });
}

function thingGroupJson(group: ThingGroupRecord): unknown {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    ...group,
    thingGroupId: thingGroupIdOf(group),
    thingGroupArn: registryArn(group.tenant, 'thinggroup', group.name),
    version: group.version ?? 1,
    attributes: group.attributes ?? {},
    createdAt: iso(group.createdAt),
    updatedAt: iso(group.updatedAt),
  };
}
