/** The registry records as the admin API shows them (AWS's field names, ISO times), and the context its routes hand to the registry operations. */
import type { BillingGroupRecord, ThingRecord, ThingTypeRecord } from '../../store/index.js';
import { registryArn, thingIdOf, type RegistryContext } from '../../services/index.js';
import type { IdentityServices } from './identity-services.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The store, the tenant events publisher and the time of this request's change. */
export function registryContext(services: IdentityServices): RegistryContext {
  return { store: services.store, ...(services.registryEvents === undefined ? {} : { events: services.registryEvents }), now: (services.now?.() ?? new Date()).getTime() };
}

export function thingJson(thing: ThingRecord): unknown {
  return {
    tenant: thing.tenant,
    thingName: thing.name,
    thingId: thingIdOf(thing),
    thingArn: registryArn(thing.tenant, 'thing', thing.name),
    ...(thing.thingType === undefined ? {} : { thingTypeName: thing.thingType }),
    attributes: thing.attributes,
    version: thing.version,
    ...(thing.billingGroup === undefined ? {} : { billingGroupName: thing.billingGroup }),
    thingGroups: thing.groups,
    defaultClientId: thing.name,
    createdAt: iso(thing.createdAt),
    updatedAt: iso(thing.updatedAt),
  };
}

export function thingTypeJson(type: ThingTypeRecord): unknown {
  return {
    tenant: type.tenant,
    thingTypeName: type.name,
    thingTypeId: type.thingTypeId,
    thingTypeArn: registryArn(type.tenant, 'thingtype', type.name),
    thingTypeProperties: { ...(type.description === undefined ? {} : { thingTypeDescription: type.description }), searchableAttributes: type.searchableAttributes },
    thingTypeMetadata: { deprecated: type.deprecated, ...(type.deprecatedAt === undefined ? {} : { deprecationDate: iso(type.deprecatedAt) }), creationDate: iso(type.createdAt) },
  };
}

export function billingGroupJson(group: BillingGroupRecord): unknown {
  return {
    tenant: group.tenant,
    billingGroupName: group.name,
    billingGroupId: group.billingGroupId,
    billingGroupArn: registryArn(group.tenant, 'billinggroup', group.name),
    version: group.version,
    billingGroupProperties: group.description === undefined ? {} : { billingGroupDescription: group.description },
    billingGroupMetadata: { creationDate: iso(group.createdAt) },
  };
}

/** The store's page for a validated `?limit=&cursor=`: 100 items when the query names no limit. */
export function pageQuery(query: { readonly limit?: number | undefined; readonly cursor?: string | undefined }): { limit: number; cursor?: string } {
  return { limit: query.limit ?? 100, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) };
}

/** `{items, nextCursor?}` with each item shown by `json`. */
export function pageJson<T>(page: { readonly items: readonly T[]; readonly nextCursor?: string }, json: (item: T) => unknown): unknown {
  return { items: page.items.map(json), ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
}
