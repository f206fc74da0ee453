/**
 * `/v1/tenants/{tenant}/event-configurations`: which registry events the tenant's topics carry, as
 * AWS's DescribeEventConfigurations (GET) and UpdateEventConfigurations (PATCH). All are off until
 * turned on, as in a new AWS account.
 */
import type { FastifyInstance } from 'fastify';
import { REGISTRY_EVENT_TYPES, type EventConfigurationRecord, type RegistryEventType } from '../../store/index.js';
import { recordAudit } from '../identity/audit-trail.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { registryContext } from '../identity/registry-json.js';
import { EventConfigurationsBody, EventConfigurationsJson } from '../identity/registry-schemas.js';
import { TenantParams } from '../identity/role-alias-schemas.js';
import { commonErrors } from '../schemas.js';
import { existingTenant } from './tenants.js';

/**
 * @example
 * registerEventConfigurationRoutes(app, identityServices);
 * // PATCH /v1/tenants/acme/event-configurations  {"eventConfigurations":{"THING":{"Enabled":true}}}
 */
export function registerEventConfigurationRoutes(app: FastifyInstance, services: IdentityServices): void {
  const path = '/v1/tenants/:tenant/event-configurations';

  app.get<{ Params: TenantParams }>(path, {
    schema: { tags: ['registry'], summary: 'Which registry event types the tenant publishes', params: TenantParams, response: { 200: EventConfigurationsJson, ...commonErrors } },
  }, async (request) => eventConfigurationsJson(await services.store.getEventConfigurations(request.params.tenant)));

  app.patch<{ Params: TenantParams; Body: EventConfigurationsBody }>(path, {
    schema: {
      tags: ['registry'],
      summary: `Turn registry event types on or off (${REGISTRY_EVENT_TYPES.join(', ')}); the types not given stay as they are. Applies to the next change`,
      params: TenantParams,
      body: EventConfigurationsBody,
      response: { 200: EventConfigurationsJson, ...commonErrors },
    },
  }, async (request) => {
    const { tenant } = request.params;
    await existingTenant(services, tenant);
    const at = registryContext(services).now;
    // Read, merge, write in one transaction: two PATCHes of different types both take effect.
    const record = await services.store.transaction(async (tx) => {
      const current = await tx.getEventConfigurations(tenant);
      const enabled = new Set<RegistryEventType>(current?.enabled ?? []);
      for (const [type, setting] of Object.entries(request.body.eventConfigurations) as Array<[RegistryEventType, { Enabled: boolean } | undefined]>) {
        if (setting === undefined) continue;
        if (setting.Enabled) enabled.add(type);
        else enabled.delete(type);
      }
      const next: EventConfigurationRecord = { tenant, enabled: REGISTRY_EVENT_TYPES.filter((type) => enabled.has(type)), createdAt: current?.createdAt ?? at, updatedAt: at };
      await tx.putEventConfigurations(next);
      return next;
    });
    await recordAudit(services, request, { action: 'event-configurations.update', tenant, target: `tenant/${tenant}`, details: { enabled: [...record.enabled] } });
    return eventConfigurationsJson(record);
  });
}

function eventConfigurationsJson(record: EventConfigurationRecord | undefined): unknown {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    eventConfigurations: Object.fromEntries(REGISTRY_EVENT_TYPES.map((type) => [type, { Enabled: record?.enabled.includes(type) ?? false }])),
    ...(record === undefined ? {} : { creationDate: iso(record.createdAt), lastModifiedDate: iso(record.updatedAt) }),
  };
}
