/**
 * The one suite every IdentityStore backend passes (memory, SQLite, PostgreSQL): every verb, tenant
 * isolation, paging, status transitions, single-use tokens under concurrency, transactions and reopening.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CertificateRecord, IdentityStoreBackend } from '../identity-ports.js';
import { ca, certificate, fingerprint, T0, template } from './identity-fixtures.js';
import { runCertificateChangeCases } from './identity-certificate-changes.contract.js';
import { runPolicyVersionCases } from './identity-policy-versions.contract.js';
import { runRegistryChangeCases } from './identity-registry-changes.contract.js';
import { runRegistryCases } from './identity-registry.contract.js';
import { runRegistryTypeCases } from './identity-registry-types.contract.js';
import { runTenantAuditCases } from './identity-tenants-audit.contract.js';
import { runThingGroupCases } from './identity-thing-groups.contract.js';

export interface IdentityStoreHarness {
  /** An opened, empty store. */
  readonly store: IdentityStoreBackend;
  /** A second, opened store on the same data (same file, schema or tables), for persistence and races. */
  reopen(): Promise<IdentityStoreBackend>;
  /** Closes whatever the harness opened and removes its data. */
  cleanup(): Promise<void>;
}

/**
 * Registers the identity contract suite for one backend.
 *
 * @example
 * runIdentityStoreContract('memory', async () => {
 *   const store = new MemoryIdentityStore();
 *   return { store, reopen: async () => new MemoryIdentityStore({ tables: store.tables }), cleanup: () => store.close() };
 * });
 */
