/**
 * Publishes registry events into a tenant's `$aws/events/...` topics through the BrokerPort, only for
 * the event types that tenant turned on (AWS's UpdateEventConfigurations; all off until then).
 * The change an event reports is made before it is published: a failure to publish is logged, never
 * turned into the change failing.
 */
import { randomUUID } from 'node:crypto';
import { tenantTopicPrefix, type BrokerPort } from '../../broker/index.js';
import type { Logger } from '../../core/index.js';
import type { RegistryEventType, RegistryStore, ThingGroupRecord, ThingRecord, ThingTypeRecord } from '../../store/index.js';
import {
  thingEvent, thingGroupEvent, thingGroupHierarchyEvent, thingGroupMembershipEvent, thingTypeAssociationEvent, thingTypeEvent, type EventStamp,
} from './registry-event-payloads.js';
import { registryEventTopics, type RecordOperation, type RelationOperation } from './topics.js';

export interface RegistryEventsOptions {
  readonly broker: Pick<BrokerPort, 'publish'>;
  /** Where each tenant's settings are read, at every event (so a change applies to the next one). */
  readonly configurations: Pick<RegistryStore, 'getEventConfigurations'>;
  readonly logger?: Logger;
  /** For tests: epoch ms; default Date.now. */
  readonly now?: () => number;
}

/**
 * @example
 * const events = new RegistryEvents({ broker: broker.port, configurations: identity, logger });
 * await identity.createThing(thing);
 * await events.thing('CREATED', thing); // `$tenants/acme/$aws/events/thing/agent-7/created`, when acme enabled THING
 */
export class RegistryEvents {
  readonly #options: RegistryEventsOptions;

  constructor(options: RegistryEventsOptions) {
    this.#options = options;
  }

  thing(operation: RecordOperation, thing: ThingRecord): Promise<void> {
    return this.#publish(thing.tenant, 'THING', registryEventTopics.thing(thing.name, operation), (stamp) => thingEvent(operation, thing, stamp));
  }

  thingType(operation: RecordOperation, type: ThingTypeRecord): Promise<void> {
    return this.#publish(type.tenant, 'THING_TYPE', registryEventTopics.thingType(type.name, operation), (stamp) => thingTypeEvent(operation, type, stamp));
  }

  thingTypeAssociation(operation: RelationOperation, thing: ThingRecord, thingTypeName: string): Promise<void> {
    const topic = registryEventTopics.thingTypeAssociation(thing.name, thingTypeName, operation);
    return this.#publish(thing.tenant, 'THING_TYPE_ASSOCIATION', topic, (stamp) => thingTypeAssociationEvent(operation, thing, thingTypeName, stamp));
  }

  /** `ancestors` from the root down to the group's parent. */
  thingGroup(operation: RecordOperation, group: ThingGroupRecord, ancestors: readonly ThingGroupRecord[]): Promise<void> {
    return this.#publish(group.tenant, 'THING_GROUP', registryEventTopics.thingGroup(group.name, operation), (stamp) => thingGroupEvent(operation, group, ancestors, stamp));
  }

  thingGroupMembership(operation: RelationOperation, group: ThingGroupRecord, thing: ThingRecord): Promise<void> {
    const topic = registryEventTopics.thingGroupMembership(group.name, thing.name, operation);
    return this.#publish(thing.tenant, 'THING_GROUP_MEMBERSHIP', topic, (stamp) => thingGroupMembershipEvent(operation, group, thing, stamp));
  }

  thingGroupHierarchy(operation: RelationOperation, parent: ThingGroupRecord, child: ThingGroupRecord): Promise<void> {
    const topic = registryEventTopics.thingGroupHierarchy(parent.name, child.name, operation);
    return this.#publish(child.tenant, 'THING_GROUP_HIERARCHY', topic, (stamp) => thingGroupHierarchyEvent(operation, parent, child, stamp));
  }

  async #publish(tenant: string, type: RegistryEventType, topic: string, payload: (stamp: EventStamp) => object): Promise<void> {
    try {
      const settings = await this.#options.configurations.getEventConfigurations(tenant);
      if (settings?.enabled.includes(type) !== true) return;
      const stamp = { eventId: randomUUID(), timestamp: this.#options.now?.() ?? Date.now() };
      // QoS 1: AWS delivers registry events at least once. Never retained.
      this.#options.broker.publish({ topic: `${tenantTopicPrefix(tenant)}${topic}`, payload: Buffer.from(JSON.stringify(payload(stamp))), qos: 1, retain: false });
    } catch (error) {
      this.#options.logger?.error({ err: error, tenant, topic }, 'Cannot publish a registry event: the change was made, the event is lost');
    }
  }
}
