import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { parseCsr, verifyCsr } from './index.js';
import { opensslCsr, scratch } from './test-fixtures.js';
import { toDer, x509 } from './x509-crypto.js';

describe('parseCsr / verifyCsr', () => {
  const s = scratch();
  after(() => s.remove());

  it('accepts EC P-256, EC P-384 and RSA 2048 CSRs made by openssl, in PEM and DER', async () => {
    const p256 = opensslCsr(s, 'p256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=agent-7/O=Example');
    const parsed = await verifyCsr(p256.csrPem);
    assert.deepEqual(parsed.key, { kind: 'ec', curve: 'P-256' });
    assert.match(parsed.subject, /CN=agent-7/);
    assert.deepEqual((await verifyCsr(toDer(p256.csrPem, ['CERTIFICATE REQUEST']))).key, { kind: 'ec', curve: 'P-256' });
    assert.deepEqual((await verifyCsr(opensslCsr(s, 'p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']).csrPem)).key, { kind: 'ec', curve: 'P-384' });
    assert.deepEqual((await verifyCsr(opensslCsr(s, 'rsa2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']).csrPem)).key, { kind: 'rsa', bits: 2048 });
  });

  it('accepts a CSR made with Node WebCrypto (as the agent SDK makes them)', async () => {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=node-agent', keys, signingAlgorithm: alg });
    assert.deepEqual((await verifyCsr(csr.toString('pem'))).key, { kind: 'ec', curve: 'P-256' });
  });

  it('refuses weak and unsupported keys with specific messages', async () => {
    const rsa1024 = opensslCsr(s, 'rsa1024', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']).csrPem;
    await assert.rejects(verifyCsr(rsa1024), { code: 'KEY_TOO_WEAK', message: 'RSA key of 1024 bits is too weak: at least 2048 bits are required' });
    const p521 = opensslCsr(s, 'p521', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521']).csrPem;
    await assert.rejects(verifyCsr(p521), { code: 'KEY_TYPE_UNSUPPORTED', message: 'Key type EC P-521 is not supported: use EC P-256, EC P-384 or RSA 2048+' });
    const ed25519 = opensslCsr(s, 'ed25519', ['-algorithm', 'ED25519']).csrPem;
    await assert.rejects(verifyCsr(ed25519), { code: 'KEY_TYPE_UNSUPPORTED', message: 'Key type Ed25519 is not supported: use EC P-256, EC P-384 or RSA 2048+' });
    const secp256k1 = opensslCsr(s, 'k1', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1']).csrPem;
    await assert.rejects(verifyCsr(secp256k1), { code: 'KEY_TYPE_UNSUPPORTED', message: /Key type EC secp256k1 is not supported/ });
  });

  it('refuses a CSR whose signature does not verify (subject changed after signing)', async () => {
    const { csrPem } = opensslCsr(s, 'tamper', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=agent-aaaa');
    const der = toDer(csrPem, ['CERTIFICATE REQUEST']);
    const at = der.indexOf(Buffer.from('agent-aaaa'));
    assert.ok(at > 0);
    der[at + 6] = 'b'.charCodeAt(0);
    const parsed = parseCsr(der);
    assert.match(parsed.subject, /agent-baaa/);
    await assert.rejects(verifyCsr(parsed), { code: 'CSR_SIGNATURE_INVALID', message: 'CSR signature does not verify' });
  });

  it('refuses input that is not a CSR, without crashing', async () => {
    assert.throws(() => parseCsr('hello'), { code: 'CSR_INVALID', message: /no PEM CERTIFICATE REQUEST block/ });
    assert.throws(() => parseCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'), { code: 'CSR_INVALID', message: /not a valid PKCS#10/ });
    assert.throws(() => parseCsr(new Uint8Array(20_000)), { code: 'CSR_INVALID', message: /larger than/ });
    await assert.rejects(verifyCsr(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])), { code: 'CSR_INVALID' });
  });
});
