/**
 * The registry verbs of issue 7 in the identity contract: things written with a compare-and-set on
 * their version, lists filtered by the store (type, attribute, prefix, group, billing group) and paged,
 * thing group membership and its limit, thing types, billing groups and registry event settings.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { IdentityStoreBackend, ThingRecord } from '../identity-ports.js';
import type { BillingGroupRecord, ThingQuery, ThingTypeRecord } from '../registry-ports.js';
import type { ThingGroupRecord } from '../thing-group-ports.js';
import type { IdentityStoreHarness } from './identity-store.contract.js';
import { T0, thing } from './identity-fixtures.js';

type WithStore = (test: (store: IdentityStoreBackend, harness: IdentityStoreHarness) => Promise<void>) => Promise<void>;

function group(tenant: string, name: string, extra: Partial<ThingGroupRecord> = {}): ThingGroupRecord {
  return { tenant, name, createdAt: T0, updatedAt: T0, ...extra };
}

function thingType(tenant: string, name: string, extra: Partial<ThingTypeRecord> = {}): ThingTypeRecord {
  return { tenant, name, thingTypeId: `id-${name}`, searchableAttributes: ['site'], deprecated: false, createdAt: T0, updatedAt: T0, ...extra };
}

function billingGroup(tenant: string, name: string, extra: Partial<BillingGroupRecord> = {}): BillingGroupRecord {
  return { tenant, name, billingGroupId: `id-${name}`, version: 1, createdAt: T0, updatedAt: T0, ...extra };
}

async function names(store: IdentityStoreBackend, tenant: string, query: Omit<ThingQuery, 'limit'> & { limit?: number }): Promise<string[]> {
  return (await store.listThings(tenant, { limit: 100, ...query })).items.map((each) => each.name);
}

/** Registers the registry type cases inside runIdentityStoreContract's `describe`. */
export function runRegistryTypeCases(withStore: WithStore): void {
  it('creates a thing once, replaces it only at the expected version, and deletes it only at its version', () =>
    withStore(async (store) => {
      const first = thing('tenant-a', 'agent-1', { thingId: 'b604f69c-aa9a-4d4a-829e-c480e958a0b5', billingGroup: 'eu' });
      assert.equal(await store.createThing(first), true);
      assert.equal(await store.createThing({ ...first, attributes: {} }), false);
      assert.deepEqual(await store.getThing('tenant-a', 'agent-1'), first, 'a refused create changes nothing');

      const next: ThingRecord = { ...first, attributes: { site: 'lyon' }, version: 2, updatedAt: T0 + 1, groups: ['ignored'] };
      assert.equal(await store.replaceThing(next, 5), false, 'a stale version is refused');
      assert.equal(await store.replaceThing({ ...next, tenant: 'tenant-b' }, 1), false, 'no such thing in another tenant');
      assert.equal(await store.replaceThing(next, 1), true);
      // Groups and billing group are the membership verbs' business: they stay as stored.
      assert.deepEqual(await store.getThing('tenant-a', 'agent-1'), { ...next, groups: first.groups, billingGroup: 'eu' });

      // Of many writers from the same version, exactly one wins (on PostgreSQL through a pool of connections).
      const racers = Array.from({ length: 8 }, (_, index) => store.replaceThing({ ...next, attributes: { writer: String(index) }, version: 3 }, 2));
      assert.equal((await Promise.all(racers)).filter(Boolean).length, 1);
      assert.equal((await store.getThing('tenant-a', 'agent-1'))?.version, 3);

      assert.equal(await store.deleteThingAtVersion('tenant-a', 'agent-1', 2), false);
      assert.equal((await store.getThing('tenant-a', 'agent-1'))?.name, 'agent-1');
      assert.equal(await store.deleteThingAtVersion('tenant-a', 'agent-1', 3), true);
      assert.equal(await store.getThing('tenant-a', 'agent-1'), undefined);
      assert.equal(await store.createThing(first), true, 'the name is free again');
      assert.deepEqual(await store.listThings('tenant-a', { limit: 10, attributeName: 'site', attributeValue: 'lyon' }), { items: [] }, 'no attribute of the deleted thing is left');
    }));

  it('filters things by type, attribute value or prefix, billing group and group (recursively), and pages the result', () =>
    withStore(async (store) => {
      await store.putThingGroup(group('tenant-a', 'sites'));
      await store.putThingGroup(group('tenant-a', 'berlin', { parent: 'sites' }));
      await store.putThingGroup(group('tenant-a', 'mitte', { parent: 'berlin' }));
      await store.createBillingGroup(billingGroup('tenant-a', 'eu'));
      const made = [
        thing('tenant-a', 'a1', { thingType: 'camera', attributes: { site: 'berlin-mitte', fw: '1.2' }, groups: ['berlin'] }),
        thing('tenant-a', 'a2', { thingType: 'camera', attributes: { site: 'berlin-wedding', fw: '1.3' }, groups: ['mitte'], billingGroup: 'eu' }),
        thing('tenant-a', 'a3', { thingType: 'sensor', attributes: { site: 'bern' }, groups: ['sites'] }),
        thing('tenant-a', 'a4', { thingType: 'sensor', attributes: { site: 'Zürich 🏭', 'x%_': 'a%_b' }, groups: [] }),
        thing('tenant-b', 'a1', { thingType: 'camera', attributes: { site: 'berlin-mitte' }, groups: ['berlin'] }),
      ];
      for (const each of made) await store.putThing(each);

      assert.deepEqual(await names(store, 'tenant-a', { thingType: 'camera' }), ['a1', 'a2']);
      assert.deepEqual(await names(store, 'tenant-a', { attributeName: 'site', attributeValue: 'bern' }), ['a3'], 'exact by default');
      assert.deepEqual(await names(store, 'tenant-a', { attributeName: 'site', attributeValue: 'bern', usePrefixAttributeValue: true }), ['a3']);
      assert.deepEqual(await names(store, 'tenant-a', { attributeName: 'site', attributeValue: 'berlin-', usePrefixAttributeValue: true }), ['a1', 'a2']);
      assert.deepEqual(await names(store, 'tenant-a', { attributeName: 'site', attributeValue: 'Zür', usePrefixAttributeValue: true }), ['a4'], 'prefixes beyond ASCII');
      assert.deepEqual(await names(store, 'tenant-a', { attributeName: 'x%_', attributeValue: 'a%', usePrefixAttributeValue: true }), ['a4'], '% and _ are plain characters');
      assert.deepEqual(await names(store, 'tenant-a', { attributeName: 'x%_', attributeValue: 'ab', usePrefixAttributeValue: true }), []);
      assert.deepEqual(await names(store, 'tenant-a', { attributeName: 'fw' }), ['a1', 'a2'], 'a name alone: things that have the attribute');
      assert.deepEqual(await names(store, 'tenant-a', { attributeName: 'SITE', attributeValue: 'bern' }), [], 'names are case sensitive');
      assert.deepEqual(await names(store, 'tenant-a', { billingGroup: 'eu' }), ['a2']);
      assert.deepEqual(await names(store, 'tenant-a', { thingGroup: 'berlin' }), ['a1']);
      assert.deepEqual(await names(store, 'tenant-a', { thingGroup: 'berlin', recursive: true }), ['a1', 'a2']);
      assert.deepEqual(await names(store, 'tenant-a', { thingGroup: 'sites', recursive: true }), ['a1', 'a2', 'a3']);
      assert.deepEqual(await names(store, 'tenant-a', { thingGroup: 'sites', recursive: true, thingType: 'camera', attributeName: 'fw', attributeValue: '1.3' }), ['a2'], 'filters combine');
      assert.deepEqual(await names(store, 'tenant-b', { thingGroup: 'berlin' }), ['a1']);

      const first = await store.listThings('tenant-a', { limit: 1, thingGroup: 'sites', recursive: true });
      assert.deepEqual(first.items.map((each) => each.name), ['a1']);
      assert.equal(first.nextCursor, 'a1');
      const second = await store.listThings('tenant-a', { limit: 2, thingGroup: 'sites', recursive: true, cursor: 'a1' });
      assert.deepEqual(second.items.map((each) => each.name), ['a2', 'a3']);
      assert.equal(second.nextCursor, undefined, 'no cursor after the last page');
      assert.deepEqual(second.items[1], made[2], 'listed things are whole records');
      await assert.rejects(store.listThings('tenant-a', { limit: 0 }), RangeError);
      await assert.rejects(store.listThings('tenant-a', { limit: 10, attributeValue: 'x' }), TypeError);
    }));

  it('adds things to groups up to the limit of 10, removes them, and a deleted group lets its things go', () =>
    withStore(async (store) => {
      await store.putThing(thing('tenant-a', 'agent-1', { groups: [] }));
      for (let n = 0; n < 11; n++) await store.putThingGroup(group('tenant-a', `g${String(n).padStart(2, '0')}`));
      await store.putThingGroup(group('tenant-b', 'theirs'));
      assert.equal(await store.addThingToThingGroup('tenant-a', 'g00', 'agent-1'), true);
      assert.equal(await store.addThingToThingGroup('tenant-a', 'g00', 'agent-1'), false, 'already a member');
      await assert.rejects(store.addThingToThingGroup('tenant-a', 'theirs', 'agent-1'), { code: 'NOT_FOUND', message: 'Thing group "theirs" was not found' });
      await assert.rejects(store.addThingToThingGroup('tenant-a', 'g01', 'nobody'), { code: 'NOT_FOUND', message: 'Thing "nobody" was not found' });
      for (let n = 1; n < 10; n++) await store.addThingToThingGroup('tenant-a', `g0${n}`, 'agent-1');
      await assert.rejects(store.addThingToThingGroup('tenant-a', 'g10', 'agent-1'), {
        code: 'CONFLICT', message: 'Cannot add thing "agent-1" to thing group "g10": it is already in 10 thing groups, the limit; remove it from one first',
      });
      const stored = await store.getThing('tenant-a', 'agent-1');
      assert.deepEqual(stored?.groups, ['g00', 'g01', 'g02', 'g03', 'g04', 'g05', 'g06', 'g07', 'g08', 'g09']);
      assert.equal(stored?.version, 1, 'membership does not change the version');

      assert.equal(await store.removeThingFromThingGroup('tenant-a', 'g03', 'agent-1'), true);
      assert.equal(await store.removeThingFromThingGroup('tenant-a', 'g03', 'agent-1'), false);
      assert.equal(await store.removeThingFromThingGroup('tenant-a', 'g03', 'nobody'), false);
      assert.equal(await store.addThingToThingGroup('tenant-a', 'g10', 'agent-1'), true, 'room again');
      assert.deepEqual(await names(store, 'tenant-a', { thingGroup: 'g03' }), []);
      assert.deepEqual(await names(store, 'tenant-a', { thingGroup: 'g10' }), ['agent-1']);

      assert.equal(await store.deleteThingGroup('tenant-a', 'g10'), true);
      assert.equal((await store.getThing('tenant-a', 'agent-1'))?.groups.includes('g10'), false);
      await store.putThingGroup(group('tenant-a', 'g10'));
      assert.deepEqual(await names(store, 'tenant-a', { thingGroup: 'g10' }), [], 'a group made again under the same name is empty');
    }));

  it('replaces a thing group only at its version, keeping attributes and id', () =>
    withStore(async (store) => {
      const sites = group('tenant-a', 'sites', { attributes: { region: 'eu', tier: 'gold' }, thingGroupId: 'id-sites', version: 1, description: 'All' });
      await store.putThingGroup(sites);
      assert.deepEqual(await store.getThingGroup('tenant-a', 'sites'), sites);
      const next = { ...sites, attributes: { region: 'us' }, version: 2, updatedAt: T0 + 1 };
      assert.equal(await store.replaceThingGroup(next, 2), false);
      assert.equal(await store.replaceThingGroup({ ...next, name: 'nowhere' }, 1), false);
      assert.equal(await store.replaceThingGroup(next, 1), true);
      assert.deepEqual(await store.getThingGroup('tenant-a', 'sites'), next);
      await store.putThingGroup(group('tenant-a', 'legacy'));
      assert.equal(await store.replaceThingGroup(group('tenant-a', 'legacy', { version: 2 }), 1), true, 'a group without a version is at version 1');
      await assert.rejects(store.replaceThingGroup(group('tenant-a', 'legacy', { parent: 'legacy', version: 3 }), 2), { code: 'BAD_REQUEST' }, 'the tree checks hold');
    }));

  it('keeps thing types: create once, page, deprecate and undeprecate, delete only deprecated and unused', () =>
    withStore(async (store) => {
      const camera = thingType('tenant-a', 'camera', { description: 'Ünïcode camera', searchableAttributes: ['site', 'fw', 'model'] });
      assert.equal(await store.createThingType(camera), true);
      assert.equal(await store.createThingType({ ...camera, description: 'other' }), false);
      assert.deepEqual(await store.getThingType('tenant-a', 'camera'), camera);
      await store.createThingType(thingType('tenant-a', 'Zebra'));
      await store.createThingType(thingType('tenant-a', 'apple'));
      await store.createThingType(thingType('tenant-b', 'camera'));
      const page = await store.listThingTypes('tenant-a', { limit: 2 });
      assert.deepEqual(page.items.map((each) => each.name), ['Zebra', 'apple'], 'bytewise: upper case first');
      assert.deepEqual((await store.listThingTypes('tenant-a', { limit: 2, cursor: page.nextCursor! })).items.map((each) => each.name), ['camera']);

      await assert.rejects(store.deleteThingType('tenant-a', 'camera'), { code: 'CONFLICT', message: 'Cannot delete thing type "camera": it is not deprecated; deprecate it first' });
      const deprecated = await store.setThingTypeDeprecated('tenant-a', 'camera', true, T0 + 5);
      assert.deepEqual(deprecated, { ...camera, deprecated: true, deprecatedAt: T0 + 5, updatedAt: T0 + 5 });
      assert.deepEqual(await store.setThingTypeDeprecated('tenant-a', 'camera', true, T0 + 9), deprecated, 'deprecating twice keeps the first date');
      assert.equal(await store.setThingTypeDeprecated('tenant-a', 'nowhere', true, T0), undefined);
      await store.putThing(thing('tenant-a', 'cam-1', { thingType: 'camera' }));
      await store.putThing(thing('tenant-a', 'cam-2', { thingType: 'camera' }));
      await assert.rejects(store.deleteThingType('tenant-a', 'camera'), { code: 'CONFLICT', message: 'Cannot delete thing type "camera": 2 things have it; give them another type first' });
      await store.deleteThing('tenant-a', 'cam-1');
      await store.deleteThing('tenant-a', 'cam-2');
      assert.deepEqual(await store.setThingTypeDeprecated('tenant-a', 'apple', false, T0 + 1), thingType('tenant-a', 'apple'), 'undeprecating a type that is not deprecated changes nothing');
      assert.deepEqual(await store.setThingTypeDeprecated('tenant-a', 'camera', false, T0 + 6), { ...camera, updatedAt: T0 + 6 });
      await store.setThingTypeDeprecated('tenant-a', 'camera', true, T0 + 7);
      assert.equal(await store.deleteThingType('tenant-a', 'camera'), true);
      assert.equal(await store.deleteThingType('tenant-a', 'camera'), false);
      assert.equal((await store.getThingType('tenant-b', 'camera'))?.name, 'camera', "another tenant's type stays");
    }));

  it('keeps billing groups: create once, replace at a version, one per thing, and a deleted one lets its things go', () =>
    withStore(async (store) => {
      const eu = billingGroup('tenant-a', 'eu', { description: 'Europe' });
      assert.equal(await store.createBillingGroup(eu), true);
      assert.equal(await store.createBillingGroup(eu), false);
      await store.createBillingGroup(billingGroup('tenant-a', 'us'));
      assert.equal(await store.replaceBillingGroup({ ...eu, description: 'EU', version: 2 }, 2), false);
      assert.equal(await store.replaceBillingGroup({ ...eu, description: 'EU', version: 2 }, 1), true);
      assert.deepEqual(await store.getBillingGroup('tenant-a', 'eu'), { ...eu, description: 'EU', version: 2 });
      assert.deepEqual((await store.listBillingGroups('tenant-a', { limit: 1 })).nextCursor, 'eu');

      await store.putThing(thing('tenant-a', 'agent-1'));
      await assert.rejects(store.setThingBillingGroup('tenant-a', 'agent-1', 'asia'), { code: 'NOT_FOUND', message: 'Billing group "asia" was not found' });
      await assert.rejects(store.setThingBillingGroup('tenant-a', 'nobody', 'eu'), { code: 'NOT_FOUND' });
      assert.equal(await store.setThingBillingGroup('tenant-a', 'agent-1', 'eu'), undefined);
      assert.equal(await store.setThingBillingGroup('tenant-a', 'agent-1', 'us'), 'eu', 'moving it out of the one it was in');
      assert.deepEqual(await names(store, 'tenant-a', { billingGroup: 'eu' }), []);
      assert.deepEqual(await names(store, 'tenant-a', { billingGroup: 'us' }), ['agent-1']);
      assert.equal((await store.getThing('tenant-a', 'agent-1'))?.version, 1, 'no version change');
      assert.equal(await store.deleteBillingGroup('tenant-a', 'us'), true);
      assert.equal(await store.deleteBillingGroup('tenant-a', 'us'), false);
      assert.equal((await store.getThing('tenant-a', 'agent-1'))?.billingGroup, undefined);
      assert.equal(await store.setThingBillingGroup('tenant-a', 'agent-1', undefined), undefined);
    }));

  it('keeps registry event settings per tenant', () =>
    withStore(async (store, harness) => {
      assert.equal(await store.getEventConfigurations('tenant-a'), undefined);
      const settings = { tenant: 'tenant-a', enabled: ['THING', 'THING_GROUP_MEMBERSHIP'] as const, createdAt: T0, updatedAt: T0 };
      await store.putEventConfigurations(settings);
      await store.putEventConfigurations({ tenant: 'tenant-b', enabled: [], createdAt: T0, updatedAt: T0 });
      assert.deepEqual(await store.getEventConfigurations('tenant-a'), settings);
      const changed = { ...settings, enabled: ['THING_TYPE'] as const, updatedAt: T0 + 1 };
      await store.putEventConfigurations(changed);
      assert.deepEqual(await (await harness.reopen()).getEventConfigurations('tenant-a'), changed);
      assert.deepEqual((await store.getEventConfigurations('tenant-b'))?.enabled, []);
    }));

  it('undoes registry changes of a failed transaction and keeps them across reopening', () =>
    withStore(async (store, harness) => {
      await store.putThingGroup(group('tenant-a', 'sites'));
      await store.createThing(thing('tenant-a', 'agent-1', { groups: [] }));
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.createThingType(thingType('tenant-a', 'camera'));
          await tx.createBillingGroup(billingGroup('tenant-a', 'eu'));
          await tx.addThingToThingGroup('tenant-a', 'sites', 'agent-1');
          await tx.setThingBillingGroup('tenant-a', 'agent-1', 'eu');
          await tx.putEventConfigurations({ tenant: 'tenant-a', enabled: ['THING'], createdAt: T0, updatedAt: T0 });
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await store.getThingType('tenant-a', 'camera'), undefined);
      assert.equal(await store.getBillingGroup('tenant-a', 'eu'), undefined);
      assert.equal(await store.getEventConfigurations('tenant-a'), undefined);
      assert.deepEqual((await store.getThing('tenant-a', 'agent-1'))?.groups, []);
      assert.deepEqual(await names(store, 'tenant-a', { thingGroup: 'sites' }), []);

      await store.createThingType(thingType('tenant-a', 'camera'));
      await store.createBillingGroup(billingGroup('tenant-a', 'eu'));
      await store.addThingToThingGroup('tenant-a', 'sites', 'agent-1');
      await store.setThingBillingGroup('tenant-a', 'agent-1', 'eu');
      const reopened = await harness.reopen();
      assert.deepEqual(await reopened.getThingType('tenant-a', 'camera'), thingType('tenant-a', 'camera'));
      assert.deepEqual(await names(reopened, 'tenant-a', { thingGroup: 'sites', billingGroup: 'eu' }), ['agent-1']);
    }));
}
