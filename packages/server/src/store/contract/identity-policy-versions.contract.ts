/**
 * The policy versions half of the identity contract: AWS's five versions with one default, version
 * numbers never reused, `putPolicy` replacing them, the resolver's `listPoliciesAttachedTo`, and the
 * change feed (every change, a detach and a delete included, pruned after an hour, seen across stores).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { IdentityStoreBackend, PolicyTarget } from '../identity-ports.js';
import type { PolicyChange } from '../policy-ports.js';
import type { IdentityStoreHarness } from './identity-store.contract.js';
import { certificate, policy, T0 } from './identity-fixtures.js';

type WithStore = (test: (store: IdentityStoreBackend, harness: IdentityStoreHarness) => Promise<void>) => Promise<void>;

const doc = (n: number | string): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:*:*:topic/v${n}/*` }] });
const cert = (id: string): PolicyTarget => ({ kind: 'certificate', id });
const group = (id: string): PolicyTarget => ({ kind: 'thing-group', id });
const tenantTarget = (id: string): PolicyTarget => ({ kind: 'tenant', id });
/** Entries without their ids, which only have to grow. */
const plain = (changes: readonly PolicyChange[]) => changes.map(({ id: _id, ...rest }) => rest);

/** Registers the policy version and change feed cases inside runIdentityStoreContract's `describe`. */
export function runPolicyVersionCases(withStore: WithStore): void {
  it('creates a policy as version 1, its default; a second create of the name is a CONFLICT, another tenant\'s is not', () =>
    withStore(async (store) => {
      const created = await store.createPolicy('tenant-a', 'agent', doc(1), T0);
      assert.deepEqual(created, { tenant: 'tenant-a', name: 'agent', document: doc(1), version: 1, createdAt: T0, updatedAt: T0 });
      assert.deepEqual(await store.getPolicy('tenant-a', 'agent'), created);
      assert.deepEqual(await store.listPolicyVersions('tenant-a', 'agent'), [{ tenant: 'tenant-a', name: 'agent', versionId: 1, document: doc(1), isDefault: true, createdAt: T0 }]);
      await assert.rejects(store.createPolicy('tenant-a', 'agent', doc(2), T0 + 1), {
        code: 'CONFLICT',
        message: 'Cannot create policy "agent": tenant "tenant-a" already has a policy of that name; add a version instead',
      });
      assert.equal((await store.getPolicy('tenant-a', 'agent'))?.document, doc(1));
      assert.equal((await store.createPolicy('tenant-b', 'agent', doc('b'), T0)).document, doc('b'));
      assert.deepEqual(await store.listPolicyVersions('tenant-c', 'agent'), []);
      assert.equal(await store.getPolicyVersion('tenant-c', 'agent', 1), undefined);
    }));

  it('adds versions, the default only when asked; getPolicy always reads the default', () =>
    withStore(async (store) => {
      await store.createPolicy('tenant-a', 'agent', doc(1), T0);
      const second = await store.createPolicyVersion('tenant-a', 'agent', doc(2), {}, T0 + 1);
      assert.deepEqual(second, { tenant: 'tenant-a', name: 'agent', versionId: 2, document: doc(2), isDefault: false, createdAt: T0 + 1 });
      assert.deepEqual(await store.getPolicy('tenant-a', 'agent'), { tenant: 'tenant-a', name: 'agent', document: doc(1), version: 1, createdAt: T0, updatedAt: T0 + 1 });

      const third = await store.createPolicyVersion('tenant-a', 'agent', doc(3), { setAsDefault: true }, T0 + 2);
      assert.equal(third.isDefault, true);
      assert.deepEqual(await store.getPolicy('tenant-a', 'agent'), { tenant: 'tenant-a', name: 'agent', document: doc(3), version: 3, createdAt: T0, updatedAt: T0 + 2 });
      assert.deepEqual((await store.listPolicies('tenant-a')).map((each) => [each.name, each.version]), [['agent', 3]]);
      assert.deepEqual((await store.listPolicyVersions('tenant-a', 'agent')).map((v) => [v.versionId, v.isDefault]), [[1, false], [2, false], [3, true]]);
      assert.deepEqual(await store.getPolicyVersion('tenant-a', 'agent', 2), { ...second });
      assert.equal(await store.getPolicyVersion('tenant-a', 'agent', 9), undefined);

      const back = await store.setDefaultPolicyVersion('tenant-a', 'agent', 1, T0 + 3);
      assert.deepEqual(back, { tenant: 'tenant-a', name: 'agent', document: doc(1), version: 1, createdAt: T0, updatedAt: T0 + 3 });
      assert.deepEqual(await store.getPolicy('tenant-a', 'agent'), back);
      assert.equal((await store.getPolicyVersion('tenant-a', 'agent', 3))?.isDefault, false);
      await assert.rejects(store.setDefaultPolicyVersion('tenant-a', 'agent', 9, T0 + 4), { code: 'NOT_FOUND', message: 'Policy "agent" version "9" was not found' });
      await assert.rejects(store.setDefaultPolicyVersion('tenant-a', 'missing', 1, T0 + 4), { code: 'NOT_FOUND' });
      await assert.rejects(store.createPolicyVersion('tenant-b', 'agent', doc(2), {}, T0 + 4), { code: 'NOT_FOUND' });
    }));

  it('refuses a sixth version with AWS\'s VersionsLimitExceeded message, and never reuses a version number', () =>
    withStore(async (store) => {
      await store.createPolicy('tenant-a', 'agent', doc(1), T0);
      for (let n = 2; n <= 5; n++) await store.createPolicyVersion('tenant-a', 'agent', doc(n), {}, T0 + n);
      await assert.rejects(store.createPolicyVersion('tenant-a', 'agent', doc(6), { setAsDefault: true }, T0 + 6), {
        code: 'VERSIONS_LIMIT_EXCEEDED',
        status: 409,
        message: 'Cannot create a version of policy "agent": the policy agent already has the maximum number of versions (5); delete a version that is not the default first',
      });
      assert.deepEqual((await store.listPolicyVersions('tenant-a', 'agent')).map((v) => v.versionId), [1, 2, 3, 4, 5]);
      assert.equal((await store.getPolicy('tenant-a', 'agent'))?.version, 1);

      await assert.rejects(store.deletePolicyVersion('tenant-a', 'agent', 1, T0 + 7), {
        code: 'CONFLICT',
        message: 'Cannot delete version 1 of policy "agent": it is the default version; make another version the default, or delete the policy',
      });
      assert.equal(await store.deletePolicyVersion('tenant-a', 'agent', 5, T0 + 7), true);
      assert.equal(await store.deletePolicyVersion('tenant-a', 'agent', 5, T0 + 7), false);
      assert.equal(await store.deletePolicyVersion('tenant-a', 'missing', 1, T0 + 7), false);
      const sixth = await store.createPolicyVersion('tenant-a', 'agent', doc(6), {}, T0 + 8);
      assert.equal(sixth.versionId, 6, 'numbered past the deleted 5');
      assert.deepEqual((await store.listPolicyVersions('tenant-a', 'agent')).map((v) => v.versionId), [1, 2, 3, 4, 6]);
    }));

  it('putPolicy replaces every version with its one; deletePolicy takes the versions with it', () =>
    withStore(async (store) => {
      await store.createPolicy('tenant-a', 'agent', doc(1), T0);
      await store.createPolicyVersion('tenant-a', 'agent', doc(2), {}, T0 + 1);
      await store.createPolicyVersion('tenant-a', 'agent', doc(3), {}, T0 + 2);
      const replaced = policy('tenant-a', 'agent', { document: doc('put'), version: 2, updatedAt: T0 + 3 });
      await store.putPolicy(replaced);
      assert.deepEqual(await store.getPolicy('tenant-a', 'agent'), replaced);
      assert.deepEqual(await store.listPolicyVersions('tenant-a', 'agent'), [{ tenant: 'tenant-a', name: 'agent', versionId: 2, document: doc('put'), isDefault: true, createdAt: T0 + 3 }]);
      assert.equal((await store.createPolicyVersion('tenant-a', 'agent', doc(4), {}, T0 + 4)).versionId, 4, 'past the 3 it once had');

      assert.equal(await store.deletePolicy('tenant-a', 'agent', T0 + 5), true);
      assert.deepEqual(await store.listPolicyVersions('tenant-a', 'agent'), []);
      assert.equal((await store.createPolicy('tenant-a', 'agent', doc('again'), T0 + 6)).version, 1, 'a new policy of the name starts again');
      assert.deepEqual((await store.listPolicyVersions('tenant-a', 'agent')).map((v) => v.document), [doc('again')]);
    }));

  it('lists the policies attached to any of a principal\'s targets, once each, with the default document', () =>
    withStore(async (store) => {
      const device = certificate('tenant-a', 1).id;
      await store.createPolicy('tenant-a', 'pub', doc('pub'), T0);
      await store.createPolicy('tenant-a', 'sub', doc('sub'), T0);
      await store.createPolicy('tenant-a', 'base', doc('base'), T0);
      await store.createPolicy('tenant-a', 'unrelated', doc('x'), T0);
      await store.createPolicy('tenant-b', 'pub', doc('b'), T0);
      await store.attachPolicy('tenant-a', 'pub', cert(device), T0);
      await store.attachPolicy('tenant-a', 'pub', group('lab'), T0);
      await store.attachPolicy('tenant-a', 'sub', group('floor-1'), T0);
      await store.attachPolicy('tenant-a', 'base', tenantTarget('tenant-a'), T0);
      await store.attachPolicy('tenant-a', 'unrelated', group('elsewhere'), T0);
      await store.attachPolicy('tenant-b', 'pub', cert(device), T0);
      await store.createPolicyVersion('tenant-a', 'pub', doc('pub-2'), { setAsDefault: true }, T0 + 1);

      const targets = [cert(device), group('lab'), group('floor-1'), tenantTarget('tenant-a')];
      const found = await store.listPoliciesAttachedTo('tenant-a', targets);
      assert.deepEqual(found.map((each) => [each.name, each.document, each.version]), [['base', doc('base'), 1], ['pub', doc('pub-2'), 2], ['sub', doc('sub'), 1]]);
      assert.deepEqual(found.find((each) => each.name === 'pub')?.attachedTo, [cert(device), group('lab')]);
      assert.deepEqual((await store.listPoliciesAttachedTo('tenant-b', targets)).map((each) => each.document), [doc('b')]);
      assert.deepEqual(await store.listPoliciesAttachedTo('tenant-a', []), []);
      assert.deepEqual(await store.listPoliciesAttachedTo('tenant-a', [cert('nobody')]), []);
    }));

  it('writes a feed entry for every policy and attachment change, a detach and a delete included, none for a refusal', () =>
    withStore(async (store, harness) => {
      const device = certificate('tenant-a', 1).id;
      await store.createPolicy('tenant-a', 'agent', doc(1), T0 + 1);
      await store.createPolicyVersion('tenant-a', 'agent', doc(2), {}, T0 + 2);
      await store.setDefaultPolicyVersion('tenant-a', 'agent', 2, T0 + 3);
      await store.deletePolicyVersion('tenant-a', 'agent', 1, T0 + 4);
      await store.attachPolicy('tenant-a', 'agent', cert(device), T0 + 5);
      await store.attachPolicy('tenant-a', 'agent', cert(device), T0 + 6);
      await store.detachPolicy('tenant-a', 'agent', cert(device), T0 + 7);
      assert.equal(await store.detachPolicy('tenant-a', 'agent', cert(device), T0 + 8), false);
      await store.putPolicy(policy('tenant-b', 'other', { updatedAt: T0 + 9 }));
      await store.attachPolicy('tenant-a', 'agent', group('lab'), T0 + 10);
      await store.deletePolicy('tenant-a', 'agent', T0 + 11);
      await assert.rejects(store.createPolicy('tenant-b', 'other', doc(1), T0 + 12), { code: 'CONFLICT' });
      await assert.rejects(store.attachPolicy('tenant-a', 'agent', group('lab'), T0 + 12), { code: 'NOT_FOUND' });

      const feed = await store.listPolicyChanges(T0, 1000);
      assert.deepEqual(plain(feed), [
        { tenant: 'tenant-a', kind: 'policy', name: 'agent', at: T0 + 1 },
        { tenant: 'tenant-a', kind: 'policy', name: 'agent', at: T0 + 2 },
        { tenant: 'tenant-a', kind: 'policy', name: 'agent', at: T0 + 3 },
        { tenant: 'tenant-a', kind: 'policy', name: 'agent', at: T0 + 4 },
        { tenant: 'tenant-a', kind: 'attachment', name: 'agent', target: cert(device), at: T0 + 5 },
        { tenant: 'tenant-a', kind: 'attachment', name: 'agent', target: cert(device), at: T0 + 7 },
        { tenant: 'tenant-b', kind: 'policy', name: 'other', at: T0 + 9 },
        { tenant: 'tenant-a', kind: 'attachment', name: 'agent', target: group('lab'), at: T0 + 10 },
        { tenant: 'tenant-a', kind: 'policy', name: 'agent', at: T0 + 11 },
      ]);
      assert.ok(feed.every((entry, n) => n === 0 || entry.id > feed[n - 1]!.id), 'ids grow');
      assert.deepEqual(plain(await store.listPolicyChanges(T0 + 10, 1000)).map((entry) => entry.at), [T0 + 10, T0 + 11], 'since is inclusive');
      assert.deepEqual(plain(await store.listPolicyChanges(T0, 2)).map((entry) => entry.at), [T0 + 1, T0 + 2]);
      await assert.rejects(store.listPolicyChanges(T0, 0), RangeError);
      await assert.rejects(store.listPolicyChanges(T0, 1001), RangeError);

      // Another store on the same data sees the same feed.
      const elsewhere = await harness.reopen();
      assert.deepEqual(await elsewhere.listPolicyChanges(T0, 1000), feed);
    }));

  it('resumes the feed after a full page within one millisecond, and prunes entries over an hour old on write', () =>
    withStore(async (store) => {
      for (const name of ['a', 'b', 'c', 'd', 'e']) await store.createPolicy('tenant-a', name, doc(name), T0 + 7);
      const seen: PolicyChange[] = [];
      let since = T0;
      let afterId: number | undefined;
      for (let round = 0; round < 10; round++) {
        const page = await store.listPolicyChanges(since, 2, afterId === undefined ? {} : { afterId });
        seen.push(...page);
        const last = page.at(-1);
        if (page.length < 2 || last === undefined) break;
        since = last.at;
        afterId = last.id;
      }
      assert.deepEqual(seen.map((entry) => entry.name), ['a', 'b', 'c', 'd', 'e'], 'each entry once, in order');

      await store.createPolicy('tenant-a', 'later', doc('later'), T0 + 7 + 3_600_000);
      assert.deepEqual((await store.listPolicyChanges(T0 + 7, 1000)).map((entry) => entry.name), ['a', 'b', 'c', 'd', 'e', 'later'], 'an hour old exactly stays');
      await store.createPolicy('tenant-a', 'latest', doc('latest'), T0 + 8 + 3_600_000);
      assert.deepEqual((await store.listPolicyChanges(0, 1000)).map((entry) => entry.name), ['later', 'latest']);
    }));

  it('leaves no version and no feed entry behind a rolled-back transaction, and keeps versions across reopening', () =>
    withStore(async (store, harness) => {
      await store.createPolicy('tenant-a', 'agent', doc(1), T0);
      const failure = new Error('roll back');
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.createPolicyVersion('tenant-a', 'agent', doc(2), { setAsDefault: true }, T0 + 1);
          await tx.attachPolicy('tenant-a', 'agent', group('lab'), T0 + 1);
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.deepEqual((await store.listPolicyVersions('tenant-a', 'agent')).map((v) => v.versionId), [1]);
      assert.equal((await store.getPolicy('tenant-a', 'agent'))?.document, doc(1));
      assert.deepEqual((await store.listPolicyChanges(T0, 1000)).map((entry) => entry.at), [T0]);

      await store.createPolicyVersion('tenant-a', 'agent', doc(2), { setAsDefault: true }, T0 + 2);
      await store.close();
      const reopened = await harness.reopen();
      assert.deepEqual((await reopened.listPolicyVersions('tenant-a', 'agent')).map((v) => [v.versionId, v.isDefault]), [[1, false], [2, true]]);
      assert.equal((await reopened.getPolicy('tenant-a', 'agent'))?.document, doc(2));
      assert.equal((await reopened.createPolicyVersion('tenant-a', 'agent', doc(3), {}, T0 + 3)).versionId, 3);
    }));
}
