/** The thing registry: its operations (things, groups, membership), the AWS-shaped ids and the registry events. */
export { RegistryEvents, type RegistryEventsOptions } from './registry-events.js';
export { registryEventTopics, type RecordOperation, type RelationOperation } from './topics.js';
export { derivedId, registryArn, thingGroupIdOf, thingIdOf } from './registry-ids.js';
export {
  applyAttributePayload, MAX_THING_ATTRIBUTES,
  type AttributePayload, type CreateThingRequest, type UpdateThingRequest,
} from './thing-changes.js';
export {
  addThingToThingGroup, checkUsableType, createThing, deleteThing, removeThingFromThingGroup, updateThing,
  type RegistryContext,
} from './thing-registry.js';
export { ancestorsOf, deleteThingGroup, putThingGroup, type ThingGroupChange } from './thing-group-registry.js';
