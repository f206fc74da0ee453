import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createIntermediateCa, ensureLocalPki, isEncryptedPrivateKey, loadCa, loadSigningCa, PkiError, signDeviceCertificate } from './index.js';
import { openssl, opensslCsr, scratch } from './test-fixtures.js';
import { daysFromNow, ecP256, exportPrivateKeyPem, generateKeyPair, randomSerialNumber, x509 } from './x509-crypto.js';

const secret = 'correct horse battery staple';

async function freshDir(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'gatehouse-intermediate-')), 'pki');
}

function issuedBy(childPem: string, parentPem: string): boolean {
  const child = new X509Certificate(childPem);
  const parent = new X509Certificate(parentPem);
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

describe('the local intermediate CA', () => {
  const dirs: string[] = [];
  const dir = async (): Promise<string> => {
    const made = await freshDir();
    dirs.push(made);
    return made;
  };
  after(async () => {
    for (const made of dirs) await rm(join(made, '..'), { recursive: true, force: true });
  });

  it('is made on the first run with `intermediate`, signed by the root, kept on the next run, and signs devices', async () => {
    const pkiDir = await dir();
    const pki = await ensureLocalPki({ dir: pkiDir, intermediate: true });
    assert.equal(pki.createdCa, true);
    assert.equal(pki.createdIntermediate, true);
    const [rootPem, intermediatePem, serverPem] = await Promise.all([pki.ca, pki.intermediate, pki.cert].map((p) => readFile(p, 'utf8')));
    const intermediate = new X509Certificate(intermediatePem!);
    assert.equal(intermediate.ca, true);
    assert.ok(issuedBy(intermediatePem!, rootPem!), 'signed by the root');
    assert.ok(issuedBy(serverPem!, rootPem!), 'the server certificate stays signed by the root');
    assert.match(intermediate.subject, /CN=Gatehouse device CA \d{4}-\d{2}-\d{2} \(/);
    assert.ok(new Date(intermediate.validTo).getTime() > Date.now() + 4 * 365 * 24 * 3600 * 1000, 'valid ~5 years');
    assert.equal((await stat(pki.intermediateKey)).mode & 0o777, 0o600);
    assert.equal((await stat(pki.intermediate)).mode & 0o777, 0o644);

    const again = await ensureLocalPki({ dir: pkiDir, intermediate: true });
    assert.equal(again.createdIntermediate, false);
    assert.equal(await readFile(pki.intermediate, 'utf8'), intermediatePem);

    const cas = await loadSigningCa({ dir: pkiDir, intermediate: true });
    assert.equal(cas.signing.certificatePem, intermediate.toString());
    assert.equal(cas.root.certificatePem, new X509Certificate(rootPem!).toString());
    assert.deepEqual(cas.all.map((ca) => ca.id), [cas.root.id, cas.signing.id]);
    assert.equal(cas.chainPem, `${cas.signing.certificatePem.trimEnd()}\n${cas.root.certificatePem.trimEnd()}\n`);
  });

  it('is not made without `intermediate`; turned off later, the root signs again and the intermediate stays loaded for its CRL', async () => {
    const pkiDir = await dir();
    const plain = await ensureLocalPki({ dir: pkiDir });
    assert.equal(plain.createdIntermediate, false);
    assert.equal((await readdir(pkiDir)).some((name) => name.startsWith('intermediate')), false);
    await assert.rejects(loadSigningCa({ dir: pkiDir, intermediate: true }), (error: unknown) => error instanceof PkiError && /intermediate\.pem is missing/.test(error.message));

    const on = await ensureLocalPki({ dir: pkiDir, intermediate: true });
    assert.equal(on.createdCa, false, 'turning it on keeps the root');
    assert.equal(on.createdIntermediate, true);
    const off = await loadSigningCa({ dir: pkiDir, intermediate: false });
    assert.equal(off.signing.id, off.root.id);
    assert.equal(off.chainPem, `${off.root.certificatePem.trimEnd()}\n`);
    assert.ok(off.intermediate !== undefined);
    assert.equal(off.all.length, 2);
  });

  it('keeps its key encrypted like the root\'s with a secret, and encrypts a plain one left from before', async () => {
    const pkiDir = await dir();
    const pki = await ensureLocalPki({ dir: pkiDir, intermediate: true, keySecret: secret });
    const names = await readdir(pkiDir);
    assert.ok(names.includes('intermediate.key.enc'));
    assert.equal(names.includes('intermediate.key'), false);
    assert.equal((await stat(pki.intermediateKeyEncrypted)).mode & 0o777, 0o600);
    const blob = await readFile(pki.intermediateKeyEncrypted, 'utf8');
    assert.ok(isEncryptedPrivateKey(blob));
    assert.doesNotMatch(blob, /PRIVATE KEY/);
    await assert.rejects(loadSigningCa({ dir: pkiDir, intermediate: true }), (error: unknown) => error instanceof PkiError && error.code === 'CA_KEY_UNREADABLE');
    await assert.rejects(loadSigningCa({ dir: pkiDir, intermediate: true, keySecret: 'wrong' }), (error: unknown) => error instanceof PkiError && error.code === 'CA_KEY_UNREADABLE');
    const cas = await loadSigningCa({ dir: pkiDir, intermediate: true, keySecret: secret });
    assert.ok(issuedBy(cas.signing.certificatePem, cas.root.certificatePem));

    const plainDir = await dir();
    await ensureLocalPki({ dir: plainDir, intermediate: true });
    const before = await loadSigningCa({ dir: plainDir, intermediate: true });
    const migrated = await ensureLocalPki({ dir: plainDir, intermediate: true, keySecret: secret });
    assert.equal(migrated.migratedCaKey, true);
    assert.equal(migrated.createdIntermediate, false);
    const after = await readdir(plainDir);
    assert.deepEqual(after.filter((name) => name.endsWith('.key') && name !== 'server.key'), [], 'no plain CA key is left');
    assert.ok(after.includes('intermediate.key.enc'));
    assert.equal((await loadSigningCa({ dir: plainDir, intermediate: true, keySecret: secret })).signing.id, before.signing.id);
  });

  it('is replaced, and the old one set aside, when it nears its end or the root changes', async () => {
    const pkiDir = await dir();
    const pki = await ensureLocalPki({ dir: pkiDir, intermediate: true });
    const root = await loadCa({ dir: pkiDir });
    const short = await createIntermediateCa({ rootCa: root, subject: 'CN=short-lived', days: 10 });
    await writeFile(pki.intermediate, short.ca.certificatePem);
    await writeFile(pki.intermediateKey, short.privateKeyPem);
    const renewed = await ensureLocalPki({ dir: pkiDir, intermediate: true });
    assert.equal(renewed.createdIntermediate, true);
    const current = await loadSigningCa({ dir: pkiDir, intermediate: true });
    assert.notEqual(current.signing.id, short.ca.id);
    assert.ok(issuedBy(current.signing.certificatePem, root.certificatePem));
    const tag = short.ca.id.slice(0, 12);
    assert.equal(await readFile(join(pkiDir, `intermediate-${tag}.pem`), 'utf8'), short.ca.certificatePem);
    assert.equal(await readFile(join(pkiDir, `intermediate-${tag}.key`), 'utf8'), short.privateKeyPem);

    await rm(pki.ca);
    const newRoot = await ensureLocalPki({ dir: pkiDir, intermediate: true });
    assert.equal(newRoot.createdCa, true);
    assert.equal(newRoot.createdIntermediate, true, 'an intermediate of the old root is replaced');
    const [rootPem, intermediatePem] = await Promise.all([readFile(pki.ca, 'utf8'), readFile(pki.intermediate, 'utf8')]);
    assert.ok(issuedBy(intermediatePem, rootPem));
  });

  it('re-signs a root from before (pathLen 0) with pathLen 1, same key and subject, so openssl accepts the chain', async () => {
    const pkiDir = await dir();
    await mkdir(pkiDir, { mode: 0o700 });
    const keys = await generateKeyPair();
    const old = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerialNumber(),
      name: [{ CN: ['Gatehouse local CA (old)'] }, { O: ['Gatehouse'] }],
      notBefore: new Date(Date.now() - 60_000),
      notAfter: daysFromNow(3650),
      signingAlgorithm: ecP256,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const oldPem = old.toString('pem');
    await writeFile(join(pkiDir, 'ca.pem'), oldPem);
    await writeFile(join(pkiDir, 'ca.key'), await exportPrivateKeyPem(keys.privateKey));
    assert.equal((await ensureLocalPki({ dir: pkiDir })).createdServerCert, true, 'a server certificate from the old root');
    const oldRoot = await loadCa({ dir: pkiDir });
    const s = scratch();
    try {
      const rootDevice = await signDeviceCertificate({ ca: oldRoot, csr: opensslCsr(s, 'a', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']).csrPem, commonName: 'before', days: 10 });

      const pki = await ensureLocalPki({ dir: pkiDir, intermediate: true });
      assert.equal(pki.createdCa, false);
      assert.equal(pki.reissuedRoot, true);
      const newPem = await readFile(pki.ca, 'utf8');
      const [was, now] = [new X509Certificate(oldPem), new X509Certificate(newPem)];
      assert.equal(now.subject, was.subject);
      assert.ok(now.publicKey.equals(was.publicKey));
      assert.equal(now.validTo, was.validTo);
      assert.notEqual(now.serialNumber, was.serialNumber);
      assert.match(openssl(['x509', '-noout', '-text', '-in', s.write('new-root.pem', newPem)]).output, /CA:TRUE, pathlen:1/);
      assert.equal(await readFile(join(pkiDir, `ca-${oldRoot.id.slice(0, 12)}.pem`), 'utf8'), oldPem, 'the old certificate is kept');
      assert.ok(issuedBy(rootDevice.certificatePem, newPem), 'what the old root signed verifies under the new one');
      assert.ok(issuedBy(await readFile(pki.cert, 'utf8'), newPem));

      const cas = await loadSigningCa({ dir: pkiDir, intermediate: true });
      assert.deepEqual(cas.all.map((ca) => ca.id), [cas.root.id, oldRoot.id, cas.signing.id], 'the old root stays loaded for its CRL');
      const leaf = await signDeviceCertificate({ ca: cas.signing, csr: opensslCsr(s, 'b', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']).csrPem, commonName: 'after', days: 10 });
      s.write('int.pem', cas.signing.certificatePem);
      const verified = openssl(['verify', '-CAfile', s.path('new-root.pem'), '-untrusted', s.path('int.pem'), s.write('leaf.pem', leaf.certificatePem)]);
      assert.equal(verified.status, 0, verified.output);
      const underOld = openssl(['verify', '-CAfile', s.write('old-root.pem', oldPem), '-untrusted', s.path('int.pem'), s.path('leaf.pem')]);
      assert.match(underOld.output, /path length constraint exceeded/, 'why the root is re-signed');

      const again = await ensureLocalPki({ dir: pkiDir, intermediate: true });
      assert.equal(again.reissuedRoot, false);
      assert.equal(again.createdIntermediate, false);
    } finally {
      s.remove();
    }
  });
});
