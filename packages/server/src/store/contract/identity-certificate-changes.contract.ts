/**
 * The certificate change feed half of the identity contract (`listCertificateChanges`): order, the
 * inclusive `since` bound, limits, resuming a full page, and status changes showing up, across stores.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { CertificateRecord, IdentityStoreBackend } from '../identity-ports.js';
import type { IdentityStoreHarness } from './identity-store.contract.js';
import { certificate, T0 } from './identity-fixtures.js';

type WithStore = (test: (store: IdentityStoreBackend, harness: IdentityStoreHarness) => Promise<void>) => Promise<void>;

const ids = (records: readonly CertificateRecord[]): string[] => records.map((record) => record.id);
const byId = (a: CertificateRecord, b: CertificateRecord): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Registers the change feed cases inside runIdentityStoreContract's `describe`. */
export function runCertificateChangeCases(withStore: WithStore): void {
  it('lists changed certificates of every tenant by updatedAt then id, from `since` inclusive, at most `limit`', () =>
    withStore(async (store) => {
      const early = certificate('tenant-a', 'early', { updatedAt: T0 + 1 });
      const five = certificate('tenant-a', 'five', { updatedAt: T0 + 5 });
      // Two of one millisecond, in two tenants, put in reverse id order.
      const [tenLow, tenHigh] = [certificate('tenant-a', 'ten-a', { updatedAt: T0 + 10 }), certificate('tenant-b', 'ten-b', { updatedAt: T0 + 10 })].sort(byId) as [CertificateRecord, CertificateRecord];
      const twenty = certificate('tenant-b', 'twenty', { updatedAt: T0 + 20, status: 'INACTIVE' });
      for (const record of [twenty, tenHigh, early, tenLow, five]) await store.putCertificate(record);

      assert.deepEqual(await store.listCertificateChanges(T0 + 5, 1000), [five, tenLow, tenHigh, twenty]);
      assert.deepEqual(ids(await store.listCertificateChanges(T0 + 10, 1000)), ids([tenLow, tenHigh, twenty]), 'since is inclusive');
      assert.deepEqual(ids(await store.listCertificateChanges(T0 + 6, 1000)), ids([tenLow, tenHigh, twenty]));
      assert.deepEqual(ids(await store.listCertificateChanges(0, 2)), ids([early, five]));
      assert.deepEqual(ids(await store.listCertificateChanges(T0 + 5, 2)), ids([five, tenLow]));
      assert.deepEqual(await store.listCertificateChanges(T0 + 21, 1000), []);

      await assert.rejects(store.listCertificateChanges(T0, 0), RangeError);
      await assert.rejects(store.listCertificateChanges(T0, 1001), RangeError);
      await assert.rejects(store.listCertificateChanges(T0, 1.5), RangeError);
    }));

  it('resumes after the last record of a full page, however many share its millisecond', () =>
    withStore(async (store) => {
      const same = Array.from({ length: 5 }, (_, n) => certificate('tenant-a', `same-${n}`, { updatedAt: T0 + 7 })).sort(byId);
      const later = certificate('tenant-b', 'later', { updatedAt: T0 + 8 });
      for (const record of [later, ...same]) await store.putCertificate(record);

      const seen: CertificateRecord[] = [];
      let since = T0;
      let afterId: string | undefined;
      for (let round = 0; round < 10; round++) {
        const page = await store.listCertificateChanges(since, 2, afterId === undefined ? {} : { afterId });
        seen.push(...page);
        const last = page.at(-1);
        if (page.length < 2 || last === undefined) break;
        since = last.updatedAt;
        afterId = last.id;
      }
      assert.deepEqual(ids(seen), ids([...same, later]), 'each record once, in order');
      // afterId only skips within `since` itself.
      assert.deepEqual(ids(await store.listCertificateChanges(T0 + 7, 1000, { afterId: same[4]!.id })), [later.id]);
      assert.deepEqual(ids(await store.listCertificateChanges(T0 + 6, 1000, { afterId: 'f'.repeat(64) })), ids([...same, later]));
    }));

  it('shows status changes and thing changes, made by another store on the same data, at their new updatedAt', () =>
    withStore(async (store, harness) => {
      const record = certificate('tenant-a', 'changing');
      const quiet = certificate('tenant-a', 'quiet');
      await store.putCertificate(record);
      await store.putCertificate(quiet);
      assert.deepEqual(await store.listCertificateChanges(T0 + 100, 1000), []);

      const elsewhere = await harness.reopen();
      const revoked = await elsewhere.setCertificateStatus(record.id, 'REVOKED', T0 + 100);
      assert.deepEqual(await store.listCertificateChanges(T0 + 100, 1000), [revoked]);
      assert.equal(revoked?.status, 'REVOKED');

      await elsewhere.setCertificateStatus(quiet.id, 'INACTIVE', T0 + 200);
      assert.deepEqual((await store.listCertificateChanges(T0 + 101, 1000)).map((each) => [each.id, each.status, each.updatedAt]), [[quiet.id, 'INACTIVE', T0 + 200]]);
      await elsewhere.setCertificateThing(quiet.id, 'agent-9', T0 + 300);
      assert.deepEqual((await store.listCertificateChanges(T0 + 201, 1000)).map((each) => [each.id, each.thing]), [[quiet.id, 'agent-9']]);

      // A deleted record simply drops out of the feed.
      assert.equal(await elsewhere.deleteCertificate(quiet.id), true);
      assert.deepEqual(ids(await store.listCertificateChanges(T0, 1000)), [record.id]);
    }));
}
