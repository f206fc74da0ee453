/**
 * The wire surface of the registry events, as AWS IoT names them (developer guide, "Registry events").
 * The service publishes each into the tenant's own topics (`$tenants/{tenant}/` + these names), so an
 * agent subscribes to the plain name and a service principal to `$tenants/{tenant}/...`.
 *
 *   $aws/events/thing/{thing}/created|updated|deleted                                   THING
 *   $aws/events/thingType/{type}/created|updated|deleted                                THING_TYPE
 *   $aws/events/thingTypeAssociation/thing/{thing}/thingType/{type}/added|removed       THING_TYPE_ASSOCIATION
 *   $aws/events/thingGroup/{group}/created|updated|deleted                              THING_GROUP
 *   $aws/events/thingGroupMembership/thingGroup/{group}/thing/{thing}/added|removed      THING_GROUP_MEMBERSHIP
 *   $aws/events/thingGroupHierarchy/thingGroup/{parent}/childThingGroup/{child}/added|removed  THING_GROUP_HIERARCHY
 */

/** CREATED, UPDATED, DELETED: the `operation` of the record events; the topic ends in its lower case. */
export type RecordOperation = 'CREATED' | 'UPDATED' | 'DELETED';
/** ADDED, REMOVED: the `operation` of the relation events. */
export type RelationOperation = 'ADDED' | 'REMOVED';

const last = (operation: RecordOperation | RelationOperation): string => operation.toLowerCase();

/**
 * @example
 * registryEventTopics.thing('agent-7', 'CREATED'); // '$aws/events/thing/agent-7/created'
 */
export const registryEventTopics = {
  thing: (thing: string, operation: RecordOperation): string => `$aws/events/thing/${thing}/${last(operation)}`,
  thingType: (type: string, operation: RecordOperation): string => `$aws/events/thingType/${type}/${last(operation)}`,
  thingTypeAssociation: (thing: string, type: string, operation: RelationOperation): string => `$aws/events/thingTypeAssociation/thing/${thing}/thingType/${type}/${last(operation)}`,
  thingGroup: (group: string, operation: RecordOperation): string => `$aws/events/thingGroup/${group}/${last(operation)}`,
  thingGroupMembership: (group: string, thing: string, operation: RelationOperation): string => `$aws/events/thingGroupMembership/thingGroup/${group}/thing/${thing}/${last(operation)}`,
  thingGroupHierarchy: (parent: string, child: string, operation: RelationOperation): string => `$aws/events/thingGroupHierarchy/thingGroup/${parent}/childThingGroup/${child}/${last(operation)}`,
} as const;
