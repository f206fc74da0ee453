import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { certificateChainPem, certificateId, createIntermediateCa, signDeviceCertificate, verifyChain, type CertificateAuthority } from './index.js';
import { makeRootCa, openssl, opensslCsr, scratch } from './test-fixtures.js';

describe('intermediate CAs, chains and verifyChain', () => {
  const s = scratch();
  let root: CertificateAuthority;
  let other: CertificateAuthority;
  let intermediate: CertificateAuthority;
  let csrPem: string;
  before(async () => {
    root = await makeRootCa('Root');
    other = await makeRootCa('Other');
    intermediate = (await createIntermediateCa({ rootCa: root, subject: 'CN=Gatehouse devices, O=Example', days: 100 })).ca;
    csrPem = opensslCsr(s, 'agent', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']).csrPem;
  });
  after(() => s.remove());

  it('makes an intermediate with pathLen 0 that openssl accepts under the root, and a leaf under it', async () => {
    const text = openssl(['x509', '-noout', '-text', '-in', s.write('int.pem', intermediate.certificatePem)]).output;
    assert.match(text, /CA:TRUE, pathlen:0/);
    assert.match(text, /Certificate Sign, CRL Sign/);
    const leaf = await signDeviceCertificate({ ca: intermediate, csr: csrPem, commonName: 'agent-9', days: 10 });
    const chain = certificateChainPem([leaf.certificatePem, intermediate]);
    assert.equal(chain.match(/BEGIN CERTIFICATE/g)?.length, 2);
    s.write('root.pem', root.certificatePem);
    const verified = openssl(['verify', '-CAfile', s.path('root.pem'), '-untrusted', s.path('int.pem'), s.write('leaf.pem', leaf.certificatePem)]);
    assert.equal(verified.status, 0, verified.output);
    assert.throws(() => certificateChainPem([intermediate, leaf.certificatePem]), { code: 'CHAIN_INVALID', message: /is not signed by/ });
  });

  it('names the registered CA that issued a certificate, directly or through a presented intermediate', async () => {
    const direct = await signDeviceCertificate({ ca: root, csr: csrPem, commonName: 'a', days: 10 });
    assert.deepEqual(verifyChain(direct.certificatePem, [other.certificatePem, root.certificatePem]), { ok: true, certificateId: direct.id, caId: root.id });
    const viaIntermediate = await signDeviceCertificate({ ca: intermediate, csr: csrPem, commonName: 'b', days: 10 });
    assert.deepEqual(verifyChain(viaIntermediate.certificatePem, [intermediate.certificatePem]), { ok: true, certificateId: viaIntermediate.id, caId: intermediate.id });
    const chain = certificateChainPem([viaIntermediate.certificatePem, intermediate]);
    assert.deepEqual(verifyChain(chain, [root.certificatePem]), { ok: true, certificateId: viaIntermediate.id, caId: root.id });
    assert.equal(verifyChain(viaIntermediate.certificatePem, [root.certificatePem]).ok, false, 'an intermediate not presented is not assumed');
  });

  it('gives a reason for an unknown CA, a self-signed certificate, expiry and not-yet-valid', async () => {
    const direct = await signDeviceCertificate({ ca: root, csr: csrPem, commonName: 'a', days: 10 });
    assert.deepEqual(verifyChain(direct.certificatePem, [other.certificatePem]), { ok: false, code: 'UNKNOWN_CA', reason: 'Certificate is not signed by a registered CA' });
    const selfSigned = openssl(['req', '-x509', '-new', '-key', s.path('agent.key'), '-subj', '/CN=self', '-days', '1', '-out', s.path('self.pem')]);
    assert.equal(selfSigned.status, 0, selfSigned.output);
    assert.equal(verifyChain(s.read('self.pem'), [root.certificatePem]).ok, false);
    assert.equal((verifyChain(s.read('self.pem'), [root.certificatePem]) as { code: string }).code, 'SELF_SIGNED');
    assert.deepEqual(verifyChain(direct.certificatePem, [root.certificatePem], { now: new Date(Date.now() + 11 * 86400_000) }), { ok: false, code: 'EXPIRED', reason: 'Certificate has expired' });
    assert.deepEqual(verifyChain(direct.certificatePem, [root.certificatePem], { now: new Date(Date.now() - 3600_000) }), { ok: false, code: 'NOT_YET_VALID', reason: 'Certificate is not yet valid' });
    assert.deepEqual(verifyChain('garbage', [root.certificatePem]), { ok: false, code: 'INVALID', reason: 'Certificate cannot be parsed' });
  });

  it('computes certificate ids as openssl does (SHA-256 of DER, lower-case hex) from PEM or DER', () => {
    const fingerprint = /=([0-9A-F:]+)/.exec(openssl(['x509', '-noout', '-fingerprint', '-sha256', '-in', s.path('root.pem')]).output)?.[1];
    assert.equal(certificateId(root.certificatePem), fingerprint?.replace(/:/g, '').toLowerCase());
    assert.equal(certificateId(root.certificate.rawData.slice(0) as ArrayBuffer as unknown as Uint8Array), root.id);
    assert.match(root.id, /^[0-9a-f]{64}$/);
  });
});
