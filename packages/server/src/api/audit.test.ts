/**
 * `/v1/audit` against a real admin API on loopback: every admin change to policies, certificates,
 * CAs and tenants leaves one entry (actor, source address, action, target, details), newest first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { issueClientCertificate } from '../pki/index.js';
import { makeRootCa } from '../pki/test-fixtures.js';
import { startIdentityAdminApiHarness, type IdentityAdminApiHarness } from './admin-api-harness.js';

interface Entry {
  id: number;
  at: string;
  actor: string;
  sourceIp?: string;
  action: string;
  tenant?: string;
  target: string;
  details: Record<string, unknown>;
}

const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] };

describe('audit log API', () => {
  let harness: IdentityAdminApiHarness;
  const audit = async (query = ''): Promise<{ items: Entry[]; nextCursor?: string }> => {
    const answer = await harness.request(`/v1/audit${query}`);
    assert.equal(answer.status, 200);
    return (await answer.json()) as { items: Entry[]; nextCursor?: string };
  };
  /** The entries written after the first `count`, oldest first. */
  const since = async (count: number): Promise<Entry[]> => {
    const { items } = await audit('?limit=1000');
    return items.slice(0, items.length - count).reverse();
  };

  before(async () => {
    harness = await startIdentityAdminApiHarness();
  });
  after(() => harness.close());

  test('tenant and policy changes are recorded with the admin actor and the source address; reads are not', async () => {
    assert.equal((await harness.send('POST', '/v1/tenants', { id: 'acme', name: 'ACME' })).status, 201);
    assert.equal((await harness.send('PATCH', '/v1/tenants/acme', { status: 'SUSPENDED' })).status, 200);
    assert.equal((await harness.send('PUT', '/v1/tenants/acme/policies/agent', { policyDocument: document })).status, 201);
    assert.equal((await harness.send('PUT', '/v1/tenants/acme/policies/agent', { policyDocument: document, setAsDefault: true })).status, 200);
    assert.equal((await harness.send('POST', '/v1/tenants/acme/policies/agent/versions/1/default')).status, 200);
    assert.equal((await harness.send('DELETE', '/v1/tenants/acme/policies/agent/versions/2')).status, 204);
    assert.equal((await harness.send('PUT', '/v1/tenants/acme/policies/agent/targets/thing-group/lab')).status, 204);
    assert.equal((await harness.send('DELETE', '/v1/tenants/acme/policies/agent/targets/thing-group/lab')).status, 204);
    assert.equal((await harness.send('DELETE', '/v1/tenants/acme/policies/agent')).status, 204);
    // Refused changes and reads write nothing.
    assert.equal((await harness.send('DELETE', '/v1/tenants/acme/policies/agent')).status, 404);
    assert.equal((await harness.send('PUT', '/v1/tenants/acme/policies/bad', { policyDocument: { Statement: [] } })).status, 400);
    await harness.request('/v1/tenants/acme');

    const { items } = await audit();
    assert.deepEqual(items.map((entry) => [entry.action, entry.target]).reverse(), [
      ['tenant.create', 'tenant/acme'],
      ['tenant.update', 'tenant/acme'],
      ['policy.create', 'policy/agent'],
      ['policy.version.create', 'policy/agent'],
      ['policy.version.set-default', 'policy/agent'],
      ['policy.version.delete', 'policy/agent'],
      ['policy.attach', 'policy/agent'],
      ['policy.detach', 'policy/agent'],
      ['policy.delete', 'policy/agent'],
    ]);
    for (const entry of items) {
      assert.equal(entry.actor, 'admin-api');
      assert.equal(entry.sourceIp, '127.0.0.1');
      assert.equal(entry.tenant, 'acme');
      assert.match(entry.at, /^\d{4}-\d\d-\d\dT/);
    }
    const created = items.find((entry) => entry.action === 'policy.create');
    assert.deepEqual(created?.details, { versionId: 1, policyDocument: JSON.stringify(document) });
    assert.deepEqual(items.find((entry) => entry.action === 'policy.version.create')?.details, { versionId: 2, setAsDefault: true, policyDocument: JSON.stringify(document) });
    assert.deepEqual(items.find((entry) => entry.action === 'policy.attach')?.details, { kind: 'thing-group', id: 'lab' });
    assert.deepEqual(items.find((entry) => entry.action === 'tenant.update')?.details, { status: 'SUSPENDED' });
  });

  test('certificate registration, revoke, deactivate and activate, and CA registration and status changes are recorded, without PEMs or keys', async () => {
    const before = (await audit('?limit=1000')).items.length;
    const root = await makeRootCa('Audit test CA');
    const { registrationCode } = (await (await harness.request('/v1/cas/registration-code?tenant=acme')).json()) as { registrationCode: string };
    const verification = await issueClientCertificate({ caCertPem: root.certificatePem, caKeyPem: root.privateKeyPem, commonName: registrationCode, days: 1 });
    const ca = await harness.send('POST', '/v1/cas', { caCertificatePem: root.certificatePem, verificationCertificatePem: verification.certPem, tenant: 'acme' });
    assert.equal(ca.status, 201, await ca.clone().text());
    const device = await issueClientCertificate({ caCertPem: root.certificatePem, caKeyPem: root.privateKeyPem, commonName: 'agent-7', days: 1 });
    const registered = await harness.send('POST', '/v1/certificates', { certificatePem: device.certPem, tenant: 'acme' });
    assert.equal(registered.status, 201, await registered.clone().text());
    const { id } = (await registered.json()) as { id: string };

    assert.equal((await harness.send('POST', `/v1/certificates/${id}/deactivate`)).status, 200);
    assert.equal((await harness.send('POST', `/v1/certificates/${id}/activate`)).status, 200);
    assert.equal((await harness.send('POST', `/v1/certificates/${id}/revoke`)).status, 200);
    assert.equal((await harness.send('POST', `/v1/cas/${root.id}/deactivate?tenant=acme`)).status, 200);
    assert.equal((await harness.send('POST', `/v1/cas/${root.id}/activate?tenant=acme`)).status, 200);
    assert.equal((await harness.send('POST', `/v1/certificates/${id}/activate`)).status, 409, 'refused: nothing recorded');

    const entries = await since(before);
    assert.deepEqual(entries.map((entry) => [entry.action, entry.target]), [
      ['ca.register', `ca/${root.id}`],
      ['certificate.register', `certificate/${id}`],
      ['certificate.deactivate', `certificate/${id}`],
      ['certificate.activate', `certificate/${id}`],
      ['certificate.revoke', `certificate/${id}`],
      ['ca.deactivate', `ca/${root.id}`],
      ['ca.activate', `ca/${root.id}`],
    ]);
    assert.ok(entries.every((entry) => entry.tenant === 'acme' && entry.actor === 'admin-api'));
    assert.deepEqual(entries[4]?.details, { status: 'REVOKED', disconnected: 0 });
    assert.deepEqual(entries[5]?.details, { status: 'INACTIVE', disconnected: 0 });
    const text = JSON.stringify(entries);
    assert.ok(!text.includes('BEGIN'), 'no PEM (certificate or key) in the audit log');
    assert.ok(!text.includes(harness.adminKey), 'never the admin key');
  });

  test('filters by tenant and time, pages newest first, and refuses a bad query (400)', async () => {
    assert.equal((await harness.send('POST', '/v1/tenants', { id: 'globex' })).status, 201);
    const globex = await audit('?tenant=globex');
    assert.deepEqual(globex.items.map((entry) => entry.action), ['tenant.create']);

    const all = await audit('?limit=1000');
    const first = await audit('?limit=2');
    assert.deepEqual(first.items, all.items.slice(0, 2));
    assert.ok(first.nextCursor !== undefined);
    const second = await audit(`?limit=2&cursor=${first.nextCursor}`);
    assert.deepEqual(second.items, all.items.slice(2, 4));
    assert.ok(all.items.every((entry, n) => n === 0 || entry.id < all.items[n - 1]!.id), 'newest first');

    const future = await audit(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    assert.deepEqual(future.items, []);
    const recent = await audit(`?since=${encodeURIComponent(all.items[0]!.at)}`);
    assert.ok(recent.items.length >= 1 && recent.items.every((entry) => entry.at >= all.items[0]!.at));

    for (const query of ['?since=yesterday', '?cursor=abc', '?limit=0', '?tenant=has%20space', '?actor=x']) {
      assert.equal((await harness.request(`/v1/audit${query}`)).status, 400, query);
    }
    assert.equal((await harness.request('/v1/audit', { key: null })).status, 401);
  });
});
