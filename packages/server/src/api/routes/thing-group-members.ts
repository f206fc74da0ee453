/**
 * `/v1/tenants/{tenant}/thing-groups/{name}/things`: the things of a static thing group, as AWS's
 * AddThingToThingGroup (PUT), RemoveThingFromThingGroup (DELETE) and ListThingsInThingGroup (GET,
 * `recursive` for the subgroups' things too). A thing may be in at most 10 groups.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/index.js';
import { addThingToThingGroup, removeThingFromThingGroup } from '../../services/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { pageJson, pageQuery, registryContext, thingJson } from '../identity/registry-json.js';
import { GroupThingParams, MemberListQuery, TenantNameParams, ThingJson } from '../identity/registry-schemas.js';
import { commonErrors, ErrorBody, Page } from '../schemas.js';

const Membership = Type.Object({ thingGroupName: Type.String(), thingName: Type.String(), changed: Type.Boolean({ description: 'False when it already was (or was not) a member' }) });

/**
 * @example
 * registerThingGroupMemberRoutes(app, identityServices);
 * // PUT /v1/tenants/acme/thing-groups/berlin/things/agent-7
 */
export function registerThingGroupMemberRoutes(app: FastifyInstance, services: IdentityServices): void {
  const base = '/v1/tenants/:tenant/thing-groups/:name/things';

  app.get<{ Params: TenantNameParams; Querystring: MemberListQuery }>(base, {
    schema: {
      tags: ['registry'],
      summary: "The things of a thing group by name (AWS's ListThingsInThingGroup); recursive=true adds those of every group below it",
      params: TenantNameParams,
      querystring: MemberListQuery,
      response: { 200: Page(ThingJson), ...commonErrors },
    },
  }, async (request) => {
    const { tenant, name } = request.params;
    if ((await services.store.getThingGroup(tenant, name)) === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Thing group', id: name });
    const page = await services.store.listThings(tenant, { ...pageQuery(request.query), thingGroup: name, recursive: request.query.recursive === true });
    return pageJson(page, thingJson);
  });

  app.put<{ Params: GroupThingParams }>(`${base}/:thing`, {
    schema: {
      tags: ['registry'],
      summary: "Add a thing to a thing group (AWS's AddThingToThingGroup); 409 when it is in 10 groups already. Its policies reach the thing's live connections within a second",
      params: GroupThingParams,
      response: { 200: Membership, ...commonErrors, 409: ErrorBody },
    },
  }, async (request) => {
    const { tenant, name, thing } = request.params;
    const changed = await addThingToThingGroup(registryContext(services), tenant, name, thing);
    if (changed) await recordAudit(services, request, { action: 'thing-group.add-thing', tenant, target: `thing-group/${name}`, details: { thing } });
    return { thingGroupName: name, thingName: thing, changed };
  });

  app.delete<{ Params: GroupThingParams }>(`${base}/:thing`, {
    schema: {
      tags: ['registry'],
      summary: "Remove a thing from a thing group (AWS's RemoveThingFromThingGroup); changed is false when it was not a member",
      params: GroupThingParams,
      response: { 200: Membership, ...commonErrors },
    },
  }, async (request) => {
    const { tenant, name, thing } = request.params;
    const changed = await removeThingFromThingGroup(registryContext(services), tenant, name, thing);
    if (changed) await recordAudit(services, request, { action: 'thing-group.remove-thing', tenant, target: `thing-group/${name}`, details: { thing } });
    return { thingGroupName: name, thingName: thing, changed };
  });
}
