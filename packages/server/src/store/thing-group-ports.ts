/**
 * The static thing group tree of the identity store port: groups with an optional parent, so policies
 * attached to a group apply to the things of its subgroups too. Every backend checks a put with
 * `checkThingGroupPut` against the tenant's tree, so all refuse the same trees with the same messages.
 */
import { GatehouseError } from '../core/index.js';

/** AWS IoT's limit on the depth of a thing group tree: a root and six levels below it. */
export const MAX_THING_GROUP_DEPTH = 7;

/** A static thing group; things name it in `ThingRecord.groups`. */
export interface ThingGroupRecord {
  readonly tenant: string;
  /** 1..128 of `[a-zA-Z0-9:_-]`, as AWS allows. */
  readonly name: string;
  /** The parent group of the same tenant; absent for a root. */
  readonly parent?: string;
  readonly description?: string;
  /** AWS's thingGroupProperties.attributePayload.attributes; absent when it has none. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** AWS's thingGroupId, a UUID set at creation; absent on groups made before the registry had them. */
  readonly thingGroupId?: string;
  /** 1 at creation, +1 per update (AWS's expectedVersion); absent means 1. */
  readonly version?: number;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
}

/**
 * Thing groups. A group's policies reach the things of every group below it (the policy resolver
 * follows `parent` up from a thing's groups).
 *
 * @example
 * await identity.putThingGroup({ tenant: 'acme', name: 'sites', createdAt: now, updatedAt: now });
 * await identity.putThingGroup({ tenant: 'acme', name: 'site-berlin', parent: 'sites', createdAt: now, updatedAt: now });
 * (await identity.getThingGroup('acme', 'site-berlin'))?.parent; // 'sites'
 */
export interface ThingGroupStore {
  /**
   * Creates or replaces a group. BAD_REQUEST when the parent is not a group of the tenant, when it
   * would make the group its own ancestor, or when the tree would grow deeper than
   * `MAX_THING_GROUP_DEPTH` (counting the groups already below this one).
   */
  putThingGroup(group: ThingGroupRecord): Promise<void>;
  getThingGroup(tenant: string, name: string): Promise<ThingGroupRecord | undefined>;
  /** The tenant's groups, ordered by name. */
  listThingGroups(tenant: string): Promise<ThingGroupRecord[]>;
  /** False when there was no such group; its things leave it. CONFLICT while other groups have it as their parent. */
  deleteThingGroup(tenant: string, name: string): Promise<boolean>;
}

/**
 * Throws unless `group` may be put into the tenant's tree, given as each group's name and parent
 * (the group's own current record included or not).
 *
 * @example
 * checkThingGroupPut({ tenant: 'acme', name: 'a', parent: 'b', createdAt: 1, updatedAt: 1 }, new Map([['b', undefined]]));
 */
export function checkThingGroupPut(group: ThingGroupRecord, tree: ReadonlyMap<string, string | undefined>): void {
  const action = `Cannot save thing group "${group.name}"`;
  if (group.parent === undefined) {
    checkDepth(action, 1 + heightBelow(group.name, tree));
    return;
  }
  if (group.parent === group.name) throw new GatehouseError('BAD_REQUEST', { reason: `${action}: a group cannot be its own parent` });
  if (!tree.has(group.parent)) throw new GatehouseError('BAD_REQUEST', { reason: `${action}: parent group "${group.parent}" does not exist in tenant "${group.tenant}"; create it first` });
  let depth = 1;
  for (let current: string | undefined = group.parent; current !== undefined; current = tree.get(current)) {
    if (current === group.name) throw new GatehouseError('BAD_REQUEST', { reason: `${action}: parent "${group.parent}" is below it, which would make a cycle` });
    // A stored tree is never deeper than the limit; the bound only stops a loop on a corrupt one.
    if (++depth > MAX_THING_GROUP_DEPTH + 1) break;
  }
  checkDepth(action, depth + heightBelow(group.name, tree));
}

/** What `deleteThingGroup` throws while the group has children. */
export function thingGroupHasChildren(name: string, children: readonly string[]): GatehouseError {
  const shown = children.slice(0, 3).map((child) => `"${child}"`).join(', ');
  return new GatehouseError('CONFLICT', { reason: `Cannot delete thing group "${name}": it is the parent of ${shown}${children.length > 3 ? ` and ${children.length - 3} more` : ''}; delete or move its child groups first` });
}

function checkDepth(action: string, depth: number): void {
  if (depth > MAX_THING_GROUP_DEPTH) throw new GatehouseError('BAD_REQUEST', { reason: `${action}: the group tree would be ${depth} levels deep, more than the limit of ${MAX_THING_GROUP_DEPTH}` });
}

/** How many levels of groups hang below `name` (0 for a leaf). */
function heightBelow(name: string, tree: ReadonlyMap<string, string | undefined>, guard = 0): number {
  if (guard > MAX_THING_GROUP_DEPTH) return guard;
  let height = 0;
  for (const [child, parent] of tree) {
    if (parent === name && child !== name) height = Math.max(height, 1 + heightBelow(child, tree, guard + 1));
  }
  return height;
}
