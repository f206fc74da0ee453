/**
 * The registry entries of the policy change feed: every verb that changes what a connection's policies
 * are resolved from (a thing, the group tree, a certificate's thing) writes one in its own transaction,
 * a verb that changes nothing writes none, and a rolled-back transaction leaves none.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { IdentityStoreBackend } from '../identity-ports.js';
import type { PolicyChange } from '../policy-ports.js';
import type { IdentityStoreHarness } from './identity-store.contract.js';
import { certificate, T0, thing } from './identity-fixtures.js';

type WithStore = (test: (store: IdentityStoreBackend, harness: IdentityStoreHarness) => Promise<void>) => Promise<void>;
type Entry = Pick<PolicyChange, 'tenant' | 'kind' | 'name'>;

/**
 * The registry entries written since `since`, without ids and times; each time must lie between
 * `since` and now, as the verbs without an `at` stamp the time of the write.
 */
async function registryEntries(store: IdentityStoreBackend, since: number): Promise<Entry[]> {
  const feed = await store.listPolicyChanges(since, 1000);
  const until = Date.now();
  const entries = feed.filter((entry) => entry.kind !== 'policy' && entry.kind !== 'attachment');
  for (const entry of entries) assert.ok(entry.at >= since && entry.at <= until, `${entry.kind} ${entry.name} at ${entry.at} is outside [${since}, ${until}]`);
  return entries.map(({ tenant, kind, name }) => ({ tenant, kind, name }));
}

/** A time after every write so far: entries written from now on are at or after it, earlier ones before it. */
async function nextMillisecond(): Promise<number> {
  const start = Date.now();
  while (Date.now() === start) await new Promise((resolve) => setTimeout(resolve, 1));
  return Date.now();
}

const group = (tenant: string, name: string, extra: { parent?: string; description?: string; version?: number } = {}) => ({ tenant, name, createdAt: T0, updatedAt: T0, ...extra });

