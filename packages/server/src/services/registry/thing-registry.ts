/**
 * The thing operations of the registry (AWS's CreateThing, UpdateThing, DeleteThing, Add/Remove
 * ThingToThingGroup, Add/Remove ThingToBillingGroup): load, apply the pure change, write with the
 * store's compare-and-set, then publish the registry events the tenant enabled.
 */
import { randomUUID } from 'node:crypto';
import { GatehouseError } from '../../core/index.js';
import type { IdentityStore, ThingRecord } from '../../store/index.js';
import type { RegistryEvents } from './registry-events.js';
import { newThing, sameConfiguration, updatedThing, type CreateThingRequest, type UpdateThingRequest } from './thing-changes.js';

/** What every registry operation works with. */
export interface RegistryContext {
  readonly store: IdentityStore;
  /** Absent: no events (tests, embedders without a broker). */
  readonly events?: RegistryEvents;
  /** Epoch ms of the change. */
  readonly now: number;
}

/** Compare-and-set rounds before giving up on a thing that others keep changing. */
const MAX_ATTEMPTS = 10;

export function thingNotFound(name: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Thing', id: name });
}

export function versionConflict(action: string, expected: number, current: number): GatehouseError {
  return new GatehouseError('VERSION_CONFLICT', { action, expected, current });
}

/** NOT_FOUND for a type the tenant does not have; BAD_REQUEST for a deprecated one (AWS: no new things of a deprecated type). */
export async function checkUsableType(store: IdentityStore, tenant: string, typeName: string, action: string): Promise<void> {
  const type = await store.getThingType(tenant, typeName);
  if (type === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Thing type', id: typeName });
  if (type.deprecated) throw new GatehouseError('BAD_REQUEST', { reason: `${action}: thing type "${typeName}" is deprecated; undeprecate it or choose another` });
}

/**
 * Creates a thing, or finds the one that exists with the same type, attributes and billing group
 * (`created: false`, as AWS answers a repeated CreateThing); CONFLICT when it exists otherwise.
 *
 * @example
 * const { thing, created } = await createThing({ store, events, now: Date.now() }, 'acme', 'agent-7', { thingTypeName: 'gateway' });
 */
export async function createThing(context: RegistryContext, tenant: string, name: string, request: CreateThingRequest): Promise<{ readonly thing: ThingRecord; readonly created: boolean }> {
  const { store, events } = context;
  const action = `Cannot create thing "${name}"`;
  if (request.thingTypeName !== undefined) await checkUsableType(store, tenant, request.thingTypeName, action);
  if (request.billingGroupName !== undefined && (await store.getBillingGroup(tenant, request.billingGroupName)) === undefined) {
    throw new GatehouseError('NOT_FOUND', { what: 'Billing group', id: request.billingGroupName });
  }
  const candidate = newThing(tenant, name, request, { now: context.now, thingId: randomUUID() });
  if (await store.createThing(candidate)) {
    await events?.thing('CREATED', candidate);
    if (candidate.thingType !== undefined) await events?.thingTypeAssociation('ADDED', candidate, candidate.thingType);
    return { thing: candidate, created: true };
  }
  const existing = await store.getThing(tenant, name);
  if (existing !== undefined && sameConfiguration(existing, candidate)) return { thing: existing, created: false };
  throw new GatehouseError('CONFLICT', { reason: `${action}: a thing of that name exists with another type, attributes or billing group; update it instead` });
}

/**
 * Applies an UpdateThing. With `expectedVersion` a thing at another version is refused
 * (VERSION_CONFLICT); without, a write that loses a race reads the thing again and retries.
 */
export async function updateThing(context: RegistryContext, tenant: string, name: string, request: UpdateThingRequest): Promise<ThingRecord> {
  const { store, events } = context;
  const action = `update thing "${name}"`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await store.getThing(tenant, name);
    if (current === undefined) throw thingNotFound(name);
    if (request.expectedVersion !== undefined && current.version !== request.expectedVersion) throw versionConflict(action, request.expectedVersion, current.version);
    const next = updatedThing(current, request, context.now);
    if (next.thingType !== undefined && next.thingType !== current.thingType) await checkUsableType(store, tenant, next.thingType, `Cannot ${action}`);
    if (!(await store.replaceThing(next, current.version))) continue;
    await events?.thing('UPDATED', next);
    if (current.thingType !== next.thingType) {
      if (current.thingType !== undefined) await events?.thingTypeAssociation('REMOVED', next, current.thingType);
      if (next.thingType !== undefined) await events?.thingTypeAssociation('ADDED', next, next.thingType);
    }
    return next;
  }
  throw new GatehouseError('CONFLICT', { reason: `Cannot ${action}: it changed ${MAX_ATTEMPTS} times while being updated; try again` });
}

/**
 * Deletes a thing (its certificates are detached, it leaves its groups). A thing that does not exist
 * is no error, as AWS's DeleteThing says: resolves undefined. With `expectedVersion`, VERSION_CONFLICT
 * unless the thing is at that version.
 */
export async function deleteThing(context: RegistryContext, tenant: string, name: string, expectedVersion?: number): Promise<ThingRecord | undefined> {
  const { store, events } = context;
  const current = await store.getThing(tenant, name);
  if (current === undefined) return undefined;
  const action = `delete thing "${name}"`;
  if (expectedVersion !== undefined) {
    if (current.version !== expectedVersion) throw versionConflict(action, expectedVersion, current.version);
    if (!(await store.deleteThingAtVersion(tenant, name, expectedVersion))) {
      const now = await store.getThing(tenant, name);
      if (now !== undefined) throw versionConflict(action, expectedVersion, now.version);
      return undefined;
    }
  } else if (!(await store.deleteThing(tenant, name))) {
    return undefined;
  }
  await events?.thing('DELETED', current);
  return current;
}

/** Adds a thing to a static group; false when it already was a member. NOT_FOUND, CONFLICT (10 groups) from the store. */
export async function addThingToThingGroup(context: RegistryContext, tenant: string, group: string, thing: string): Promise<boolean> {
  const added = await context.store.addThingToThingGroup(tenant, group, thing);
  if (added) await membershipEvent(context, 'ADDED', tenant, group, thing);
  return added;
}

/** False when the thing was not a member. NOT_FOUND when the group does not exist. */
export async function removeThingFromThingGroup(context: RegistryContext, tenant: string, group: string, thing: string): Promise<boolean> {
  if ((await context.store.getThingGroup(tenant, group)) === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Thing group', id: group });
  const removed = await context.store.removeThingFromThingGroup(tenant, group, thing);
  if (removed) await membershipEvent(context, 'REMOVED', tenant, group, thing);
  return removed;
}

async function membershipEvent(context: RegistryContext, operation: 'ADDED' | 'REMOVED', tenant: string, groupName: string, thingName: string): Promise<void> {
  if (context.events === undefined) return;
  const [group, thing] = await Promise.all([context.store.getThingGroup(tenant, groupName), context.store.getThing(tenant, thingName)]);
  if (group !== undefined && thing !== undefined) await context.events.thingGroupMembership(operation, group, thing);
}
