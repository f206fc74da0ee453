/** MemoryIdentityStore's thing verbs as synchronous functions on the tables, run under its lock. */
import type { ThingRecord } from '../identity-ports.js';
import { checkPageLimit } from '../identity-ports.js';
import {
  billingGroupNotFound, checkThingQuery, groupAndDescendants, MAX_THING_GROUPS_PER_THING, thingGroupNotFound, thingNotFound, tooManyThingGroups,
  type ThingPage, type ThingQuery,
} from '../registry-ports.js';
import { registryChange } from '../policy-ports.js';
import { key, type MemoryIdentityTables } from './memory-identity-tables.js';
import { recordChange } from './memory-policy-verbs.js';

export function copyThing(source: ThingRecord): ThingRecord {
  return { ...source, attributes: { ...source.attributes }, groups: [...source.groups] };
}

/** Also the verb under createThing and replaceThing: the one place a thing's record is written whole. */
export function putThing(tables: MemoryIdentityTables, thing: ThingRecord): void {
  tables.things.set(key(thing.tenant, thing.name), copyThing(thing));
  thingChanged(tables, thing.tenant, thing.name);
}

/** The feed entry that makes live connections of the thing resolve their policies again. */
function thingChanged(tables: MemoryIdentityTables, tenant: string, name: string): void {
  recordChange(tables, registryChange(tenant, 'thing', name, Date.now()));
}

export function getThing(tables: MemoryIdentityTables, tenant: string, name: string): ThingRecord | undefined {
  const thing = tables.things.get(key(tenant, name));
  return thing === undefined ? undefined : copyThing(thing);
}

export function createThing(tables: MemoryIdentityTables, thing: ThingRecord): boolean {
  if (tables.things.has(key(thing.tenant, thing.name))) return false;
  putThing(tables, thing);
  return true;
}

/** Groups and billing group stay as stored: only the membership verbs change them. */
export function replaceThing(tables: MemoryIdentityTables, thing: ThingRecord, expectedVersion: number): boolean {
  const current = tables.things.get(key(thing.tenant, thing.name));
  if (current?.version !== expectedVersion) return false;
  const { billingGroup: _given, ...rest } = thing;
  putThing(tables, { ...rest, groups: current.groups, ...(current.billingGroup === undefined ? {} : { billingGroup: current.billingGroup }) });
  return true;
}

export function deleteThing(tables: MemoryIdentityTables, tenant: string, name: string): boolean {
  if (!tables.things.delete(key(tenant, name))) return false;
  for (const [id, record] of tables.certificates) {
    if (record.tenant !== tenant || record.thing !== name) continue;
    const { thing: _thing, ...detached } = record;
    tables.certificates.set(id, detached);
  }
  thingChanged(tables, tenant, name);
  return true;
}

export function deleteThingAtVersion(tables: MemoryIdentityTables, tenant: string, name: string, expectedVersion: number): boolean {
  if (tables.things.get(key(tenant, name))?.version !== expectedVersion) return false;
  return deleteThing(tables, tenant, name);
}

/** Filters by scanning the tenant's things: this backend keeps no indexes. */
export function listThings(tables: MemoryIdentityTables, tenant: string, query: ThingQuery): ThingPage {
  checkPageLimit(query.limit, 'things');
  checkThingQuery(query);
  const groups = query.thingGroup === undefined ? undefined : new Set(query.recursive === true ? groupAndDescendants(query.thingGroup, tenantTree(tables, tenant)) : [query.thingGroup]);
  const matching = [...tables.things.values()]
    .filter((thing) => thing.tenant === tenant && (query.cursor === undefined || thing.name > query.cursor) && matches(thing, query, groups))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const items = matching.slice(0, query.limit).map(copyThing);
  const last = items.at(-1);
  return matching.length > query.limit && last !== undefined ? { items, nextCursor: last.name } : { items };
}

function matches(thing: ThingRecord, query: ThingQuery, groups: ReadonlySet<string> | undefined): boolean {
  if (query.thingType !== undefined && thing.thingType !== query.thingType) return false;
  if (query.billingGroup !== undefined && thing.billingGroup !== query.billingGroup) return false;
  if (groups !== undefined && !thing.groups.some((group) => groups.has(group))) return false;
  if (query.attributeName !== undefined) {
    const value = thing.attributes[query.attributeName];
    if (value === undefined) return false;
    if (query.attributeValue !== undefined && !(query.usePrefixAttributeValue === true ? value.startsWith(query.attributeValue) : value === query.attributeValue)) return false;
  }
  return true;
}

function tenantTree(tables: MemoryIdentityTables, tenant: string): Map<string, string | undefined> {
  const tree = new Map<string, string | undefined>();
  for (const group of tables.thingGroups.values()) if (group.tenant === tenant) tree.set(group.name, group.parent);
  return tree;
}

export function addThingToThingGroup(tables: MemoryIdentityTables, tenant: string, group: string, name: string): boolean {
  const thing = tables.things.get(key(tenant, name));
  if (thing === undefined) throw thingNotFound(tenant, name);
  if (!tables.thingGroups.has(key(tenant, group))) throw thingGroupNotFound(tenant, group);
  if (thing.groups.includes(group)) return false;
  if (thing.groups.length >= MAX_THING_GROUPS_PER_THING) throw tooManyThingGroups(name, group);
  tables.things.set(key(tenant, name), { ...thing, groups: [...thing.groups, group].sort() });
  thingChanged(tables, tenant, name);
  return true;
}

export function removeThingFromThingGroup(tables: MemoryIdentityTables, tenant: string, group: string, name: string): boolean {
  const thing = tables.things.get(key(tenant, name));
  if (thing === undefined || !thing.groups.includes(group)) return false;
  tables.things.set(key(tenant, name), { ...thing, groups: thing.groups.filter((each) => each !== group) });
  thingChanged(tables, tenant, name);
  return true;
}

export function setThingBillingGroup(tables: MemoryIdentityTables, tenant: string, name: string, billingGroup: string | undefined): string | undefined {
  const thing = tables.things.get(key(tenant, name));
  if (thing === undefined) throw thingNotFound(tenant, name);
  if (billingGroup !== undefined && !tables.billingGroups.has(key(tenant, billingGroup))) throw billingGroupNotFound(tenant, billingGroup);
  const { billingGroup: previous, ...rest } = thing;
  tables.things.set(key(tenant, name), billingGroup === undefined ? rest : { ...rest, billingGroup });
  return previous;
}

/** A deleted thing group's things leave it (deleteThingGroup calls this; its own `thing-group` entry covers them). */
export function removeGroupFromThings(tables: MemoryIdentityTables, tenant: string, group: string): void {
  for (const [id, thing] of tables.things) {
    if (thing.tenant === tenant && thing.groups.includes(group)) tables.things.set(id, { ...thing, groups: thing.groups.filter((each) => each !== group) });
  }
}
