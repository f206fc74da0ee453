/**
 * The registry half of SqlIdentityStore (things, membership, thing types, billing groups, event
 * settings), kept out of its class file: SqlIdentityStore extends this and runs each body with its
 * error naming, in a transaction of its own where a verb takes several statements.
 */
import type { Kysely } from 'kysely';
import { checkPageLimit, type IdentityStore, type ThingRecord } from '../identity-ports.js';
import type { BillingGroupRecord, EventConfigurationRecord, NamePageQuery, RegistryStore, ThingPage, ThingQuery, ThingTypeRecord } from '../registry-ports.js';
import type { ThingGroupRecord } from '../thing-group-ports.js';
import type { IdentityDatabase } from './identity-rows.js';
import * as types from './registry-type-queries.js';
import type { SqlDialectName } from './schema.js';
import * as things from './thing-queries.js';

type Db = Kysely<IdentityDatabase>;
type Page<T> = { readonly items: readonly T[]; readonly nextCursor?: string };

/**
 * @example
 * class SqlIdentityStore extends SqlRegistryVerbs {
 *   protected runRegistryVerb<T>(action: string, body: (db: Db, dialect: SqlDialectName) => Promise<T>, atomic: boolean): Promise<T> { ... }
 * }
 */
export abstract class SqlRegistryVerbs implements RegistryStore, Pick<IdentityStore, 'putThing' | 'getThing' | 'deleteThing'> {
  /**
   * Runs one verb: driver failures become STORE_UNAVAILABLE naming `action`; with `atomic`, in a
   * transaction of its own unless the store is one already.
   */
  protected abstract runRegistryVerb<T>(action: string, body: (db: Db, dialect: SqlDialectName) => Promise<T>, atomic: boolean): Promise<T>;

  putThing(thing: ThingRecord): Promise<void> {
    return this.runRegistryVerb('save thing', (db) => things.putThing(db, thing), true);
  }

  getThing(tenant: string, name: string): Promise<ThingRecord | undefined> {
    return this.runRegistryVerb('read thing', (db) => things.getThing(db, tenant, name), false);
  }

  deleteThing(tenant: string, name: string): Promise<boolean> {
    return this.runRegistryVerb('delete thing', (db) => things.deleteThing(db, tenant, name), true);
  }

  createThing(thing: ThingRecord): Promise<boolean> {
    return this.runRegistryVerb('create thing', (db) => things.createThing(db, thing), true);
  }

  replaceThing(thing: ThingRecord, expectedVersion: number): Promise<boolean> {
    return this.runRegistryVerb('update thing', (db) => things.replaceThing(db, thing, expectedVersion), true);
  }

  deleteThingAtVersion(tenant: string, name: string, expectedVersion: number): Promise<boolean> {
    return this.runRegistryVerb('delete thing', (db) => things.deleteThing(db, tenant, name, expectedVersion), true);
  }

  async listThings(tenant: string, query: ThingQuery): Promise<ThingPage> {
    // Checked here: the verb runner would report a RangeError as the store being unavailable.
    checkPageLimit(query.limit, 'things');
    return this.runRegistryVerb('list things', (db) => things.listThings(db, tenant, query), false);
  }

  addThingToThingGroup(tenant: string, group: string, thing: string): Promise<boolean> {
    return this.runRegistryVerb('add thing to thing group', (db) => things.addThingToThingGroup(db, tenant, group, thing), true);
  }

  removeThingFromThingGroup(tenant: string, group: string, thing: string): Promise<boolean> {
    return this.runRegistryVerb('remove thing from thing group', (db) => things.removeThingFromThingGroup(db, tenant, group, thing), true);
  }

  setThingBillingGroup(tenant: string, thing: string, billingGroup: string | undefined): Promise<string | undefined> {
    return this.runRegistryVerb('change billing group of thing', (db) => things.setThingBillingGroup(db, tenant, thing, billingGroup), true);
  }

  replaceThingGroup(group: ThingGroupRecord, expectedVersion: number): Promise<boolean> {
    return this.runRegistryVerb('update thing group', (db, dialect) => types.replaceThingGroup(db, dialect, group, expectedVersion), true);
  }

  createThingType(type: ThingTypeRecord): Promise<boolean> {
    return this.runRegistryVerb('create thing type', (db) => types.createThingType(db, type), false);
  }

  getThingType(tenant: string, name: string): Promise<ThingTypeRecord | undefined> {
    return this.runRegistryVerb('read thing type', (db) => types.getThingType(db, tenant, name), false);
  }

  async listThingTypes(tenant: string, query: NamePageQuery): Promise<Page<ThingTypeRecord>> {
    checkPageLimit(query.limit, 'thing types');
    return this.runRegistryVerb('list thing types', (db) => types.listThingTypes(db, tenant, query), false);
  }

  setThingTypeDeprecated(tenant: string, name: string, deprecated: boolean, at: number): Promise<ThingTypeRecord | undefined> {
    return this.runRegistryVerb('deprecate thing type', (db) => types.setThingTypeDeprecated(db, tenant, name, deprecated, at), false);
  }

  deleteThingType(tenant: string, name: string): Promise<boolean> {
    return this.runRegistryVerb('delete thing type', (db) => types.deleteThingType(db, tenant, name), true);
  }

  createBillingGroup(group: BillingGroupRecord): Promise<boolean> {
    return this.runRegistryVerb('create billing group', (db) => types.createBillingGroup(db, group), false);
  }

  replaceBillingGroup(group: BillingGroupRecord, expectedVersion: number): Promise<boolean> {
    return this.runRegistryVerb('update billing group', (db) => types.replaceBillingGroup(db, group, expectedVersion), false);
  }

  getBillingGroup(tenant: string, name: string): Promise<BillingGroupRecord | undefined> {
    return this.runRegistryVerb('read billing group', (db) => types.getBillingGroup(db, tenant, name), false);
  }

  async listBillingGroups(tenant: string, query: NamePageQuery): Promise<Page<BillingGroupRecord>> {
    checkPageLimit(query.limit, 'billing groups');
    return this.runRegistryVerb('list billing groups', (db) => types.listBillingGroups(db, tenant, query), false);
  }

  deleteBillingGroup(tenant: string, name: string): Promise<boolean> {
    return this.runRegistryVerb('delete billing group', (db) => types.deleteBillingGroup(db, tenant, name), true);
  }

  getEventConfigurations(tenant: string): Promise<EventConfigurationRecord | undefined> {
    return this.runRegistryVerb('read event configurations', (db) => types.getEventConfigurations(db, tenant), false);
  }

  putEventConfigurations(record: EventConfigurationRecord): Promise<void> {
    return this.runRegistryVerb('save event configurations', (db) => types.putEventConfigurations(db, record), false);
  }
}
