/**
 * `/v1/tenants/{tenant}/things/{thing}/shadow[?name=]` and `/v1/tenants/{tenant}/things/{thing}/shadows`:
 * a thing's device shadows for the operator and the SaaS backend, with the admin key. Bodies are
 * AWS's (GetThingShadow, UpdateThingShadow, DeleteThingShadow, ListNamedShadowsForThing), errors
 * `{code, message, timestamp}` with the code as HTTP status; updates go through the shadow's queue
 * and publish `/update/accepted`, `/delta` and `/documents` as MQTT updates do.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/index.js';
import type { ShadowService } from '../../services/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import { TenantName } from '../identity/identity-schemas.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { listNamedShadowsBody, NamedShadowsQuery, registerShadowScope, sendShadowResult, shadowTarget } from '../shadow/shadow-http.js';

const ThingParams = Type.Object({ tenant: TenantName, thing: Type.String({ description: 'Thing name (AWS pattern: 1-128 of [a-zA-Z0-9:_-])' }) });
type ThingParams = Static<typeof ThingParams>;
const ShadowQuery = Type.Object(
  { name: Type.Optional(Type.String({ description: 'Named shadow (1-64 of [$a-zA-Z0-9:_-]); absent for the classic shadow' })) },
  { additionalProperties: false },
);
type ShadowQuery = Static<typeof ShadowQuery>;

export interface ShadowRouteOptions {
  readonly shadows: ShadowService;
  readonly logger: Logger;
  /** Records updates and deletes in the audit log when given. */
  readonly audit?: IdentityServices;
}

/**
 * @example
 * registerShadowRoutes(app, { shadows: shadowService, logger, audit: identityServices });
 * // POST /v1/tenants/acme/things/agent-7/shadow?name=config  {"state":{"desired":{"interval":10}}}
 */
export function registerShadowRoutes(app: FastifyInstance, options: ShadowRouteOptions): void {
  const { shadows } = options;
  registerShadowScope(app, options.logger, (scope) => {
    scope.get<{ Params: ThingParams; Querystring: ShadowQuery }>('/v1/tenants/:tenant/things/:thing/shadow', {
      schema: { tags: ['shadows'], summary: "A thing's classic shadow, or the named one `?name=` gives (AWS GetThingShadow body)", params: ThingParams, querystring: ShadowQuery },
    }, async (request, reply) => {
      const { thing, shadow } = shadowTarget(request.params.thing, request.query.name);
      return sendShadowResult(reply, await shadows.get(request.params.tenant, thing, shadow));
    });

    scope.post<{ Params: ThingParams; Querystring: ShadowQuery; Body: Buffer }>('/v1/tenants/:tenant/things/:thing/shadow', {
      schema: {
        tags: ['shadows'],
        summary: 'Update (or create) a shadow with an AWS request document `{"state":{"desired":{...}},"version"?:N}`; answers the `/update/accepted` document and publishes the MQTT events',
        params: ThingParams,
        querystring: ShadowQuery,
      },
    }, async (request, reply) => {
      const { tenant } = request.params;
      const { thing, shadow } = shadowTarget(request.params.thing, request.query.name);
      const result = await shadows.update(tenant, thing, shadow, request.body ?? Buffer.alloc(0));
      if (result.status === 200 && options.audit !== undefined) {
        await recordAudit(options.audit, request, { action: 'shadow.update', tenant, target: shadowAuditTarget(thing, shadow), details: { version: (result.body as { version?: number }).version ?? null } });
      }
      return sendShadowResult(reply, result);
    });

    scope.delete<{ Params: ThingParams; Querystring: ShadowQuery }>('/v1/tenants/:tenant/things/:thing/shadow', {
      schema: { tags: ['shadows'], summary: 'Delete a shadow; recreated within 48 h it continues its version (AWS DeleteThingShadow body `{version, timestamp}`)', params: ThingParams, querystring: ShadowQuery },
    }, async (request, reply) => {
      const { tenant } = request.params;
      const { thing, shadow } = shadowTarget(request.params.thing, request.query.name);
      const result = await shadows.delete(tenant, thing, shadow);
      if (result.status === 200 && options.audit !== undefined) {
        await recordAudit(options.audit, request, { action: 'shadow.delete', tenant, target: shadowAuditTarget(thing, shadow), details: { version: (result.body as { version?: number }).version ?? null } });
      }
      return sendShadowResult(reply, result);
    });

    scope.get<{ Params: ThingParams; Querystring: NamedShadowsQuery }>('/v1/tenants/:tenant/things/:thing/shadows', {
      schema: {
        tags: ['shadows'],
        summary: "A thing's named shadows, bytewise by name (AWS ListNamedShadowsForThing body `{results, nextToken?, timestamp}`; the classic shadow is not listed)",
        params: ThingParams,
        querystring: NamedShadowsQuery,
      },
    }, async (request, reply) => {
      const { thing } = shadowTarget(request.params.thing, undefined);
      return reply.send(await listNamedShadowsBody(shadows, request.params.tenant, thing, request.query));
    });
  });
}

function shadowAuditTarget(thing: string, shadow: string | undefined): string {
  return shadow === undefined ? `thing/${thing}/shadow` : `thing/${thing}/shadow/${shadow}`;
}