export function runIdentityStoreContract(name: string, makeStore: () => Promise<IdentityStoreHarness>): void {
  describe(`IdentityStore contract: ${name}`, () => {
    async function withStore(test: (store: IdentityStoreBackend, harness: IdentityStoreHarness) => Promise<void>): Promise<void> {
      const harness = await makeStore();
      try {
        await test(harness.store, harness);
      } finally {
        await harness.cleanup();
      }
    }

    it('registers CAs per tenant, replaces on a second put and changes their status', () =>
      withStore(async (store) => {
        const b = ca('tenant-a', 'b', { kind: 'gatehouse', autoRegistration: true, provisioningTemplate: 'jitp' });
        const a = ca('tenant-a', 'a');
        await store.putCa(b);
        await store.putCa(a);
        assert.deepEqual(await store.getCa('tenant-a', b.id), b);
        // An absent optional field stays absent (no `provisioningTemplate: undefined`).
        assert.deepEqual(await store.getCa('tenant-a', a.id), a);
        assert.deepEqual(
          (await store.listCas('tenant-a')).map((each) => each.id),
          [a.id, b.id].sort(),
        );

        const replaced = { ...a, autoRegistration: true, provisioningTemplate: 'fleet', status: 'INACTIVE' as const };
        await store.putCa(replaced);
        assert.deepEqual(await store.getCa('tenant-a', a.id), replaced);
        assert.equal((await store.listCas('tenant-a')).length, 2);

        const activated = await store.setCaStatus('tenant-a', a.id, 'ACTIVE');
        assert.deepEqual(activated, { ...replaced, status: 'ACTIVE' });
        assert.deepEqual(await store.getCa('tenant-a', a.id), activated);
        await assert.rejects(store.setCaStatus('tenant-a', fingerprint('nope'), 'INACTIVE'), {
          name: 'GatehouseError',
          code: 'NOT_FOUND',
          message: `CA certificate "${fingerprint('nope')}" was not found`,
        });
      }));

    it('keeps one tenant\'s CAs invisible to another, even for the same CA certificate', () =>
      withStore(async (store) => {
        const shared = ca('tenant-a', 'shared');
        await store.putCa(shared);
        assert.equal(await store.getCa('tenant-b', shared.id), undefined);
        assert.deepEqual(await store.listCas('tenant-b'), []);
        await assert.rejects(store.setCaStatus('tenant-b', shared.id, 'INACTIVE'), { code: 'NOT_FOUND' });

        // The same CA registered by tenant B is a separate record.
        await store.putCa({ ...shared, tenant: 'tenant-b', status: 'INACTIVE' });
        assert.equal((await store.getCa('tenant-a', shared.id))?.status, 'ACTIVE');
        assert.equal((await store.getCa('tenant-b', shared.id))?.status, 'INACTIVE');
        await store.setCaStatus('tenant-a', shared.id, 'INACTIVE');
        await store.setCaStatus('tenant-b', shared.id, 'ACTIVE');
        assert.equal((await store.getCa('tenant-a', shared.id))?.status, 'INACTIVE');
        assert.equal((await store.getCa('tenant-b', shared.id))?.status, 'ACTIVE');
      }));

    it('registers certificates once: a duplicate id is a CONFLICT, whichever tenant tries', () =>
      withStore(async (store) => {
        const full = certificate('tenant-a', 1, { issuedBy: 'jitp', status: 'PENDING_ACTIVATION' });
        const { thing: _thing, ...bare } = certificate('tenant-a', 2, { issuedBy: 'register' });
        await store.putCertificate(full);
        await store.putCertificate(bare);
        assert.deepEqual(await store.getCertificate(full.id), full);
        assert.deepEqual(await store.getCertificate(bare.id), bare);
        assert.equal(await store.getCertificate(fingerprint('unknown')), undefined);

        const expected = { name: 'GatehouseError', code: 'CONFLICT', status: 409, message: `Cannot register certificate "${full.id}": it is already registered` };
        await assert.rejects(store.putCertificate({ ...full, status: 'ACTIVE' }), expected);
        await assert.rejects(store.putCertificate({ ...full, tenant: 'tenant-b' }), expected);
        assert.deepEqual(await store.getCertificate(full.id), full);
      }));

    it('moves certificate status and keeps revocation final', () =>
      withStore(async (store) => {
        const record = certificate('tenant-a', 1, { status: 'PENDING_ACTIVATION' });
        await store.putCertificate(record);
        assert.equal(await store.setCertificateStatus(fingerprint('none'), 'ACTIVE', T0 + 1), undefined);

        const active = await store.setCertificateStatus(record.id, 'ACTIVE', T0 + 10);
        assert.deepEqual(active, { ...record, status: 'ACTIVE', updatedAt: T0 + 10 });
        const inactive = await store.setCertificateStatus(record.id, 'INACTIVE', T0 + 20);
        assert.deepEqual(inactive, { ...record, status: 'INACTIVE', updatedAt: T0 + 20 });
        assert.deepEqual(await store.getCertificate(record.id), inactive);

        const revoked = await store.setCertificateStatus(record.id, 'REVOKED', T0 + 30);
        assert.deepEqual(revoked, { ...record, status: 'REVOKED', updatedAt: T0 + 30, revokedAt: T0 + 30 });
        // Revoking again changes nothing, not even the time.
        assert.deepEqual(await store.setCertificateStatus(record.id, 'REVOKED', T0 + 40), revoked);
        await assert.rejects(store.setCertificateStatus(record.id, 'ACTIVE', T0 + 50), {
          code: 'CONFLICT',
          message: `Cannot set certificate "${record.id}" to ACTIVE: it is revoked, and revocation is final`,
        });
        assert.deepEqual(await store.getCertificate(record.id), revoked);
      }));

    it('pages a tenant\'s certificates by id, with filters, and nothing of other tenants', () =>
      withStore(async (store) => {
        const ours: CertificateRecord[] = [];
        for (let index = 0; index < 23; index++) {
          const record = certificate('tenant-a', index, {
            thing: index % 2 === 0 ? 'even' : 'odd',
            status: index % 3 === 0 ? 'INACTIVE' : 'ACTIVE',
            caId: index < 5 ? fingerprint('ca-other') : fingerprint('ca-root'),
          });
          ours.push(record);
          await store.putCertificate(record);
        }
        for (let index = 100; index < 105; index++) await store.putCertificate(certificate('tenant-b', index, { thing: 'even' }));
        const sortedIds = ours.map((record) => record.id).sort();

        const seen: string[] = [];
        const pageSizes: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listCertificates('tenant-a', { limit: 10, ...(cursor === undefined ? {} : { cursor }) });
          pageSizes.push(page.items.length);
          seen.push(...page.items.map((record) => record.id));
          cursor = page.nextCursor;
          if (cursor !== undefined) assert.equal(cursor, page.items.at(-1)?.id);
        } while (cursor !== undefined);
        assert.deepEqual(pageSizes, [10, 10, 3]);
        assert.deepEqual(seen, sortedIds);

        // A page that ends exactly at the last record says nothing follows.
        const exact = await store.listCertificates('tenant-a', { limit: 23 });
        assert.equal(exact.items.length, 23);
        assert.equal(exact.nextCursor, undefined);
        assert.deepEqual(exact.items, [...ours].sort((a, b) => (a.id < b.id ? -1 : 1)));

        const even = await store.listCertificates('tenant-a', { thing: 'even', limit: 100 });
        assert.deepEqual(even.items.map((record) => record.id), ours.filter((_, index) => index % 2 === 0).map((record) => record.id).sort());
        const inactive = await store.listCertificates('tenant-a', { status: 'INACTIVE', limit: 100 });
        assert.equal(inactive.items.length, 8);
        assert.ok(inactive.items.every((record) => record.status === 'INACTIVE'));
        const other = await store.listCertificates('tenant-a', { caId: fingerprint('ca-other'), thing: 'odd', limit: 100 });
        assert.deepEqual(other.items.map((record) => record.id), [ours[1]!.id, ours[3]!.id].sort());

        const theirs = await store.listCertificates('tenant-b', { limit: 100 });
        assert.equal(theirs.items.length, 5);
        assert.ok(theirs.items.every((record) => record.tenant === 'tenant-b'));
        assert.deepEqual(await store.listCertificates('tenant-c', { limit: 5 }), { items: [] });

        await assert.rejects(store.listCertificates('tenant-a', { limit: 0 }), RangeError);
        await assert.rejects(store.listCertificates('tenant-a', { limit: 1001 }), RangeError);
      }));

    it('lists one CA\'s revoked certificates of one tenant for its CRL, by serial number', () =>
      withStore(async (store) => {
        const root = fingerprint('ca-root');
        await store.putCertificate(certificate('tenant-a', 3, { serialNumber: '03' }));
        await store.putCertificate(certificate('tenant-a', 1, { serialNumber: '01' }));
        await store.putCertificate(certificate('tenant-a', 2, { serialNumber: '02' }));
        await store.putCertificate(certificate('tenant-a', 4, { serialNumber: '04', caId: fingerprint('ca-other') }));
        await store.putCertificate(certificate('tenant-b', 5, { serialNumber: '05' }));
        assert.deepEqual(await store.listRevoked('tenant-a', root), []);

        await store.setCertificateStatus(fingerprint('cert-3'), 'REVOKED', T0 + 3);
        await store.setCertificateStatus(fingerprint('cert-1'), 'REVOKED', T0 + 1);
        await store.setCertificateStatus(fingerprint('cert-2'), 'INACTIVE', T0 + 2);
        await store.setCertificateStatus(fingerprint('cert-4'), 'REVOKED', T0 + 4);
        await store.setCertificateStatus(fingerprint('cert-5'), 'REVOKED', T0 + 5);

        assert.deepEqual(await store.listRevoked('tenant-a', root), [
          { serialNumber: '01', revokedAt: T0 + 1 },
          { serialNumber: '03', revokedAt: T0 + 3 },
        ]);
        assert.deepEqual(await store.listRevoked('tenant-a', fingerprint('ca-other')), [{ serialNumber: '04', revokedAt: T0 + 4 }]);
        assert.deepEqual(await store.listRevoked('tenant-b', root), [{ serialNumber: '05', revokedAt: T0 + 5 }]);
      }));

    it('lets a registration token be used once, and never after it expires', () =>
      withStore(async (store) => {
        await store.recordToken({ jti: 'jti-1', tenant: 'tenant-a', thing: 'agent-1', expiresAt: T0 + 900_000, createdAt: T0 });
        await store.recordToken({ jti: 'jti-2', tenant: 'tenant-a', thing: 'agent-2', expiresAt: T0 + 900_000, createdAt: T0 });
        await assert.rejects(store.recordToken({ jti: 'jti-1', tenant: 'tenant-b', thing: 'x', expiresAt: T0 + 1, createdAt: T0 }), {
          code: 'CONFLICT',
          message: 'Cannot record registration token "jti-1": its id is already recorded',
        });

        assert.equal(await store.consumeToken('jti-unknown', T0), 'unknown');
        assert.equal(await store.consumeToken('jti-1', T0 + 1000), 'consumed');
        assert.equal(await store.consumeToken('jti-1', T0 + 2000), 'already-used');
        // Used stays used, whatever the time.
        assert.equal(await store.consumeToken('jti-1', T0 + 9_000_000), 'already-used');

        // Expiry is exclusive: at expiresAt the token is dead, and trying does not use it up.
        assert.equal(await store.consumeToken('jti-2', T0 + 900_000), 'expired');
        assert.equal(await store.consumeToken('jti-2', T0 + 900_001), 'expired');
        assert.equal(await store.consumeToken('jti-2', T0 + 899_999), 'consumed');
      }));

    it('gives `consumed` to exactly one of many concurrent consumers, across two stores', () =>
      withStore(async (store, harness) => {
        const second = await harness.reopen();
        const tokens = Array.from({ length: 12 }, (_, index) => `race-${index}`);
        for (const jti of tokens) await store.recordToken({ jti, tenant: 'tenant-a', thing: jti, expiresAt: T0 + 60_000, createdAt: T0 });

        // Every consumer is fired before any is awaited; on PostgreSQL they run on separate connections.
        const outcomes = await Promise.all(
          tokens.flatMap((jti) => [store, second, store, second].map((each, index) => each.consumeToken(jti, T0 + index).then((outcome) => ({ jti, outcome })))),
        );
        for (const jti of tokens) {
          const mine = outcomes.filter((entry) => entry.jti === jti).map((entry) => entry.outcome).sort();
          assert.deepEqual(mine, ['already-used', 'already-used', 'already-used', 'consumed'], `token ${jti}`);
        }
      }));

    it('saves, replaces, lists and deletes provisioning templates per tenant', () =>
      withStore(async (store) => {
        const fleet = template('tenant-a', 'fleet', { preProvisioningHook: { url: 'https://hooks.example/pre', payloadVersion: '2020-04-01' } });
        const jitp = template('tenant-a', 'jitp', { enabled: false });
        await store.putTemplate(jitp);
        await store.putTemplate(fleet);
        assert.deepEqual(await store.getTemplate('tenant-a', 'fleet'), fleet);
        assert.deepEqual(await store.getTemplate('tenant-a', 'jitp'), jitp);
        assert.deepEqual((await store.listTemplates('tenant-a')).map((each) => each.name), ['fleet', 'jitp']);

        // What a caller gets back is a copy: changing it changes nothing stored.
        const got = await store.getTemplate('tenant-a', 'fleet');
        (got!.body as Record<string, unknown>)['Resources'] = 'tampered';
        assert.deepEqual(await store.getTemplate('tenant-a', 'fleet'), fleet);

        const updated = { ...fleet, enabled: false, body: { Resources: {} }, updatedAt: T0 + 5 };
        const { preProvisioningHook: _hook, ...withoutHook } = updated;
        await store.putTemplate(withoutHook);
        assert.deepEqual(await store.getTemplate('tenant-a', 'fleet'), withoutHook);

        // Tenant B sees none of A's, and its own template of the same name is separate.
        assert.equal(await store.getTemplate('tenant-b', 'fleet'), undefined);
        assert.deepEqual(await store.listTemplates('tenant-b'), []);
        assert.equal(await store.deleteTemplate('tenant-b', 'fleet'), false);
        const theirs = template('tenant-b', 'fleet', { enabled: false });
        await store.putTemplate(theirs);
        assert.equal(await store.deleteTemplate('tenant-a', 'fleet'), true);
        assert.equal(await store.deleteTemplate('tenant-a', 'fleet'), false);
        assert.equal(await store.getTemplate('tenant-a', 'fleet'), undefined);
        assert.deepEqual(await store.getTemplate('tenant-b', 'fleet'), theirs);
        assert.deepEqual((await store.listTemplates('tenant-a')).map((each) => each.name), ['jitp']);
      }));

    it('commits a transaction\'s writes together and returns its result', () =>
      withStore(async (store) => {
        await store.recordToken({ jti: 'tx-token', tenant: 'tenant-a', thing: 'agent-1', expiresAt: T0 + 60_000, createdAt: T0 });
        const record = certificate('tenant-a', 1, { status: 'PENDING_ACTIVATION' });
        const result = await store.transaction(async (tx) => {
          assert.equal(await tx.consumeToken('tx-token', T0), 'consumed');
          await tx.putCertificate(record);
          // A CONFLICT inside a transaction can be caught and the transaction carried on.
          await assert.rejects(tx.putCertificate(record), { code: 'CONFLICT' });
          // Nested: runs inside the same transaction.
          await tx.transaction(async (inner) => inner.putTemplate(template('tenant-a', 'nested')));
          return tx.setCertificateStatus(record.id, 'ACTIVE', T0 + 1);
        });
        assert.equal(result?.status, 'ACTIVE');
        assert.deepEqual(await store.getCertificate(record.id), result);
        assert.equal((await store.getTemplate('tenant-a', 'nested'))?.name, 'nested');
        assert.equal(await store.consumeToken('tx-token', T0), 'already-used');
      }));

    it('rolls a failed transaction back completely, and nobody sees its writes meanwhile', () =>
      withStore(async (store, harness) => {
        const other = await harness.reopen();
        await store.recordToken({ jti: 'tx-token', tenant: 'tenant-a', thing: 'agent-1', expiresAt: T0 + 60_000, createdAt: T0 });
        await store.putCa(ca('tenant-a', 'root'));
        const record = certificate('tenant-a', 1);
        let reading: Promise<unknown> | undefined;
        const failure = new Error('template resource failed');
        await assert.rejects(
          store.transaction(async (tx) => {
            assert.equal(await tx.consumeToken('tx-token', T0), 'consumed');
            await tx.putCertificate(record);
            await tx.setCaStatus('tenant-a', fingerprint('ca-root'), 'INACTIVE');
            await tx.putTemplate(template('tenant-a', 'half-made'));
            // Started while the transaction is open: must see the state before it.
            reading = Promise.all([store.getCertificate(record.id), other.getCertificate(record.id)]);
            assert.deepEqual(await tx.getCertificate(record.id), record);
            throw failure;
          }),
          (error) => error === failure,
        );
        assert.deepEqual(await reading, [undefined, undefined]);
        assert.equal(await store.getCertificate(record.id), undefined);
        assert.equal(await other.getCertificate(record.id), undefined);
        assert.equal((await store.getCa('tenant-a', fingerprint('ca-root')))?.status, 'ACTIVE');
        assert.equal(await store.getTemplate('tenant-a', 'half-made'), undefined);
        assert.equal(await store.consumeToken('tx-token', T0), 'consumed');
      }));

    it('keeps everything across reopening', () =>
      withStore(async (store, harness) => {
        const root = ca('tenant-a', 'root', { kind: 'gatehouse', autoRegistration: true, provisioningTemplate: 'jitp' });
        const record = certificate('tenant-a', 1);
        const fleet = template('tenant-a', 'fleet', { preProvisioningHook: { url: 'https://hooks.example/pre' } });
        await store.putCa(root);
        await store.putCertificate(record);
        const revoked = await store.setCertificateStatus(record.id, 'REVOKED', T0 + 7);
        await store.putTemplate(fleet);
        await store.recordToken({ jti: 'used', tenant: 'tenant-a', thing: 'a', expiresAt: T0 + 60_000, createdAt: T0 });
        await store.recordToken({ jti: 'fresh', tenant: 'tenant-a', thing: 'b', expiresAt: T0 + 60_000, createdAt: T0 });
        assert.equal(await store.consumeToken('used', T0), 'consumed');
        await store.close();

        const reopened = await harness.reopen();
        assert.deepEqual(await reopened.listCas('tenant-a'), [root]);
        assert.deepEqual(await reopened.getCertificate(record.id), revoked);
        assert.deepEqual(await reopened.listRevoked('tenant-a', record.caId), [{ serialNumber: record.serialNumber, revokedAt: T0 + 7 }]);
        assert.deepEqual(await reopened.listTemplates('tenant-a'), [fleet]);
        assert.equal(await reopened.consumeToken('used', T0), 'already-used');
        assert.equal(await reopened.consumeToken('fresh', T0), 'consumed');
      }));

    it('refuses work once closed', () =>
      withStore(async (store) => {
        await store.close();
        await assert.rejects(store.getCertificate(fingerprint(1)), { name: 'GatehouseError', code: 'STORE_UNAVAILABLE' });
        await assert.rejects(store.consumeToken('x', T0), { code: 'STORE_UNAVAILABLE' });
        await assert.rejects(store.transaction(async () => undefined), { code: 'STORE_UNAVAILABLE' });
        await assert.rejects(store.listPolicies('tenant-a'), { code: 'STORE_UNAVAILABLE' });
      }));

    runRegistryCases(withStore);
    runCertificateChangeCases(withStore);
    runPolicyVersionCases(withStore);
    runTenantAuditCases(withStore);
    runThingGroupCases(withStore);
    runRegistryTypeCases(withStore);
    runRegistryChangeCases(withStore);
  });
}
