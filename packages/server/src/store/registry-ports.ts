/**
 * The registry verbs of the identity store port (issue 7): things written with an optimistic version,
 * filtered lists, thing group membership, thing types, billing groups and each tenant's registry
 * event settings. Every backend refuses the same things with the same messages (the helpers below).
 */
import { GatehouseError } from '../core/index.js';
import type { ThingRecord } from './identity-ports.js';
import type { ThingGroupRecord } from './thing-group-ports.js';

/** AWS IoT: a thing may belong to at most 10 thing groups. */
export const MAX_THING_GROUPS_PER_THING = 10;

/** Filters and page of `listThings`. Every filter given must hold; pages are ordered by name (bytewise). */
export interface ThingQuery {
  /** Page size, 1 to 1000. */
  readonly limit: number;
  /** The last name of the previous page. */
  readonly cursor?: string;
  readonly thingType?: string;
  /** Things that have this attribute; with `attributeValue`, with that value. */
  readonly attributeName?: string;
  /** Needs `attributeName`. */
  readonly attributeValue?: string;
  /** `attributeValue` is a prefix of the value rather than the whole value. */
  readonly usePrefixAttributeValue?: boolean;
  /** Things in this static thing group. */
  readonly thingGroup?: string;
  /** With `thingGroup`: things of the group and of every group below it. */
  readonly recursive?: boolean;
  readonly billingGroup?: string;
}

export interface ThingPage {
  readonly items: readonly ThingRecord[];
  /** Present when more may follow: pass it as `cursor` to get the next page. */
  readonly nextCursor?: string;
}

/** Page of the lists ordered by name that take nothing but a page (thing types, billing groups). */
export interface NamePageQuery {
  /** 1 to 1000. */
  readonly limit: number;
  readonly cursor?: string;
}

/** A thing type (AWS CreateThingType): a name things carry, with the attributes meant for searching. */
export interface ThingTypeRecord {
  readonly tenant: string;
  /** 1..128 of `[a-zA-Z0-9:_-]`. */
  readonly name: string;
  /** A UUID, set once at creation. */
  readonly thingTypeId: string;
  readonly description?: string;
  /** At most 3 attribute names. */
  readonly searchableAttributes: readonly string[];
  /** A deprecated type may not be given to more things; only a deprecated type may be deleted. */
  readonly deprecated: boolean;
  /** Epoch ms; present exactly when `deprecated`. */
  readonly deprecatedAt?: number;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
}

/** A billing group (AWS CreateBillingGroup): a thing belongs to at most one. */
export interface BillingGroupRecord {
  readonly tenant: string;
  /** 1..128 of `[a-zA-Z0-9:_-]`. */
  readonly name: string;
  /** A UUID, set once at creation. */
  readonly billingGroupId: string;
  readonly description?: string;
  /** 1 at creation, +1 per update. */
  readonly version: number;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
}

/** AWS's registry event types (UpdateEventConfigurations keys) that Gatehouse publishes. */
export const REGISTRY_EVENT_TYPES = ['THING', 'THING_GROUP', 'THING_TYPE', 'THING_TYPE_ASSOCIATION', 'THING_GROUP_MEMBERSHIP', 'THING_GROUP_HIERARCHY'] as const;
export type RegistryEventType = (typeof REGISTRY_EVENT_TYPES)[number];

/** Which registry events a tenant has turned on; none until it turns one on, as AWS starts. */
export interface EventConfigurationRecord {
  readonly tenant: string;
  /** The enabled types, in REGISTRY_EVENT_TYPES order. */
  readonly enabled: readonly RegistryEventType[];
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
}

/**
 * Registry verbs. Things are still read with `getThing` and written whole with `putThing`; the verbs
 * here are the ones that must decide atomically (compare-and-set on the version, the 10-group limit,
 * a type in use) and the lists that filter in the store.
 *
 * @example
 * const current = await identity.getThing('acme', 'agent-7');
 * const next = { ...current!, attributes: { ...current!.attributes, site: 'lyon' }, version: current!.version + 1 };
 * if (!(await identity.replaceThing(next, current!.version))) throw new Error('changed meanwhile: read again');
 */
