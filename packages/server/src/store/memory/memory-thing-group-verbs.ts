/** MemoryIdentityStore's thing group verbs as synchronous functions on the tables, run under its lock. */
import { registryChange } from '../policy-ports.js';
import { checkThingGroupPut, thingGroupHasChildren, type ThingGroupRecord } from '../thing-group-ports.js';
import { key, type MemoryIdentityTables } from './memory-identity-tables.js';
import { recordChange } from './memory-policy-verbs.js';
import { removeGroupFromThings } from './memory-thing-verbs.js';

function copyGroup(group: ThingGroupRecord): ThingGroupRecord {
  return group.attributes === undefined ? { ...group } : { ...group, attributes: { ...group.attributes } };
}

/** The tenant's groups as name → parent, the shape `checkThingGroupPut` reads. */
function tenantTree(tables: MemoryIdentityTables, tenant: string): Map<string, string | undefined> {
  const tree = new Map<string, string | undefined>();
  for (const group of tables.thingGroups.values()) if (group.tenant === tenant) tree.set(group.name, group.parent);
  return tree;
}

/** A new group or a new parent writes a feed entry (the groups its things inherit from changed); a description or attributes do not. */
export function putThingGroup(tables: MemoryIdentityTables, group: ThingGroupRecord): void {
  checkThingGroupPut(group, tenantTree(tables, group.tenant));
  const previous = tables.thingGroups.get(key(group.tenant, group.name));
  tables.thingGroups.set(key(group.tenant, group.name), copyGroup(group));
  if (previous === undefined || previous.parent !== group.parent) recordChange(tables, registryChange(group.tenant, 'thing-group', group.name, Date.now()));
}

export function getThingGroup(tables: MemoryIdentityTables, tenant: string, name: string): ThingGroupRecord | undefined {
  const group = tables.thingGroups.get(key(tenant, name));
  return group === undefined ? undefined : copyGroup(group);
}

export function listThingGroups(tables: MemoryIdentityTables, tenant: string): ThingGroupRecord[] {
  return [...tables.thingGroups.values()].filter((group) => group.tenant === tenant).map(copyGroup).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function deleteThingGroup(tables: MemoryIdentityTables, tenant: string, name: string): boolean {
  if (!tables.thingGroups.has(key(tenant, name))) return false;
  const children = listThingGroups(tables, tenant).filter((group) => group.parent === name).map((group) => group.name);
  if (children.length > 0) throw thingGroupHasChildren(name, children);
  removeGroupFromThings(tables, tenant, name);
  recordChange(tables, registryChange(tenant, 'thing-group', name, Date.now()));
  return tables.thingGroups.delete(key(tenant, name));
}
