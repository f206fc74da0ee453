/**
 * The thing group half of the identity contract: the static group tree (parents that must exist, no
 * cycles, AWS's depth limit of 7), deletion refused while a group has children, tenant isolation,
 * transactions and reopening.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { IdentityStoreBackend } from '../identity-ports.js';
import type { ThingGroupRecord } from '../thing-group-ports.js';
import type { IdentityStoreHarness } from './identity-store.contract.js';
import { T0 } from './identity-fixtures.js';

type WithStore = (test: (store: IdentityStoreBackend, harness: IdentityStoreHarness) => Promise<void>) => Promise<void>;

function group(tenant: string, name: string, extra: Partial<ThingGroupRecord> = {}): ThingGroupRecord {
  return { tenant, name, createdAt: T0, updatedAt: T0, ...extra };
}

/** Registers the thing group cases inside runIdentityStoreContract's `describe`. */
export function runThingGroupCases(withStore: WithStore): void {
  it('keeps a thing group tree per tenant, replaces a group on a second put and lists by name', () =>
    withStore(async (store, harness) => {
      const root = group('tenant-a', 'sites', { description: 'Ünïcode sites' });
      const child = group('tenant-a', 'berlin', { parent: 'sites' });
      await store.putThingGroup(root);
      await store.putThingGroup(child);
      await store.putThingGroup(group('tenant-b', 'sites'));
      assert.deepEqual(await store.getThingGroup('tenant-a', 'sites'), root);
      // An absent optional field stays absent.
      assert.deepEqual(await store.getThingGroup('tenant-a', 'berlin'), child);
      assert.equal(await store.getThingGroup('tenant-a', 'nowhere'), undefined);
      assert.deepEqual((await store.listThingGroups('tenant-a')).map((each) => each.name), ['berlin', 'sites']);
      assert.deepEqual(await store.listThingGroups('tenant-b'), [group('tenant-b', 'sites')]);

      const moved = group('tenant-a', 'berlin', { description: 'moved to the root', updatedAt: T0 + 5 });
      await store.putThingGroup(moved);
      const reopened = await harness.reopen();
      assert.deepEqual(await reopened.getThingGroup('tenant-a', 'berlin'), moved);
    }));

  it('refuses a parent of another tenant or none, a cycle and a tree deeper than 7', () =>
    withStore(async (store) => {
      await store.putThingGroup(group('tenant-b', 'theirs'));
      await assert.rejects(store.putThingGroup(group('tenant-a', 'x', { parent: 'theirs' })), {
        code: 'BAD_REQUEST', message: 'Invalid request: Cannot save thing group "x": parent group "theirs" does not exist in tenant "tenant-a"; create it first',
      });
      await assert.rejects(store.putThingGroup(group('tenant-a', 'x', { parent: 'x' })), { code: 'BAD_REQUEST', message: /cannot be its own parent/ });
      assert.deepEqual(await store.listThingGroups('tenant-a'), []);

      // g1 <- g2 <- ... <- g7: seven levels, the limit.
      await store.putThingGroup(group('tenant-a', 'g1'));
      for (let level = 2; level <= 7; level++) await store.putThingGroup(group('tenant-a', `g${level}`, { parent: `g${level - 1}` }));
      await assert.rejects(store.putThingGroup(group('tenant-a', 'g8', { parent: 'g7' })), {
        code: 'BAD_REQUEST', message: 'Invalid request: Cannot save thing group "g8": the group tree would be 8 levels deep, more than the limit of 7',
      });
      // Moving g2 (with five levels below it) under another root's child makes eight levels too.
      await store.putThingGroup(group('tenant-a', 'other'));
      await store.putThingGroup(group('tenant-a', 'other-child', { parent: 'other' }));
      await assert.rejects(store.putThingGroup(group('tenant-a', 'g2', { parent: 'other-child' })), { code: 'BAD_REQUEST', message: /8 levels deep/ });
      // A cycle: g3 under its own descendant g5.
      await assert.rejects(store.putThingGroup(group('tenant-a', 'g3', { parent: 'g5' })), {
        code: 'BAD_REQUEST', message: 'Invalid request: Cannot save thing group "g3": parent "g5" is below it, which would make a cycle',
      });
      assert.equal((await store.getThingGroup('tenant-a', 'g3'))?.parent, 'g2', 'a refused put changes nothing');
      // Moving g2 under `other` keeps seven levels: allowed.
      await store.putThingGroup(group('tenant-a', 'g2', { parent: 'other' }));
      assert.equal((await store.getThingGroup('tenant-a', 'g2'))?.parent, 'other');
    }));

  it('refuses to delete a group that has children and deletes leaves', () =>
    withStore(async (store) => {
      await store.putThingGroup(group('tenant-a', 'sites'));
      await store.putThingGroup(group('tenant-a', 'berlin', { parent: 'sites' }));
      await store.putThingGroup(group('tenant-b', 'berlin'));
      await assert.rejects(store.deleteThingGroup('tenant-a', 'sites'), {
        code: 'CONFLICT', message: 'Cannot delete thing group "sites": it is the parent of "berlin"; delete or move its child groups first',
      });
      assert.equal(await store.deleteThingGroup('tenant-a', 'berlin'), true);
      assert.equal(await store.deleteThingGroup('tenant-a', 'berlin'), false);
      assert.equal(await store.deleteThingGroup('tenant-a', 'sites'), true);
      assert.deepEqual(await store.listThingGroups('tenant-a'), []);
      assert.equal((await store.getThingGroup('tenant-b', 'berlin'))?.name, 'berlin', 'another tenant\'s group of the same name stays');
    }));

  it('undoes thing group changes of a failed transaction', () =>
    withStore(async (store) => {
      await store.putThingGroup(group('tenant-a', 'sites'));
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.putThingGroup(group('tenant-a', 'berlin', { parent: 'sites' }));
          assert.equal((await tx.getThingGroup('tenant-a', 'berlin'))?.parent, 'sites');
          await tx.putThingGroup(group('tenant-a', 'loop', { parent: 'nowhere' }));
        }),
        { code: 'BAD_REQUEST' },
      );
      assert.deepEqual((await store.listThingGroups('tenant-a')).map((each) => each.name), ['sites']);
    }));
}
