/**
 * The registry events' payloads, field for field as AWS IoT's developer guide shows them ("Registry
 * events"); pure: the caller gives the event id and the time. `accountId` is the tenant.
 */
import type { ThingGroupRecord, ThingRecord, ThingTypeRecord } from '../../store/index.js';
import { derivedId, registryArn, thingGroupIdOf, thingIdOf } from './registry-ids.js';
import type { RecordOperation, RelationOperation } from './topics.js';

/** What every event carries besides its own fields. */
export interface EventStamp {
  readonly eventId: string;
  /** Epoch ms. */
  readonly timestamp: number;
}

export interface ThingEvent {
  readonly eventType: 'THING_EVENT';
  readonly eventId: string;
  readonly timestamp: number;
  readonly operation: RecordOperation;
  readonly accountId: string;
  readonly thingId: string;
  readonly thingName: string;
  readonly versionNumber: number;
  readonly thingTypeName: string | null;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * @example
 * thingEvent('CREATED', thing, { eventId: randomUUID(), timestamp: Date.now() });
 * // { eventType: 'THING_EVENT', operation: 'CREATED', accountId: 'acme', thingName: 'agent-7', versionNumber: 1, ... }
 */
export function thingEvent(operation: RecordOperation, thing: ThingRecord, stamp: EventStamp): ThingEvent {
  return {
    eventType: 'THING_EVENT',
    eventId: stamp.eventId,
    timestamp: stamp.timestamp,
    operation,
    accountId: thing.tenant,
    thingId: thingIdOf(thing),
    thingName: thing.name,
    versionNumber: thing.version,
    thingTypeName: thing.thingType ?? null,
    attributes: { ...thing.attributes },
  };
}

export function thingTypeEvent(operation: RecordOperation, type: ThingTypeRecord, stamp: EventStamp): object {
  return {
    eventType: 'THING_TYPE_EVENT',
    eventId: stamp.eventId,
    timestamp: stamp.timestamp,
    operation,
    accountId: type.tenant,
    thingTypeId: type.thingTypeId,
    thingTypeName: type.name,
    isDeprecated: type.deprecated,
    deprecationDate: type.deprecatedAt ?? null,
    searchableAttributes: [...type.searchableAttributes],
    // The live guide lists it; Gatehouse has no propagating attributes, so it is always empty.
    propagatingAttributes: [],
    description: type.description ?? null,
  };
}

export function thingTypeAssociationEvent(operation: RelationOperation, thing: ThingRecord, thingTypeName: string, stamp: EventStamp): object {
  return {
    eventId: stamp.eventId,
    eventType: 'THING_TYPE_ASSOCIATION_EVENT',
    operation,
    thingId: thingIdOf(thing),
    thingName: thing.name,
    thingTypeName,
    timestamp: stamp.timestamp,
  };
}

/** `ancestors` runs from the root down to the group's parent (empty for a root, which AWS reports as null). */
export function thingGroupEvent(operation: RecordOperation, group: ThingGroupRecord, ancestors: readonly ThingGroupRecord[], stamp: EventStamp): object {
  const parent = ancestors.at(-1);
  return {
    eventType: 'THING_GROUP_EVENT',
    eventId: stamp.eventId,
    timestamp: stamp.timestamp,
    operation,
    accountId: group.tenant,
    thingGroupId: thingGroupIdOf(group),
    thingGroupName: group.name,
    versionNumber: group.version ?? 1,
    parentGroupName: parent?.name ?? null,
    parentGroupId: parent === undefined ? null : thingGroupIdOf(parent),
    description: group.description ?? null,
    rootToParentThingGroups: ancestors.length === 0 ? null : ancestors.map((each) => ({ groupName: each.name, groupArn: registryArn(each.tenant, 'thinggroup', each.name) })),
    attributes: { ...group.attributes },
  };
}

export function thingGroupMembershipEvent(operation: RelationOperation, group: ThingGroupRecord, thing: ThingRecord, stamp: EventStamp): object {
  return {
    eventType: 'THING_GROUP_MEMBERSHIP_EVENT',
    eventId: stamp.eventId,
    timestamp: stamp.timestamp,
    operation,
    accountId: thing.tenant,
    groupArn: registryArn(group.tenant, 'thinggroup', group.name),
    groupId: thingGroupIdOf(group),
    thingArn: registryArn(thing.tenant, 'thing', thing.name),
    thingId: thingIdOf(thing),
    // The same for the ADDED and REMOVED of one membership, as AWS's id of the relationship is.
    membershipId: derivedId('membership', thing.tenant, thingGroupIdOf(group), thingIdOf(thing)),
  };
}

export function thingGroupHierarchyEvent(operation: RelationOperation, parent: ThingGroupRecord, child: ThingGroupRecord, stamp: EventStamp): object {
  return {
    eventType: 'THING_GROUP_HIERARCHY_EVENT',
    eventId: stamp.eventId,
    timestamp: stamp.timestamp,
    operation,
    accountId: parent.tenant,
    thingGroupId: thingGroupIdOf(parent),
    thingGroupName: parent.name,
    childGroupId: thingGroupIdOf(child),
    childGroupName: child.name,
  };
}
