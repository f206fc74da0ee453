import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { certificateId, signDeviceCertificate, type CertificateAuthority } from './index.js';
import { makeRootCa, openssl, opensslCsr, scratch } from './test-fixtures.js';

describe('signDeviceCertificate', () => {
  const s = scratch();
  let ca: CertificateAuthority;
  before(async () => {
    ca = await makeRootCa();
    s.write('ca.pem', ca.certificatePem);
  });
  after(() => s.remove());

  for (const [name, args] of [
    ['EC P-256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']],
    ['RSA 2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']],
  ] as const) {
    it(`signs a ${name} CSR: CN is the thing name, clientAuth, and openssl and node both verify it`, async () => {
      const { csrPem } = opensslCsr(s, name.replace(/\W/g, ''), args, '/CN=admin/O=Evil Corp');
      const issued = await signDeviceCertificate({ ca, csr: csrPem, commonName: 'agent-7', days: 30 });
      const cert = new X509Certificate(issued.certificatePem);
      assert.equal(cert.subject, 'CN=agent-7', 'the CSR subject is replaced');
      assert.equal(cert.verify(new X509Certificate(ca.certificatePem).publicKey), true);
      assert.equal(cert.checkIssued(new X509Certificate(ca.certificatePem)), true);
      assert.equal(cert.ca, false);
      assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
      assert.equal(issued.id, certificateId(issued.certificatePem));
      assert.equal(issued.serialNumber, cert.serialNumber.toLowerCase());
      assert.equal(new Date(cert.validFrom).getTime(), issued.notBefore.getTime());
      assert.equal(new Date(cert.validTo).getTime(), issued.notAfter.getTime());
      assert.ok(Math.abs(issued.notAfter.getTime() - Date.now() - 30 * 86400_000) < 5_000);

      const file = s.write(`${name.replace(/\W/g, '')}.pem`, issued.certificatePem);
      const verified = openssl(['verify', '-CAfile', s.path('ca.pem'), '-purpose', 'sslclient', file]);
      assert.equal(verified.status, 0, verified.output);
      const text = openssl(['x509', '-in', file, '-noout', '-text', '-fingerprint', '-sha256', '-serial']).output;
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\s/);
      assert.match(text, /TLS Web Client Authentication/);
      assert.match(text, /X509v3 Subject Key Identifier/);
      const aki = /Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
      const caSki = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(openssl(['x509', '-in', s.path('ca.pem'), '-noout', '-text']).output)?.[1];
      assert.equal(aki, caSki, 'AKI equals the CA SKI');
      const fingerprint = /sha256 Fingerprint=([0-9A-F:]+)/i.exec(text)?.[1]?.replace(/:/g, '').toLowerCase();
      assert.equal(issued.id, fingerprint);
      assert.equal(/serial=([0-9A-F]+)/.exec(text)?.[1]?.toLowerCase(), issued.serialNumber);
    });
  }

  it('uses random positive serials of up to 128 bits, and a given serial when asked', async () => {
    const { csrPem } = opensslCsr(s, 'serial', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const serials = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { serialNumber } = await signDeviceCertificate({ ca, csr: csrPem, commonName: 'agent-7', days: 1 });
      assert.match(serialNumber, /^(0[1-9a-f]|[1-7][0-9a-f])[0-9a-f]{30}$/, '16 bytes, top bit clear, first byte non-zero');
      serials.add(serialNumber);
    }
    assert.equal(serials.size, 5);
    const fixed = await signDeviceCertificate({ ca, csr: csrPem, commonName: 'agent-7', days: 1, serialNumber: '0abc' });
    assert.equal(fixed.serialNumber, '0abc');
  });

  it('refuses a weak CSR, an empty common name and a non-positive lifetime', async () => {
    const { csrPem } = opensslCsr(s, 'weak', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']);
    await assert.rejects(signDeviceCertificate({ ca, csr: csrPem, commonName: 'agent-7', days: 1 }), { code: 'KEY_TOO_WEAK' });
    const good = opensslCsr(s, 'good', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']).csrPem;
    await assert.rejects(signDeviceCertificate({ ca, csr: good, commonName: '', days: 1 }), /common name/);
    await assert.rejects(signDeviceCertificate({ ca, csr: good, commonName: 'a', days: 0 }), /days must be positive/);
  });
});
