import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { silentLogger, type PeerInfo } from '../core/index.js';
import { certificateId, signDeviceCertificate, type CertificateAuthority } from '../pki/index.js';
import { makeRootCa } from '../pki/test-fixtures.js';
import { ecP256, generateKeyPair, x509 } from '../pki/x509-crypto.js';
import { MemoryIdentityStore, type CaRecord, type CertificateRecord, type IdentityStore } from '../store/index.js';
import { createCertificateAuthenticator, type CertificateAuthenticatorOptions, type CertificateDecision } from './certificate-authenticator.js';

const peer: PeerInfo = { transport: 'tls', remoteAddress: '203.0.113.9', remotePort: 50000, localPort: 8883, listener: 'mqtts' };

describe('createCertificateAuthenticator', () => {
  let ca: CertificateAuthority;
  let otherCa: CertificateAuthority;
  let identity: MemoryIdentityStore;
  let record: CertificateRecord;
  let der: Buffer;

  before(async () => {
    ca = await makeRootCa('Unit CA');
    otherCa = await makeRootCa('Other CA');
    identity = new MemoryIdentityStore();
    await identity.open();
    await identity.putCa(caRecord(ca));
    await identity.putCa(caRecord(otherCa));
    const keys = await generateKeyPair();
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=x', keys, signingAlgorithm: ecP256 });
    const signed = await signDeviceCertificate({ ca, csr: csr.toString('pem'), commonName: 'agent-7', days: 10 });
    der = new X509Certificate(signed.certificatePem).raw;
    record = {
      id: signed.id, tenant: 'acme', thing: 'agent-7', status: 'ACTIVE', certificatePem: signed.certificatePem, caId: certificateId(ca.certificatePem),
      serialNumber: signed.serialNumber, subject: 'CN=agent-7', notBefore: signed.notBefore.getTime(), notAfter: signed.notAfter.getTime(),
      issuedBy: 'gatehouse', createdAt: Date.now(), updatedAt: Date.now(),
    };
    await identity.putCertificate(record);
  });

  function caRecord(authority: CertificateAuthority, status: CaRecord['status'] = 'ACTIVE'): CaRecord {
    const cert = new X509Certificate(authority.certificatePem);
    return {
      id: certificateId(authority.certificatePem), tenant: 'acme', certificatePem: authority.certificatePem, kind: 'customer', status,
      autoRegistration: false, createdAt: Date.now(), subject: cert.subject, notAfter: new Date(cert.validTo).getTime(),
    };
  }

  function check(options: Partial<CertificateAuthenticatorOptions> = {}, certificate: Buffer | null = der): Promise<CertificateDecision> {
    const hook = createCertificateAuthenticator({ identity, logger: silentLogger(), ...options });
    return hook({ clientId: 'client-7', peer: certificate === null ? peer : { ...peer, clientCertificate: certificate } });
  }

  it('defers connections without a client certificate', async () => {
    assert.deepEqual(await check({}, null), { kind: 'defer' });
  });

  it('allows an ACTIVE certificate with its principal', async () => {
    assert.deepEqual(await check(), {
      kind: 'allow',
      principal: { kind: 'certificate', tenant: 'acme', thingName: 'agent-7', certificateId: record.id, certificateNotAfter: record.notAfter, clientId: 'client-7', sourceIp: '203.0.113.9', attributes: {} },
    });
  });

  it('refuses outside the validity dates, naming the date', async () => {
    const early = await check({ now: () => record.notBefore - 1 });
    assert.equal(early.kind === 'deny' && early.reasonCode, 0x87);
    assert.match(early.kind === 'deny' ? early.reason : '', /is not valid before/);
    const late = await check({ now: () => record.notAfter });
    assert.match(late.kind === 'deny' ? late.reason : '', new RegExp(`^Certificate ${record.id.slice(0, 12)} expired at ${new Date(record.notAfter).toISOString()}$`));
  });

  it('refuses when the tenant the listener serves is not the certificate\'s', async () => {
    const decision = await check({ tenantFor: () => 'globex' });
    assert.match(decision.kind === 'deny' ? decision.reason : '', /does not belong to tenant "globex"/);
    assert.equal((await check({ tenantFor: () => 'acme' })).kind, 'allow');
  });

  it('refuses when the issuing CA is INACTIVE, and admits again once it is ACTIVE', async () => {
    await identity.setCaStatus('acme', record.caId, 'INACTIVE');
    try {
      const decision = await check();
      assert.equal(decision.kind === 'deny' && decision.reason, `CA ${record.caId.slice(0, 12)} of certificate ${record.id.slice(0, 12)} is INACTIVE`);
    } finally {
      await identity.setCaStatus('acme', record.caId, 'ACTIVE');
    }
    assert.equal((await check()).kind, 'allow');
  });

  it('refuses a record whose CA is not registered for its tenant, or did not sign it', async () => {
    const elsewhere = new MemoryIdentityStore();
    await elsewhere.open();
    await elsewhere.putCertificate(record);
    const missing = await check({ identity: elsewhere });
    assert.match(missing.kind === 'deny' ? missing.reason : '', /is not registered for tenant "acme"/);
    await elsewhere.putCa(caRecord(otherCa));
    const forged = createCertificateAuthenticator({ identity: { ...wrap(elsewhere), getCertificate: async () => ({ ...record, caId: certificateId(otherCa.certificatePem) }) }, logger: silentLogger() });
    const decision = await forged({ clientId: 'c', peer: { ...peer, clientCertificate: der } });
    assert.match(decision.kind === 'deny' ? decision.reason : '', /was not issued by its registered CA/);
  });

  it('refuses with 0x88 Server unavailable when the store fails, rather than letting anyone in', async () => {
    const broken = { ...wrap(identity), getCertificate: async () => { throw new Error('database is gone'); } };
    const decision = await check({ identity: broken });
    assert.equal(decision.kind === 'deny' && decision.reasonCode, 0x88);
  });
});

/** A plain-object view of a store (every method, bound to it), so single verbs can be replaced by spreading. */
function wrap(store: IdentityStore): IdentityStore {
  const view: Record<string, unknown> = {};
  for (let proto: object | null = Object.getPrototypeOf(store); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method: unknown = Reflect.get(store, name);
      if (name !== 'constructor' && !(name in view) && typeof method === 'function') view[name] = method.bind(store);
    }
  }
  return view as unknown as IdentityStore;
}
