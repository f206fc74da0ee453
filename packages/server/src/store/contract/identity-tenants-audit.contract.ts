/**
 * The tenant and audit log half of the identity contract: tenant records (create, replace, paging,
 * deletion refused while devices remain) and the audit log (newest first, filters, paging, JSON details).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { NewAuditEntry } from '../audit-ports.js';
import type { IdentityStoreBackend } from '../identity-ports.js';
import type { TenantRecord } from '../tenant-ports.js';
import type { IdentityStoreHarness } from './identity-store.contract.js';
import { certificate, T0, thing } from './identity-fixtures.js';

type WithStore = (test: (store: IdentityStoreBackend, harness: IdentityStoreHarness) => Promise<void>) => Promise<void>;

const tenant = (id: string, extra: Partial<TenantRecord> = {}): TenantRecord => ({ id, name: `${id} Ünïcode AG`, status: 'ACTIVE', createdAt: T0, updatedAt: T0, ...extra });

function audit(n: number, extra: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return { at: T0 + n, actor: 'admin-api', sourceIp: '10.0.0.7', action: 'policy.create', tenant: 'tenant-a', target: `policy/p${n}`, details: { versionId: n }, ...extra };
}

/** Registers the tenant and audit cases inside runIdentityStoreContract's `describe`. */
export function runTenantAuditCases(withStore: WithStore): void {
  it('creates tenants (a taken id is a CONFLICT), replaces them and pages them by id', () =>
    withStore(async (store, harness) => {
      const { name: _name, ...unnamed } = tenant('b-corp');
      await store.createTenant(tenant('acme'));
      await store.createTenant(unnamed);
      await store.createTenant(tenant('Zeta'));
      assert.deepEqual(await store.getTenant('acme'), tenant('acme'));
      assert.deepEqual(await store.getTenant('b-corp'), unnamed, 'an absent name stays absent');
      assert.equal(await store.getTenant('nobody'), undefined);
      await assert.rejects(store.createTenant(tenant('acme', { name: 'Other' })), { code: 'CONFLICT', message: 'Cannot create tenant "acme": it already exists' });
      assert.equal((await store.getTenant('acme'))?.name, 'acme Ünïcode AG');

      const suspended = tenant('acme', { status: 'SUSPENDED', name: 'ACME', updatedAt: T0 + 5 });
      await store.putTenant(suspended);
      assert.deepEqual(await store.getTenant('acme'), suspended);

      // Bytewise: upper case sorts before lower case.
      const first = await store.listTenants({ limit: 2 });
      assert.deepEqual(first.items.map((each) => each.id), ['Zeta', 'acme']);
      assert.equal(first.nextCursor, 'acme');
      const second = await store.listTenants({ limit: 2, cursor: 'acme' });
      assert.deepEqual(second, { items: [unnamed] });
      await assert.rejects(store.listTenants({ limit: 0 }), RangeError);

      const reopened = await harness.reopen();
      assert.deepEqual(await reopened.getTenant('acme'), suspended);
    }));

  it('refuses to delete a tenant that still has certificates or things, naming what is left', () =>
    withStore(async (store) => {
      await store.createTenant(tenant('acme'));
      const device = certificate('acme', 1);
      await store.putCertificate(device);
      await store.putCertificate(certificate('acme', 2));
      await store.putThing(thing('acme', 'agent-1'));
      // Another tenant's devices do not count.
      await store.createTenant(tenant('empty'));
      await store.putThing(thing('other', 'agent-1'));

      await assert.rejects(store.deleteTenant('acme'), { code: 'CONFLICT', message: 'Cannot delete tenant "acme": it still has 2 certificates and 1 thing; delete them first' });
      assert.ok(await store.getTenant('acme'), 'still there after the refusal');
      await store.deleteCertificate(device.id);
      await store.deleteCertificate(certificate('acme', 2).id);
      await assert.rejects(store.deleteTenant('acme'), { message: 'Cannot delete tenant "acme": it still has 1 thing; delete them first' });
      await store.deleteThing('acme', 'agent-1');
      assert.equal(await store.deleteTenant('acme'), true);
      assert.equal(await store.deleteTenant('acme'), false);
      assert.equal(await store.getTenant('acme'), undefined);
      assert.equal(await store.deleteTenant('empty'), true);
    }));

  it('appends audit entries and lists them newest first, by tenant, since a time, a page at a time', () =>
    withStore(async (store, harness) => {
      const details = { document: { Statement: [{ Effect: 'Allow', Resource: 'topic/Zürich 🏭' }] }, setAsDefault: true, previous: null, versionIds: [1, 2] };
      const first = await store.appendAudit(audit(1, { details }));
      assert.deepEqual(first, { id: first.id, ...audit(1, { details }) });
      const { sourceIp: _ip, tenant: _tenant, ...bare } = audit(2, { action: 'tenant.create', target: 'tenant/acme' });
      const second = await store.appendAudit(bare);
      assert.ok(second.id > first.id);
      await store.appendAudit(audit(3, { tenant: 'tenant-b' }));
      await store.appendAudit(audit(4));

      const all = await store.listAudit({ limit: 10 });
      assert.deepEqual(all.items.map((entry) => entry.at), [T0 + 4, T0 + 3, T0 + 2, T0 + 1]);
      assert.equal(all.nextCursor, undefined);
      assert.deepEqual(all.items[2], second, 'absent sourceIp and tenant stay absent');
      assert.deepEqual(all.items[3], first, 'details come back as given');

      assert.deepEqual((await store.listAudit({ tenant: 'tenant-a', limit: 10 })).items.map((entry) => entry.at), [T0 + 4, T0 + 1]);
      assert.deepEqual((await store.listAudit({ since: T0 + 2, limit: 10 })).items.map((entry) => entry.at), [T0 + 4, T0 + 3, T0 + 2]);

      const page = await store.listAudit({ limit: 3 });
      assert.equal(page.items.length, 3);
      assert.ok(page.nextCursor !== undefined);
      const rest = await store.listAudit({ limit: 3, cursor: page.nextCursor });
      assert.deepEqual(rest, { items: [first] });
      await assert.rejects(store.listAudit({ limit: 3, cursor: 'nope' }), RangeError);
      await assert.rejects(store.listAudit({ limit: 1001 }), RangeError);

      const reopened = await harness.reopen();
      assert.deepEqual((await reopened.listAudit({ limit: 10 })).items, all.items);
    }));
}
