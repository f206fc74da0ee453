import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryIdentityStore, type CaRecord, type CertificateRecord } from '../../store/index.js';
import { OWNERSHIP_TOKEN_TTL_MS } from './ownership-token.js';
import { deleteUnclaimedCertificates } from './unclaimed-certificates.js';

const ca = { id: 'ca'.repeat(32), subject: 'CN=Gatehouse Local CA' };
const hour = OWNERSHIP_TOKEN_TTL_MS;
const t0 = 1_700_000_000_000;

function caRecord(tenant: string, id = ca.id): CaRecord {
  return { id, tenant, certificatePem: 'PEM', kind: 'gatehouse', status: 'ACTIVE', autoRegistration: false, createdAt: t0, subject: ca.subject, notAfter: t0 + 1e10 };
}

function certificate(id: string, tenant: string, fields: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    id: id.padEnd(64, '0'), tenant, status: 'PENDING_ACTIVATION', certificatePem: 'PEM', caId: ca.id, serialNumber: '01', subject: 'CN=x',
    notBefore: t0, notAfter: t0 + 1e10, issuedBy: 'fleet-provisioning', createdAt: t0, updatedAt: t0, ...fields,
  };
}

test('unclaimed fleet certificates of every tenant go after an hour; claimed, attached, young and other ones stay', async () => {
  const identity = new MemoryIdentityStore();
  await identity.open();
  await identity.putCa(caRecord('acme'));
  await identity.putCa(caRecord('globex'));
  await identity.putCa({ ...caRecord('initech', 'ff'.repeat(32)), subject: ca.subject });
  const stale = [certificate('a1', 'acme'), certificate('b1', 'globex')];
  const kept = [
    certificate('a2', 'acme', { createdAt: t0 + 10 * 60 * 1000 }),
    certificate('a3', 'acme', { status: 'ACTIVE' }),
    certificate('a4', 'acme', { issuedBy: 'register' }),
    certificate('a6', 'acme'),
    certificate('c1', 'initech', { caId: 'ff'.repeat(32) }),
  ];
  for (const record of [...stale, ...kept]) await identity.putCertificate(record);
  await identity.putThing({ tenant: 'acme', name: 'thing-5', attributes: {}, groups: [], version: 1, createdAt: t0, updatedAt: t0 });
  await identity.putCertificate(certificate('a5', 'acme'));
  await identity.setCertificateThing(certificate('a5', 'acme').id, 'thing-5', t0);
  await identity.putPolicy({ tenant: 'acme', name: 'p', document: '{}', version: 1, createdAt: t0, updatedAt: t0 });
  await identity.attachPolicy('acme', 'p', { kind: 'certificate', id: certificate('a6', 'acme').id });

  assert.deepEqual(await deleteUnclaimedCertificates(identity, { ca, now: t0 + hour - 1 }), [], 'nothing before the hour is up');
  const deleted = await deleteUnclaimedCertificates(identity, { ca, now: t0 + hour });
  assert.deepEqual(deleted.sort(), stale.map((record) => record.id).sort());
  for (const record of stale) assert.equal(await identity.getCertificate(record.id), undefined);
  for (const record of [...kept, certificate('a5', 'acme')]) assert.ok(await identity.getCertificate(record.id), record.id);
  await identity.close();
});
