/**
 * MemoryIdentityStore's thing type, billing group, thing group version and registry event setting
 * verbs as synchronous functions on the tables, run under its lock.
 */
import { checkPageLimit } from '../identity-ports.js';
import { thingTypeInUse, type BillingGroupRecord, type EventConfigurationRecord, type NamePageQuery, type ThingTypeRecord } from '../registry-ports.js';
import type { ThingGroupRecord } from '../thing-group-ports.js';
import { key, type MemoryIdentityTables } from './memory-identity-tables.js';
import { putThingGroup } from './memory-thing-group-verbs.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function copyType(type: ThingTypeRecord): ThingTypeRecord {
  return { ...type, searchableAttributes: [...type.searchableAttributes] };
}

/** One page of a tenant's records ordered by name. */
function page<T extends { readonly tenant: string; readonly name: string }>(records: Map<string, T>, tenant: string, query: NamePageQuery, copy: (record: T) => T, what: string): { items: T[]; nextCursor?: string } {
  checkPageLimit(query.limit, what);
  const matching = [...records.values()]
    .filter((record) => record.tenant === tenant && (query.cursor === undefined || record.name > query.cursor))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const items = matching.slice(0, query.limit).map(copy);
  const last = items.at(-1);
  return matching.length > query.limit && last !== undefined ? { items, nextCursor: last.name } : { items };
}

export function createThingType(tables: MemoryIdentityTables, type: ThingTypeRecord): boolean {
  if (tables.thingTypes.has(key(type.tenant, type.name))) return false;
  tables.thingTypes.set(key(type.tenant, type.name), copyType(type));
  return true;
}

export function getThingType(tables: MemoryIdentityTables, tenant: string, name: string): ThingTypeRecord | undefined {
  const type = tables.thingTypes.get(key(tenant, name));
  return type === undefined ? undefined : copyType(type);
}

export function listThingTypes(tables: MemoryIdentityTables, tenant: string, query: NamePageQuery): { items: ThingTypeRecord[]; nextCursor?: string } {
  return page(tables.thingTypes, tenant, query, copyType, 'thing types');
}

export function setThingTypeDeprecated(tables: MemoryIdentityTables, tenant: string, name: string, deprecated: boolean, at: number): ThingTypeRecord | undefined {
  const type = tables.thingTypes.get(key(tenant, name));
  if (type === undefined) return undefined;
  if (type.deprecated === deprecated) return copyType(type);
  const { deprecatedAt: _previous, ...rest } = type;
  const updated: Mutable<ThingTypeRecord> = { ...rest, deprecated, updatedAt: at };
  if (deprecated) updated.deprecatedAt = at;
  tables.thingTypes.set(key(tenant, name), updated);
  return copyType(updated);
}

export function deleteThingType(tables: MemoryIdentityTables, tenant: string, name: string): boolean {
  const type = tables.thingTypes.get(key(tenant, name));
  if (type === undefined) return false;
  const things = [...tables.things.values()].filter((thing) => thing.tenant === tenant && thing.thingType === name).length;
  if (!type.deprecated || things > 0) throw thingTypeInUse(name, { deprecated: type.deprecated, things });
  return tables.thingTypes.delete(key(tenant, name));
}

export function createBillingGroup(tables: MemoryIdentityTables, group: BillingGroupRecord): boolean {
  if (tables.billingGroups.has(key(group.tenant, group.name))) return false;
  tables.billingGroups.set(key(group.tenant, group.name), { ...group });
  return true;
}

export function replaceBillingGroup(tables: MemoryIdentityTables, group: BillingGroupRecord, expectedVersion: number): boolean {
  if (tables.billingGroups.get(key(group.tenant, group.name))?.version !== expectedVersion) return false;
  tables.billingGroups.set(key(group.tenant, group.name), { ...group });
  return true;
}

export function getBillingGroup(tables: MemoryIdentityTables, tenant: string, name: string): BillingGroupRecord | undefined {
  const group = tables.billingGroups.get(key(tenant, name));
  return group === undefined ? undefined : { ...group };
}

export function listBillingGroups(tables: MemoryIdentityTables, tenant: string, query: NamePageQuery): { items: BillingGroupRecord[]; nextCursor?: string } {
  return page(tables.billingGroups, tenant, query, (group) => ({ ...group }), 'billing groups');
}

export function deleteBillingGroup(tables: MemoryIdentityTables, tenant: string, name: string): boolean {
  if (!tables.billingGroups.delete(key(tenant, name))) return false;
  for (const [id, thing] of tables.things) {
    if (thing.tenant !== tenant || thing.billingGroup !== name) continue;
    const { billingGroup: _left, ...rest } = thing;
    tables.things.set(id, rest);
  }
  return true;
}

export function replaceThingGroup(tables: MemoryIdentityTables, group: ThingGroupRecord, expectedVersion: number): boolean {
  const current = tables.thingGroups.get(key(group.tenant, group.name));
  if (current === undefined || (current.version ?? 1) !== expectedVersion) return false;
  putThingGroup(tables, group);
  return true;
}

export function getEventConfigurations(tables: MemoryIdentityTables, tenant: string): EventConfigurationRecord | undefined {
  const record = tables.eventConfigurations.get(tenant);
  return record === undefined ? undefined : { ...record, enabled: [...record.enabled] };
}

export function putEventConfigurations(tables: MemoryIdentityTables, record: EventConfigurationRecord): void {
  tables.eventConfigurations.set(record.tenant, { ...record, enabled: [...record.enabled] });
}