export interface RegistryStore {
  /** Inserts a thing; false (nothing written) when the tenant has a thing of that name. */
  createThing(thing: ThingRecord): Promise<boolean>;
  /**
   * Replaces a thing only while its stored version is `expectedVersion`, atomically across processes;
   * false (nothing written) when the version differs or the thing is gone.
   */
  replaceThing(thing: ThingRecord, expectedVersion: number): Promise<boolean>;
  /** Like `deleteThing`, only while the stored version is `expectedVersion`; false otherwise. */
  deleteThingAtVersion(tenant: string, name: string, expectedVersion: number): Promise<boolean>;
  /** The tenant's things that pass every filter, ordered by name (bytewise), filtered by the store itself. */
  listThings(tenant: string, query: ThingQuery): Promise<ThingPage>;
  /**
   * Adds a thing to a static group (its `groups`); false when it already is a member. NOT_FOUND for
   * a missing thing or group; CONFLICT when the thing is in MAX_THING_GROUPS_PER_THING groups already.
   * The thing's version does not change (AWS counts membership apart from the thing record).
   */
  addThingToThingGroup(tenant: string, group: string, thing: string): Promise<boolean>;
  /** False when the thing was not a member (or does not exist). */
  removeThingFromThingGroup(tenant: string, group: string, thing: string): Promise<boolean>;
  /**
   * Puts a thing into a billing group (out of the one it was in), or out of any with undefined; resolves
   * with the billing group it was in. NOT_FOUND for a missing thing or billing group. No version change.
   */
  setThingBillingGroup(tenant: string, thing: string, billingGroup: string | undefined): Promise<string | undefined>;
  /** `putThingGroup` (same checks) only while the stored group's version (1 when it has none) is `expectedVersion`; false otherwise or when it is gone. */
  replaceThingGroup(group: ThingGroupRecord, expectedVersion: number): Promise<boolean>;

  /** False (nothing written) when the tenant has a type of that name. */
  createThingType(type: ThingTypeRecord): Promise<boolean>;
  getThingType(tenant: string, name: string): Promise<ThingTypeRecord | undefined>;
  listThingTypes(tenant: string, query: NamePageQuery): Promise<{ readonly items: readonly ThingTypeRecord[]; readonly nextCursor?: string }>;
  /** Deprecates (or undeprecates) a type; undefined when there is none. Deprecating twice keeps the first date. */
  setThingTypeDeprecated(tenant: string, name: string, deprecated: boolean, at: number): Promise<ThingTypeRecord | undefined>;
  /** False when there was none. CONFLICT unless it is deprecated and no thing has it. */
  deleteThingType(tenant: string, name: string): Promise<boolean>;

  /** False (nothing written) when the tenant has a billing group of that name. */
  createBillingGroup(group: BillingGroupRecord): Promise<boolean>;
  /** Replaces it only at `expectedVersion`; false otherwise or when it is gone. */
  replaceBillingGroup(group: BillingGroupRecord, expectedVersion: number): Promise<boolean>;
  getBillingGroup(tenant: string, name: string): Promise<BillingGroupRecord | undefined>;
  listBillingGroups(tenant: string, query: NamePageQuery): Promise<{ readonly items: readonly BillingGroupRecord[]; readonly nextCursor?: string }>;
  /** False when there was none; its things leave it. */
  deleteBillingGroup(tenant: string, name: string): Promise<boolean>;

  /** Undefined until the tenant first set them (nothing is enabled then). */
  getEventConfigurations(tenant: string): Promise<EventConfigurationRecord | undefined>;
  /** Creates or replaces the tenant's settings. */
  putEventConfigurations(record: EventConfigurationRecord): Promise<void>;
}

/** What `addThingToThingGroup` throws for the eleventh group. */
export function tooManyThingGroups(thing: string, group: string): GatehouseError {
  return new GatehouseError('CONFLICT', { reason: `Cannot add thing "${thing}" to thing group "${group}": it is already in ${MAX_THING_GROUPS_PER_THING} thing groups, the limit; remove it from one first` });
}

/** What `deleteThingType` throws for a type that is not deprecated or still in use. */
export function thingTypeInUse(name: string, state: { readonly deprecated: boolean; readonly things: number }): GatehouseError {
  if (!state.deprecated) return new GatehouseError('CONFLICT', { reason: `Cannot delete thing type "${name}": it is not deprecated; deprecate it first` });
  return new GatehouseError('CONFLICT', { reason: `Cannot delete thing type "${name}": ${state.things} thing${state.things === 1 ? ' has' : 's have'} it; give ${state.things === 1 ? 'it' : 'them'} another type first` });
}

export function thingNotFound(tenant: string, name: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Thing', id: name, tenant });
}

export function thingGroupNotFound(tenant: string, name: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Thing group', id: name, tenant });
}

export function billingGroupNotFound(tenant: string, name: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Billing group', id: name, tenant });
}

/** Throws a TypeError for a query a caller should never build (a value filter without its name). */
export function checkThingQuery(query: ThingQuery): void {
  if (query.attributeValue !== undefined && query.attributeName === undefined) throw new TypeError('Cannot list things by attribute value without attributeName');
}

/** The group names with `group` and every group below it, from the tenant's name → parent tree. */
export function groupAndDescendants(group: string, tree: ReadonlyMap<string, string | undefined>): string[] {
  const found = new Set([group]);
  // Breadth first; the tree is at most 7 levels, so this ends after 7 passes at most.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, parent] of tree) {
      if (parent !== undefined && found.has(parent) && !found.has(child)) {
        found.add(child);
        grew = true;
      }
    }
  }
  return [...found];
}
