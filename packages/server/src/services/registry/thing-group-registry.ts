/**
 * Creating, updating and deleting static thing groups with AWS's group properties (description,
 * attributes, version) and the THING_GROUP and THING_GROUP_HIERARCHY events they cause.
 */
import { randomUUID } from 'node:crypto';
import { GatehouseError } from '../../core/index.js';
import type { IdentityStore, ThingGroupRecord } from '../../store/index.js';
import { thingGroupIdOf } from './registry-ids.js';
import { applyAttributePayload, checkAttributeCount, type AttributePayload } from './thing-changes.js';
import { versionConflict, type RegistryContext } from './thing-registry.js';

/** A thing group as PUT: the parent and description replace the stored ones; attributes change only when given. */
export interface ThingGroupChange {
  readonly parent?: string;
  readonly description?: string;
  readonly attributePayload?: AttributePayload;
  /** Refuse the change (VERSION_CONFLICT) unless the group is at this version; NOT_FOUND when there is no group. */
  readonly expectedVersion?: number;
}

const MAX_ATTEMPTS = 10;

/**
 * Creates the group (version 1) or replaces it (one version on), then publishes its events.
 *
 * @example
 * await putThingGroup({ store, events, now: Date.now() }, 'acme', 'berlin', { parent: 'sites', attributePayload: { attributes: { region: 'eu' } } });
 */
export async function putThingGroup(context: RegistryContext, tenant: string, name: string, change: ThingGroupChange): Promise<{ readonly group: ThingGroupRecord; readonly created: boolean }> {
  const { store } = context;
  const action = `update thing group "${name}"`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const existing = await store.getThingGroup(tenant, name);
    if (existing === undefined && change.expectedVersion !== undefined) throw new GatehouseError('NOT_FOUND', { what: 'Thing group', id: name });
    const attributes = applyAttributePayload(existing?.attributes ?? {}, change.attributePayload);
    checkAttributeCount(`Cannot save thing group "${name}"`, attributes);
    const base = {
      tenant, name, ...(change.parent === undefined ? {} : { parent: change.parent }), ...(change.description === undefined ? {} : { description: change.description }),
      ...(Object.keys(attributes).length === 0 ? {} : { attributes }),
    };
    if (existing === undefined) {
      const group: ThingGroupRecord = { ...base, thingGroupId: randomUUID(), version: 1, createdAt: context.now, updatedAt: context.now };
      await store.putThingGroup(group);
      await groupEvents(context, undefined, group);
      return { group, created: true };
    }
    const version = existing.version ?? 1;
    if (change.expectedVersion !== undefined && version !== change.expectedVersion) throw versionConflict(action, change.expectedVersion, version);
    const group: ThingGroupRecord = { ...base, thingGroupId: thingGroupIdOf(existing), version: version + 1, createdAt: existing.createdAt, updatedAt: context.now };
    if (!(await store.replaceThingGroup(group, version))) continue;
    await groupEvents(context, existing, group);
    return { group, created: false };
  }
  throw new GatehouseError('CONFLICT', { reason: `Cannot ${action}: it changed ${MAX_ATTEMPTS} times while being updated; try again` });
}

/** Deletes the group (its things leave it); undefined when there was none. CONFLICT from the store while it has child groups. */
export async function deleteThingGroup(context: RegistryContext, tenant: string, name: string): Promise<ThingGroupRecord | undefined> {
  const existing = await context.store.getThingGroup(tenant, name);
  if (existing === undefined) return undefined;
  const ancestors = await ancestorsOf(context.store, existing);
  if (!(await context.store.deleteThingGroup(tenant, name))) return undefined;
  const parent = ancestors.at(-1);
  await context.events?.thingGroup('DELETED', existing, ancestors);
  if (parent !== undefined) await context.events?.thingGroupHierarchy('REMOVED', parent, existing);
  return existing;
}

async function groupEvents(context: RegistryContext, before: ThingGroupRecord | undefined, after: ThingGroupRecord): Promise<void> {
  const { events, store } = context;
  if (events === undefined) return;
  const ancestors = await ancestorsOf(store, after);
  await events.thingGroup(before === undefined ? 'CREATED' : 'UPDATED', after, ancestors);
  if (before?.parent === after.parent) return;
  if (before?.parent !== undefined) {
    const oldParent = await store.getThingGroup(after.tenant, before.parent);
    if (oldParent !== undefined) await events.thingGroupHierarchy('REMOVED', oldParent, after);
  }
  const parent = ancestors.at(-1);
  if (parent !== undefined) await events.thingGroupHierarchy('ADDED', parent, after);
}

/** The group's ancestors from the root down to its parent (the tree is at most 7 deep). */
export async function ancestorsOf(store: Pick<IdentityStore, 'getThingGroup'>, group: ThingGroupRecord): Promise<ThingGroupRecord[]> {
  const chain: ThingGroupRecord[] = [];
  for (let parent = group.parent; parent !== undefined && chain.length < 8; ) {
    const record = await store.getThingGroup(group.tenant, parent);
    if (record === undefined) break;
    chain.unshift(record);
    parent = record.parent;
  }
  return chain;
}
