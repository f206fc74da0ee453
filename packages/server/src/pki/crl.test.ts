import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCrl, signDeviceCertificate, type CertificateAuthority, type SignedDeviceCertificate } from './index.js';
import { makeRootCa, openssl, opensslCsr, scratch } from './test-fixtures.js';

describe('createCrl', () => {
  const s = scratch();
  let ca: CertificateAuthority;
  let revoked: SignedDeviceCertificate;
  let good: SignedDeviceCertificate;
  before(async () => {
    ca = await makeRootCa();
    const { csrPem } = opensslCsr(s, 'agent', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    revoked = await signDeviceCertificate({ ca, csr: csrPem, commonName: 'revoked', days: 5 });
    good = await signDeviceCertificate({ ca, csr: csrPem, commonName: 'good', days: 5 });
  });
  after(() => s.remove());

  it('lists revoked serials in a CRL openssl reads, and openssl -crl_check fails the revoked certificate only', async () => {
    const now = new Date();
    const crlPem = await createCrl({ ca, revoked: [{ serialNumber: revoked.serialNumber, revokedAt: now }], thisUpdate: now, nextUpdate: new Date(now.getTime() + 86400_000), crlNumber: 7 });
    const crlFile = s.write('ca.crl', crlPem);
    const text = openssl(['crl', '-in', crlFile, '-noout', '-text']);
    assert.equal(text.status, 0, text.output);
    assert.ok(text.output.toLowerCase().includes(`serial number: ${revoked.serialNumber}`), text.output);
    assert.ok(!text.output.toLowerCase().includes(good.serialNumber));
    assert.match(text.output, /X509v3 CRL Number:\s+7/);
    assert.match(text.output, /Authority Key Identifier/);
    const caFile = s.write('ca.pem', ca.certificatePem);
    const check = (name: string, pem: string) => openssl(['verify', '-crl_check', '-CAfile', caFile, '-CRLfile', crlFile, s.write(name, pem)]);
    const bad = check('revoked.pem', revoked.certificatePem);
    assert.notEqual(bad.status, 0);
    assert.match(bad.output, /certificate revoked/);
    assert.equal(check('good.pem', good.certificatePem).status, 0);
  });

  it('makes an empty CRL that still lets good certificates pass, numbered from thisUpdate by default', async () => {
    const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const crlFile = s.write('empty.crl', await createCrl({ ca, revoked: [], thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 3600_000) }));
    assert.match(openssl(['crl', '-in', crlFile, '-noout', '-text']).output, new RegExp(`CRL Number:\\s+${thisUpdate.getTime() / 1000}`));
    const verified = openssl(['verify', '-crl_check', '-CAfile', s.write('ca.pem', ca.certificatePem), '-CRLfile', crlFile, s.write('r.pem', revoked.certificatePem)]);
    assert.equal(verified.status, 0, verified.output);
  });
});