/** Registers the registry feed cases inside runIdentityStoreContract's `describe`. */
export function runRegistryChangeCases(withStore: WithStore): void {
  it('writes a thing entry for each write of a thing, join, leave and delete, none for one that changes nothing', () =>
    withStore(async (store) => {
      await store.putThingGroup(group('tenant-a', 'lab'));
      await store.createBillingGroup({ tenant: 'tenant-a', name: 'eu', billingGroupId: 'b1', version: 1, createdAt: T0, updatedAt: T0 });
      const since = await nextMillisecond();
      const first = thing('tenant-a', 'a1', { groups: [] });
      assert.equal(await store.createThing(first), true);
      assert.equal(await store.createThing(first), false);
      await store.putThing(thing('tenant-b', 'a2', { groups: [] }));
      assert.equal(await store.replaceThing({ ...first, attributes: { site: 'lyon' }, version: 2 }, 1), true);
      assert.equal(await store.replaceThing({ ...first, version: 3 }, 1), false, 'stale version');
      assert.equal(await store.addThingToThingGroup('tenant-a', 'lab', 'a1'), true);
      assert.equal(await store.addThingToThingGroup('tenant-a', 'lab', 'a1'), false);
      await assert.rejects(store.addThingToThingGroup('tenant-a', 'missing', 'a1'), { code: 'NOT_FOUND' });
      await store.setThingBillingGroup('tenant-a', 'a1', 'eu');
      assert.equal(await store.removeThingFromThingGroup('tenant-a', 'lab', 'a1'), true);
      assert.equal(await store.removeThingFromThingGroup('tenant-a', 'lab', 'a1'), false);
      assert.equal(await store.deleteThingAtVersion('tenant-a', 'a1', 1), false);
      assert.equal(await store.deleteThingAtVersion('tenant-a', 'a1', 2), true);
      assert.equal(await store.deleteThing('tenant-b', 'a2'), true);
      assert.equal(await store.deleteThing('tenant-b', 'a2'), false);

      const entry = (tenant: string, name: string): Entry => ({ tenant, kind: 'thing', name });
      assert.deepEqual(await registryEntries(store, since), [
        entry('tenant-a', 'a1'), // create
        entry('tenant-b', 'a2'), // put
        entry('tenant-a', 'a1'), // replace
        entry('tenant-a', 'a1'), // join lab (the billing group writes none: no policy reads it)
        entry('tenant-a', 'a1'), // leave lab
        entry('tenant-a', 'a1'), // delete at version
        entry('tenant-b', 'a2'), // delete
      ]);
    }));

  it('writes a thing-group entry for a new group, a new parent and a delete, none for a description or a refusal', () =>
    withStore(async (store) => {
      const since = await nextMillisecond();
      await store.putThingGroup(group('tenant-a', 'sites'));
      await store.putThingGroup(group('tenant-a', 'berlin', { parent: 'sites' }));
      await store.putThingGroup(group('tenant-a', 'berlin', { parent: 'sites', description: 'same parent' }));
      assert.equal(await store.replaceThingGroup(group('tenant-a', 'berlin', { parent: 'sites', description: 'again', version: 2 }), 1), true);
      assert.equal(await store.replaceThingGroup(group('tenant-a', 'berlin', { version: 3 }), 1), false, 'stale version');
      assert.equal(await store.replaceThingGroup(group('tenant-a', 'berlin', { version: 3 }), 2), true, 'now a root');
      await store.putThingGroup(group('tenant-a', 'berlin', { parent: 'sites', version: 4 }));
      await assert.rejects(store.putThingGroup(group('tenant-a', 'sites', { parent: 'berlin' })), { code: 'BAD_REQUEST' }, 'a cycle');
      await assert.rejects(store.deleteThingGroup('tenant-a', 'sites'), { code: 'CONFLICT' });
      await store.putThing(thing('tenant-a', 'a1', { groups: [] }));
      await store.addThingToThingGroup('tenant-a', 'berlin', 'a1');
      const beforeDelete = await registryEntries(store, since);
      assert.equal(await store.deleteThingGroup('tenant-a', 'berlin'), true);
      assert.equal(await store.deleteThingGroup('tenant-a', 'berlin'), false);
      assert.deepEqual((await store.getThing('tenant-a', 'a1'))?.groups, []);

      const entry = (name: string): Entry => ({ tenant: 'tenant-a', kind: 'thing-group', name });
      assert.deepEqual(beforeDelete.filter((each) => each.kind === 'thing-group'), [entry('sites'), entry('berlin'), entry('berlin'), entry('berlin')], 'new, new, moved to root, moved back');
      assert.deepEqual((await registryEntries(store, since)).slice(beforeDelete.length), [entry('berlin')], 'one entry for the group, none per member');
    }));

  it('writes a certificate-thing entry at the verb\'s time when a certificate is attached to a thing or detached', () =>
    withStore(async (store) => {
      const since = await nextMillisecond();
      const { thing: _thing, ...bare } = certificate('tenant-a', 1);
      await store.putCertificate(bare);
      assert.equal(await store.setCertificateThing(certificate('tenant-a', 2).id, 'agent-1', since), undefined);
      await store.setCertificateThing(bare.id, 'agent-1', since + 1);
      await store.setCertificateThing(bare.id, undefined, since + 2);
      const feed = (await store.listPolicyChanges(since, 1000)).map(({ id: _id, ...rest }) => rest);
      assert.deepEqual(feed, [
        { tenant: 'tenant-a', kind: 'certificate-thing', name: bare.id, at: since + 1 },
        { tenant: 'tenant-a', kind: 'certificate-thing', name: bare.id, at: since + 2 },
      ]);
    }));

  it('leaves no registry entry behind a rolled-back transaction, and shows the entries to another store on the same data', () =>
    withStore(async (store, harness) => {
      await store.putThingGroup(group('tenant-a', 'lab'));
      const { thing: _thing, ...bare } = certificate('tenant-a', 1);
      await store.putCertificate(bare);
      const since = await nextMillisecond();
      const failure = new Error('roll back');
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.putThing(thing('tenant-a', 'a1', { groups: [] }));
          await tx.addThingToThingGroup('tenant-a', 'lab', 'a1');
          await tx.putThingGroup(group('tenant-a', 'berlin', { parent: 'lab' }));
          await tx.setCertificateThing(bare.id, 'a1', since);
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.deepEqual(await registryEntries(store, since), []);

      await store.putThing(thing('tenant-a', 'a1', { groups: [] }));
      const elsewhere = await harness.reopen();
      assert.deepEqual(await registryEntries(elsewhere, since), [{ tenant: 'tenant-a', kind: 'thing', name: 'a1' }]);
    }));
}
