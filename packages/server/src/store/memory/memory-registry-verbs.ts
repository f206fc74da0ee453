/**
 * The registry half of MemoryIdentityStore (things, membership, thing types, billing groups, event
 * settings), kept out of its class file: MemoryIdentityStore extends this and runs each body under its lock.
 */
import type { IdentityStore, ThingRecord } from '../identity-ports.js';
import type { BillingGroupRecord, EventConfigurationRecord, NamePageQuery, RegistryStore, ThingPage, ThingQuery, ThingTypeRecord } from '../registry-ports.js';
import type { ThingGroupRecord } from '../thing-group-ports.js';
import type { MemoryIdentityTables } from './memory-identity-tables.js';
import * as types from './memory-registry-type-verbs.js';
import * as things from './memory-thing-verbs.js';

type Page<T> = { readonly items: readonly T[]; readonly nextCursor?: string };

/**
 * @example
 * class MemoryIdentityStore extends MemoryRegistryVerbs {
 *   protected runOnTables<T>(body: (tables: MemoryIdentityTables) => T): Promise<T> { return this.#run(() => body(this.tables)); }
 * }
 */
export abstract class MemoryRegistryVerbs implements RegistryStore, Pick<IdentityStore, 'putThing' | 'getThing' | 'deleteThing'> {
  /** Runs one verb's synchronous body on the tables under the store's lock (or in its transaction). */
  protected abstract runOnTables<T>(body: (tables: MemoryIdentityTables) => T): Promise<T>;

  putThing(thing: ThingRecord): Promise<void> {
    return this.runOnTables((tables) => things.putThing(tables, thing));
  }

  getThing(tenant: string, name: string): Promise<ThingRecord | undefined> {
    return this.runOnTables((tables) => things.getThing(tables, tenant, name));
  }

  deleteThing(tenant: string, name: string): Promise<boolean> {
    return this.runOnTables((tables) => things.deleteThing(tables, tenant, name));
  }

  createThing(thing: ThingRecord): Promise<boolean> {
    return this.runOnTables((tables) => things.createThing(tables, thing));
  }

  replaceThing(thing: ThingRecord, expectedVersion: number): Promise<boolean> {
    return this.runOnTables((tables) => things.replaceThing(tables, thing, expectedVersion));
  }

  deleteThingAtVersion(tenant: string, name: string, expectedVersion: number): Promise<boolean> {
    return this.runOnTables((tables) => things.deleteThingAtVersion(tables, tenant, name, expectedVersion));
  }

  listThings(tenant: string, query: ThingQuery): Promise<ThingPage> {
    return this.runOnTables((tables) => things.listThings(tables, tenant, query));
  }

  addThingToThingGroup(tenant: string, group: string, thing: string): Promise<boolean> {
    return this.runOnTables((tables) => things.addThingToThingGroup(tables, tenant, group, thing));
  }

  removeThingFromThingGroup(tenant: string, group: string, thing: string): Promise<boolean> {
    return this.runOnTables((tables) => things.removeThingFromThingGroup(tables, tenant, group, thing));
  }

  setThingBillingGroup(tenant: string, thing: string, billingGroup: string | undefined): Promise<string | undefined> {
    return this.runOnTables((tables) => things.setThingBillingGroup(tables, tenant, thing, billingGroup));
  }

  replaceThingGroup(group: ThingGroupRecord, expectedVersion: number): Promise<boolean> {
    return this.runOnTables((tables) => types.replaceThingGroup(tables, group, expectedVersion));
  }

  createThingType(type: ThingTypeRecord): Promise<boolean> {
    return this.runOnTables((tables) => types.createThingType(tables, type));
  }

  getThingType(tenant: string, name: string): Promise<ThingTypeRecord | undefined> {
    return this.runOnTables((tables) => types.getThingType(tables, tenant, name));
  }

  listThingTypes(tenant: string, query: NamePageQuery): Promise<Page<ThingTypeRecord>> {
    return this.runOnTables((tables) => types.listThingTypes(tables, tenant, query));
  }

  setThingTypeDeprecated(tenant: string, name: string, deprecated: boolean, at: number): Promise<ThingTypeRecord | undefined> {
    return this.runOnTables((tables) => types.setThingTypeDeprecated(tables, tenant, name, deprecated, at));
  }

  deleteThingType(tenant: string, name: string): Promise<boolean> {
    return this.runOnTables((tables) => types.deleteThingType(tables, tenant, name));
  }

  createBillingGroup(group: BillingGroupRecord): Promise<boolean> {
    return this.runOnTables((tables) => types.createBillingGroup(tables, group));
  }

  replaceBillingGroup(group: BillingGroupRecord, expectedVersion: number): Promise<boolean> {
    return this.runOnTables((tables) => types.replaceBillingGroup(tables, group, expectedVersion));
  }

  getBillingGroup(tenant: string, name: string): Promise<BillingGroupRecord | undefined> {
    return this.runOnTables((tables) => types.getBillingGroup(tables, tenant, name));
  }

  listBillingGroups(tenant: string, query: NamePageQuery): Promise<Page<BillingGroupRecord>> {
    return this.runOnTables((tables) => types.listBillingGroups(tables, tenant, query));
  }

  deleteBillingGroup(tenant: string, name: string): Promise<boolean> {
    return this.runOnTables((tables) => types.deleteBillingGroup(tables, tenant, name));
  }

  getEventConfigurations(tenant: string): Promise<EventConfigurationRecord | undefined> {
    return this.runOnTables((tables) => types.getEventConfigurations(tables, tenant));
  }

  putEventConfigurations(record: EventConfigurationRecord): Promise<void> {
    return this.runOnTables((tables) => types.putEventConfigurations(tables, record));
  }
}
