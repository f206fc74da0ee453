/**
 * The registry half of the identity contract: CAs by subject, certificate deletion and attachment,
 * things (paged), policies and their attachments, role aliases, in transactions and across reopening.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { IdentityStoreBackend, PolicyTarget } from '../identity-ports.js';
import type { IdentityStoreHarness } from './identity-store.contract.js';
import { ca, certificate, fingerprint, policy, roleAlias, T0, thing } from './identity-fixtures.js';

type WithStore = (test: (store: IdentityStoreBackend, harness: IdentityStoreHarness) => Promise<void>) => Promise<void>;

const certificateTarget = (id: string): PolicyTarget => ({ kind: 'certificate', id });
const groupTarget = (id: string): PolicyTarget => ({ kind: 'thing-group', id });
const tenantTarget = (id: string): PolicyTarget => ({ kind: 'tenant', id });

/** Registers the registry cases inside runIdentityStoreContract's `describe`. */
export function runRegistryCases(withStore: WithStore): void {
  it('finds CAs by exact subject across every tenant', () =>
    withStore(async (store) => {
      const ours = ca('tenant-a', 'root');
      const theirs = ca('tenant-b', 'root', { status: 'INACTIVE' });
      await store.putCa(ours);
      await store.putCa(theirs);
      await store.putCa(ca('tenant-a', 'other'));
      const found = await store.findCasBySubject('CN=root CA,O=Ünïcode Org');
      assert.deepEqual([...found].sort((a, b) => (a.tenant < b.tenant ? -1 : 1)), [ours, theirs]);
      // Exact text: no case folding, no prefix match.
      assert.deepEqual(await store.findCasBySubject('CN=ROOT CA,O=Ünïcode Org'), []);
      assert.deepEqual(await store.findCasBySubject('CN=root CA'), []);
    }));

  it('attaches a certificate to a thing, detaches it, and deletes it', () =>
    withStore(async (store) => {
      const { thing: _thing, ...bare } = certificate('tenant-a', 1);
      await store.putCertificate(bare);
      assert.equal(await store.setCertificateThing(fingerprint('none'), 'agent-1', T0 + 1), undefined);

      const attached = await store.setCertificateThing(bare.id, 'agent-9', T0 + 5);
      assert.deepEqual(attached, { ...bare, thing: 'agent-9', updatedAt: T0 + 5 });
      assert.deepEqual(await store.getCertificate(bare.id), attached);
      // Detached, the field is absent rather than undefined.
      const detached = await store.setCertificateThing(bare.id, undefined, T0 + 6);
      assert.deepEqual(detached, { ...bare, updatedAt: T0 + 6 });
      assert.deepEqual(await store.getCertificate(bare.id), detached);

      assert.equal(await store.deleteCertificate(bare.id), true);
      assert.equal(await store.deleteCertificate(bare.id), false);
      assert.equal(await store.getCertificate(bare.id), undefined);
      assert.deepEqual(await store.listCertificates('tenant-a', { limit: 10 }), { items: [] });
      // The id is free again.
      await store.putCertificate(bare);
      assert.deepEqual(await store.getCertificate(bare.id), bare);
    }));

  it('saves, replaces, copies and deletes things per tenant', () =>
    withStore(async (store) => {
      const sensor = thing('tenant-a', 'sensor-1');
      const { thingType: _type, ...untyped } = thing('tenant-a', 'plain', { attributes: {}, groups: [] });
      await store.putThing(sensor);
      await store.putThing(untyped);
      assert.deepEqual(await store.getThing('tenant-a', 'sensor-1'), sensor);
      assert.deepEqual(await store.getThing('tenant-a', 'plain'), untyped);

      const got = await store.getThing('tenant-a', 'sensor-1');
      (got!.attributes as Record<string, string>)['site'] = 'tampered';
      (got!.groups as string[]).push('tampered');
      assert.deepEqual(await store.getThing('tenant-a', 'sensor-1'), sensor);

      const replaced = { ...sensor, attributes: { site: 'Bern' }, groups: ['lab'], version: 2, updatedAt: T0 + 9 };
      const { thingType: _dropped, ...replacedUntyped } = replaced;
      await store.putThing(replacedUntyped);
      assert.deepEqual(await store.getThing('tenant-a', 'sensor-1'), replacedUntyped);

      assert.equal(await store.getThing('tenant-b', 'sensor-1'), undefined);
      assert.equal(await store.deleteThing('tenant-b', 'sensor-1'), false);
      assert.equal(await store.deleteThing('tenant-a', 'sensor-1'), true);
      assert.equal(await store.deleteThing('tenant-a', 'sensor-1'), false);
      assert.equal(await store.getThing('tenant-a', 'sensor-1'), undefined);
      assert.deepEqual((await store.listThings('tenant-a', { limit: 10 })).items, [untyped]);
    }));

  it('pages a tenant\'s things by name, bytewise, and nothing of other tenants', () =>
    withStore(async (store) => {
      // Upper case, digits and `:_-` sort differently under a locale collation than bytewise.
      const names = Array.from({ length: 23 }, (_, index) => ['Agent', 'agent', 'b:', '0_', 'Z-', 'a_b'][index % 6]! + String(index));
      for (const name of [...names].reverse()) await store.putThing(thing('tenant-a', name));
      for (let index = 0; index < 5; index++) await store.putThing(thing('tenant-b', `other-${index}`));
      const sorted = [...names].sort();

      const seen: string[] = [];
      const pageSizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listThings('tenant-a', { limit: 10, ...(cursor === undefined ? {} : { cursor }) });
        pageSizes.push(page.items.length);
        seen.push(...page.items.map((each) => each.name));
        cursor = page.nextCursor;
        if (cursor !== undefined) assert.equal(cursor, page.items.at(-1)?.name);
      } while (cursor !== undefined);
      assert.deepEqual(pageSizes, [10, 10, 3]);
      assert.deepEqual(seen, sorted);

      const exact = await store.listThings('tenant-a', { limit: 23 });
      assert.equal(exact.nextCursor, undefined);
      assert.deepEqual(exact.items, sorted.map((name) => thing('tenant-a', name)));
      assert.deepEqual((await store.listThings('tenant-b', { limit: 1000 })).items.map((each) => each.name), ['other-0', 'other-1', 'other-2', 'other-3', 'other-4']);
      assert.deepEqual(await store.listThings('tenant-c', { limit: 5 }), { items: [] });

      await assert.rejects(store.listThings('tenant-a', { limit: 0 }), RangeError);
      await assert.rejects(store.listThings('tenant-a', { limit: 1001 }), RangeError);
      await assert.rejects(store.listThings('tenant-a', { limit: 2.5 }), RangeError);
    }));

  it('detaches a deleted thing\'s certificates, and only that tenant\'s', () =>
    withStore(async (store) => {
      await store.putThing(thing('tenant-a', 'agent-1'));
      await store.putThing(thing('tenant-b', 'agent-1'));
      const first = certificate('tenant-a', 1, { thing: 'agent-1' });
      const second = certificate('tenant-a', 2, { thing: 'agent-1', status: 'INACTIVE' });
      const elsewhere = certificate('tenant-a', 3, { thing: 'agent-3' });
      const theirs = certificate('tenant-b', 4, { thing: 'agent-1' });
      for (const record of [first, second, elsewhere, theirs]) await store.putCertificate(record);

      assert.equal(await store.deleteThing('tenant-a', 'agent-1'), true);
      const { thing: _a, ...firstDetached } = first;
      const { thing: _b, ...secondDetached } = second;
      assert.deepEqual(await store.getCertificate(first.id), firstDetached);
      assert.deepEqual(await store.getCertificate(second.id), secondDetached);
      assert.deepEqual(await store.getCertificate(elsewhere.id), elsewhere);
      assert.deepEqual(await store.getCertificate(theirs.id), theirs);
      assert.deepEqual(await store.listCertificates('tenant-a', { thing: 'agent-1', limit: 10 }), { items: [] });

      // No such thing: nothing is deleted, and nothing detached.
      assert.equal(await store.deleteThing('tenant-a', 'agent-3'), false);
      assert.deepEqual(await store.getCertificate(elsewhere.id), elsewhere);
    }));

  it('saves, replaces, lists and deletes policies per tenant, keeping the document text as given', () =>
    withStore(async (store) => {
      const write = policy('tenant-a', 'write');
      const read = policy('tenant-a', 'Read', { document: '{ "Version":"2012-10-17",\n  "Statement": [] }' });
      await store.putPolicy(write);
      await store.putPolicy(read);
      assert.deepEqual(await store.getPolicy('tenant-a', 'Read'), read);
      assert.deepEqual((await store.listPolicies('tenant-a')).map((each) => each.name), ['Read', 'write']);

      const replaced = { ...write, document: '{"Statement":[]}', version: 2, updatedAt: T0 + 3 };
      await store.putPolicy(replaced);
      assert.deepEqual(await store.getPolicy('tenant-a', 'write'), replaced);
      assert.deepEqual(await store.listPolicies('tenant-a'), [read, replaced]);

      assert.equal(await store.getPolicy('tenant-b', 'write'), undefined);
      assert.deepEqual(await store.listPolicies('tenant-b'), []);
      assert.equal(await store.deletePolicy('tenant-b', 'write'), false);
      assert.equal(await store.deletePolicy('tenant-a', 'write'), true);
      assert.equal(await store.deletePolicy('tenant-a', 'write'), false);
      assert.deepEqual(await store.listPolicies('tenant-a'), [read]);
    }));

  it('attaches policies idempotently, lists both directions in order, and detaches', () =>
    withStore(async (store) => {
      const cert = fingerprint('cert-1');
      await store.putPolicy(policy('tenant-a', 'pub'));
      await store.putPolicy(policy('tenant-a', 'Admin'));
      await store.putPolicy(policy('tenant-b', 'pub'));
      for (const target of [groupTarget('lab'), certificateTarget(cert), tenantTarget('tenant-a'), groupTarget('floor-1'), certificateTarget(cert)]) {
        await store.attachPolicy('tenant-a', 'pub', target);
      }
      await store.attachPolicy('tenant-a', 'Admin', certificateTarget(cert));
      await store.attachPolicy('tenant-b', 'pub', certificateTarget(cert));

      assert.deepEqual(await store.listPolicyTargets('tenant-a', 'pub'), [
        certificateTarget(cert),
        tenantTarget('tenant-a'),
        groupTarget('floor-1'),
        groupTarget('lab'),
      ]);
      assert.deepEqual(await store.listAttachedPolicies('tenant-a', certificateTarget(cert)), ['Admin', 'pub']);
      assert.deepEqual(await store.listAttachedPolicies('tenant-b', certificateTarget(cert)), ['pub']);
      assert.deepEqual(await store.listAttachedPolicies('tenant-a', groupTarget(cert)), []);
      assert.deepEqual(await store.listPolicyTargets('tenant-a', 'missing'), []);

      await assert.rejects(store.attachPolicy('tenant-a', 'missing', certificateTarget(cert)), {
        name: 'GatehouseError',
        code: 'NOT_FOUND',
        status: 404,
        message: 'Policy "missing" was not found',
      });
      // Tenant B's policy is not tenant A's.
      await store.putPolicy(policy('tenant-b', 'theirs'));
      await assert.rejects(store.attachPolicy('tenant-a', 'theirs', certificateTarget(cert)), { code: 'NOT_FOUND' });
      assert.deepEqual(await store.listAttachedPolicies('tenant-a', certificateTarget(cert)), ['Admin', 'pub']);

      assert.equal(await store.detachPolicy('tenant-a', 'pub', groupTarget('lab')), true);
      assert.equal(await store.detachPolicy('tenant-a', 'pub', groupTarget('lab')), false);
      assert.equal(await store.detachPolicy('tenant-a', 'missing', groupTarget('lab')), false);
      assert.equal(await store.detachPolicy('tenant-a', 'pub', certificateTarget(cert)), true);
      assert.deepEqual(await store.listPolicyTargets('tenant-a', 'pub'), [tenantTarget('tenant-a'), groupTarget('floor-1')]);
      assert.deepEqual(await store.listAttachedPolicies('tenant-a', certificateTarget(cert)), ['Admin']);
      assert.deepEqual(await store.listAttachedPolicies('tenant-b', certificateTarget(cert)), ['pub']);
    }));

  it('removes a deleted policy\'s attachments, which do not come back with a new policy of that name', () =>
    withStore(async (store) => {
      const cert = fingerprint('cert-1');
      await store.putPolicy(policy('tenant-a', 'pub'));
      await store.putPolicy(policy('tenant-a', 'sub'));
      await store.attachPolicy('tenant-a', 'pub', certificateTarget(cert));
      await store.attachPolicy('tenant-a', 'pub', groupTarget('lab'));
      await store.attachPolicy('tenant-a', 'sub', certificateTarget(cert));

      assert.equal(await store.deletePolicy('tenant-a', 'pub'), true);
      assert.deepEqual(await store.listPolicyTargets('tenant-a', 'pub'), []);
      assert.deepEqual(await store.listAttachedPolicies('tenant-a', certificateTarget(cert)), ['sub']);
      assert.deepEqual(await store.listAttachedPolicies('tenant-a', groupTarget('lab')), []);
      await assert.rejects(store.attachPolicy('tenant-a', 'pub', certificateTarget(cert)), { code: 'NOT_FOUND' });

      await store.putPolicy(policy('tenant-a', 'pub', { version: 2 }));
      assert.deepEqual(await store.listPolicyTargets('tenant-a', 'pub'), []);
      assert.deepEqual(await store.listPolicyTargets('tenant-a', 'sub'), [certificateTarget(cert)]);
    }));

  it('saves, replaces, lists and deletes role aliases per tenant', () =>
    withStore(async (store) => {
      const camera = roleAlias('tenant-a', 'camera');
      const uploader = roleAlias('tenant-a', 'Uploader', { credentialDurationSeconds: 900 });
      await store.putRoleAlias(camera);
      await store.putRoleAlias(uploader);
      assert.deepEqual(await store.getRoleAlias('tenant-a', 'camera'), camera);
      assert.deepEqual(await store.listRoleAliases('tenant-a'), [uploader, camera]);

      const replaced = { ...camera, roleArn: 'arn:aws:iam::123456789012:role/other', credentialDurationSeconds: 43_200, updatedAt: T0 + 1 };
      await store.putRoleAlias(replaced);
      assert.deepEqual(await store.getRoleAlias('tenant-a', 'camera'), replaced);

      assert.equal(await store.getRoleAlias('tenant-b', 'camera'), undefined);
      assert.deepEqual(await store.listRoleAliases('tenant-b'), []);
      assert.equal(await store.deleteRoleAlias('tenant-b', 'camera'), false);
      assert.equal(await store.deleteRoleAlias('tenant-a', 'camera'), true);
      assert.equal(await store.deleteRoleAlias('tenant-a', 'camera'), false);
      assert.deepEqual(await store.listRoleAliases('tenant-a'), [uploader]);
    }));

  it('commits a thing, its certificate, a policy and its attachment together', () =>
    withStore(async (store) => {
      const record = certificate('tenant-a', 1, { status: 'PENDING_ACTIVATION' });
      await store.transaction(async (tx) => {
        await tx.putThing(thing('tenant-a', 'agent-1'));
        await tx.putCertificate(record);
        await tx.putPolicy(policy('tenant-a', 'pub'));
        // A NOT_FOUND inside a transaction can be caught and the transaction carried on.
        await assert.rejects(tx.attachPolicy('tenant-a', 'missing', certificateTarget(record.id)), { code: 'NOT_FOUND' });
        await tx.attachPolicy('tenant-a', 'pub', certificateTarget(record.id));
        await tx.attachPolicy('tenant-a', 'pub', certificateTarget(record.id));
        await tx.putRoleAlias(roleAlias('tenant-a', 'camera'));
        assert.deepEqual(await tx.listAttachedPolicies('tenant-a', certificateTarget(record.id)), ['pub']);
        await tx.setCertificateStatus(record.id, 'ACTIVE', T0 + 1);
      });
      assert.deepEqual(await store.getThing('tenant-a', 'agent-1'), thing('tenant-a', 'agent-1'));
      assert.equal((await store.getCertificate(record.id))?.status, 'ACTIVE');
      assert.deepEqual(await store.listPolicyTargets('tenant-a', 'pub'), [certificateTarget(record.id)]);
      assert.deepEqual(await store.getRoleAlias('tenant-a', 'camera'), roleAlias('tenant-a', 'camera'));
    }));

  it('rolls back a failed transaction\'s things, policies, attachments, certificates and role aliases', () =>
    withStore(async (store, harness) => {
      const other = await harness.reopen();
      const kept = certificate('tenant-a', 1, { thing: 'agent-1' });
      await store.putThing(thing('tenant-a', 'agent-1'));
      await store.putCertificate(kept);
      await store.putPolicy(policy('tenant-a', 'old'));
      await store.attachPolicy('tenant-a', 'old', certificateTarget(kept.id));
      await store.putRoleAlias(roleAlias('tenant-a', 'camera'));
      const fresh = certificate('tenant-a', 2, { status: 'PENDING_ACTIVATION' });
      const failure = new Error('template resource failed');
      let reading: Promise<unknown> | undefined;

      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.putThing(thing('tenant-a', 'agent-2'));
          await tx.putCertificate(fresh);
          await tx.setCertificateThing(fresh.id, 'agent-2', T0 + 1);
          await tx.putPolicy(policy('tenant-a', 'new'));
          await tx.attachPolicy('tenant-a', 'new', certificateTarget(fresh.id));
          await tx.attachPolicy('tenant-a', 'old', groupTarget('lab'));
          await tx.deleteThing('tenant-a', 'agent-1');
          await tx.deletePolicy('tenant-a', 'old');
          await tx.deleteRoleAlias('tenant-a', 'camera');
          await tx.putRoleAlias(roleAlias('tenant-a', 'uploader'));
          reading = Promise.all([store.getThing('tenant-a', 'agent-2'), other.getThing('tenant-a', 'agent-2'), other.getPolicy('tenant-a', 'new')]);
          assert.equal((await tx.getCertificate(fresh.id))?.thing, 'agent-2');
          assert.equal((await tx.getCertificate(kept.id))?.thing, undefined);
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.deepEqual(await reading, [undefined, undefined, undefined]);
      assert.deepEqual((await store.listThings('tenant-a', { limit: 10 })).items.map((each) => each.name), ['agent-1']);
      assert.equal(await store.getCertificate(fresh.id), undefined);
      assert.deepEqual(await store.getCertificate(kept.id), kept);
      assert.deepEqual((await other.listPolicies('tenant-a')).map((each) => each.name), ['old']);
      assert.deepEqual(await store.listPolicyTargets('tenant-a', 'old'), [certificateTarget(kept.id)]);
      assert.deepEqual(await store.listAttachedPolicies('tenant-a', certificateTarget(fresh.id)), []);
      assert.deepEqual((await store.listRoleAliases('tenant-a')).map((each) => each.alias), ['camera']);
    }));

  it('keeps things, policies, attachments and role aliases across reopening', () =>
    withStore(async (store, harness) => {
      const root = ca('tenant-a', 'root');
      const sensor = thing('tenant-a', 'sensor-1');
      const { thingType: _type, ...plain } = thing('tenant-a', 'plain', { attributes: {}, groups: [] });
      const record = certificate('tenant-a', 1);
      const pub = policy('tenant-a', 'pub');
      const camera = roleAlias('tenant-a', 'camera');
      await store.putCa(root);
      await store.putThing(sensor);
      await store.putThing(plain);
      await store.putCertificate(record);
      const moved = await store.setCertificateThing(record.id, 'sensor-1', T0 + 2);
      await store.putPolicy(pub);
      await store.attachPolicy('tenant-a', 'pub', certificateTarget(record.id));
      await store.attachPolicy('tenant-a', 'pub', groupTarget('lab'));
      await store.putRoleAlias(camera);
      await store.close();

      const reopened = await harness.reopen();
      assert.deepEqual(await reopened.findCasBySubject(root.subject), [root]);
      assert.deepEqual((await reopened.listThings('tenant-a', { limit: 10 })).items, [plain, sensor]);
      assert.deepEqual(await reopened.getCertificate(record.id), moved);
      assert.deepEqual(await reopened.listPolicies('tenant-a'), [pub]);
      assert.deepEqual(await reopened.listPolicyTargets('tenant-a', 'pub'), [certificateTarget(record.id), groupTarget('lab')]);
      assert.deepEqual(await reopened.listAttachedPolicies('tenant-a', groupTarget('lab')), ['pub']);
      assert.deepEqual(await reopened.listRoleAliases('tenant-a'), [camera]);
    }));
}
