import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decryptPrivateKey, encryptPrivateKey, ensureLocalPki, isEncryptedPrivateKey, loadCa, readKeySecret, signDeviceCertificate } from './index.js';
import { opensslCsr, scratch } from './test-fixtures.js';

const keyPem = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
const wrongSecret = /Cannot decrypt the CA key: wrong secret or corrupted file$/;

describe('encryptPrivateKey / decryptPrivateKey', () => {
  it('round-trips, and the envelope is versioned JSON without the key in clear', async () => {
    const blob = await encryptPrivateKey(keyPem, 'correct horse');
    const envelope = JSON.parse(blob) as Record<string, unknown>;
    assert.equal(envelope['format'], 'gatehouse-encrypted-key');
    assert.equal(envelope['version'], 1);
    assert.equal(envelope['cipher'], 'aes-256-gcm');
    assert.ok(!blob.includes('MIGHAgEA') && !blob.includes('PRIVATE KEY'));
    assert.equal(isEncryptedPrivateKey(blob), true);
    assert.equal(isEncryptedPrivateKey(keyPem), false);
    assert.equal(await decryptPrivateKey(blob, 'correct horse'), keyPem);
  });

  it('uses a fresh salt and IV each time', async () => {
    const [a, b] = [JSON.parse(await encryptPrivateKey(keyPem, 's')), JSON.parse(await encryptPrivateKey(keyPem, 's'))] as { kdf: { salt: string }; iv: string }[];
    assert.notEqual(a!.kdf.salt, b!.kdf.salt);
    assert.notEqual(a!.iv, b!.iv);
  });

  it('refuses a wrong secret, a flipped byte, a changed header and garbage with the same clear error', async () => {
    const blob = await encryptPrivateKey(keyPem, 'right');
    await assert.rejects(decryptPrivateKey(blob, 'wrong'), (e: Error) => wrongSecret.test(e.message) && !e.message.includes('MIGHAgEA') && (e as { code?: string }).code === 'CA_KEY_UNREADABLE');
    const envelope = JSON.parse(blob) as { data: string; kdf: { N: number } };
    const data = Buffer.from(envelope.data, 'base64');
    data[3] = data[3]! ^ 1;
    await assert.rejects(decryptPrivateKey(JSON.stringify({ ...envelope, data: data.toString('base64') }), 'right'), wrongSecret);
    await assert.rejects(decryptPrivateKey(JSON.stringify({ ...envelope, kdf: { ...envelope.kdf, N: 2 ** 14 } }), 'right'), wrongSecret);
    await assert.rejects(decryptPrivateKey(JSON.stringify({ ...envelope, kdf: { ...envelope.kdf, N: 2 ** 30 } }), 'right'), wrongSecret);
    await assert.rejects(decryptPrivateKey('not json', 'right'), wrongSecret);
    await assert.rejects(decryptPrivateKey(JSON.stringify({ ...envelope, version: 2 }), 'right'), /envelope version 2 is not supported/);
    await assert.rejects(encryptPrivateKey(keyPem, ''), /empty CA key secret/);
  });
});

describe('readKeySecret', () => {
  const s = scratch();
  after(() => s.remove());

  it('reads a file (without its trailing newline) before the environment, and the environment otherwise', async () => {
    const file = s.write('secret', 'from-file\n');
    assert.equal(await readKeySecret({ file, envVar: 'K', env: { K: 'from-env' } }), 'from-file');
    assert.equal(await readKeySecret({ envVar: 'K', env: { K: 'from-env' } }), 'from-env');
    assert.equal(await readKeySecret({ envVar: 'K', env: {} }), undefined);
    await assert.rejects(readKeySecret({ file: s.write('empty', '\n') }), /is empty/);
  });
});

describe('ensureLocalPki with keySecret, and loadCa', () => {
  const s = scratch();
  after(() => s.remove());

  it('writes only ca.key.enc (mode 0600), and loadCa gives a CA whose key signs certificates that verify', async () => {
    const dir = join(s.dir, 'enc');
    const pki = await ensureLocalPki({ dir, keySecret: 'operator secret' });
    assert.equal(pki.caKeyIsEncrypted, true);
    const files = await readdir(dir);
    assert.ok(files.includes('ca.key.enc'));
    assert.ok(!files.includes('ca.key'), 'no plain CA key on disk');
    assert.equal((await stat(pki.caKeyEncrypted)).mode & 0o777, 0o600);
    const server = new X509Certificate(await readFile(pki.cert));
    assert.equal(server.verify(new X509Certificate(await readFile(pki.ca)).publicKey), true);

    const ca = await loadCa({ dir, keySecret: 'operator secret' });
    assert.equal(ca.privateKey.extractable, false);
    const { csrPem } = opensslCsr(s, 'agent', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const issued = await signDeviceCertificate({ ca, csr: csrPem, commonName: 'agent-1', days: 1 });
    assert.equal(new X509Certificate(issued.certificatePem).verify(new X509Certificate(ca.certificatePem).publicKey), true);

    const again = await ensureLocalPki({ dir, keySecret: 'operator secret' });
    assert.equal(again.createdCa, false);
    assert.equal(again.createdServerCert, false);
  });

  it('refuses a wrong secret, and an encrypted key when no secret is given', async () => {
    const dir = join(s.dir, 'enc');
    await assert.rejects(loadCa({ dir, keySecret: 'guess' }), wrongSecret);
    await assert.rejects(ensureLocalPki({ dir, keySecret: 'guess' }), wrongSecret);
    await assert.rejects(loadCa({ dir }), /it is encrypted and no key secret is configured/);
    await assert.rejects(ensureLocalPki({ dir }), /it is encrypted and no key secret is configured/);
  });

  it('migrates an existing plain ca.key to ca.key.enc, keeping the same CA', async () => {
    const dir = join(s.dir, 'plain');
    const first = await ensureLocalPki({ dir });
    assert.equal(first.caKeyIsEncrypted, false);
    const plainKey = await readFile(first.caKey, 'utf8');
    const caPem = await readFile(first.ca, 'utf8');
    const migrated = await ensureLocalPki({ dir, keySecret: 'new secret' });
    assert.equal(migrated.migratedCaKey, true);
    assert.equal(migrated.createdCa, false);
    assert.equal(await readFile(migrated.ca, 'utf8'), caPem);
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('ca.key')), ['ca.key.enc']);
    assert.equal(await decryptPrivateKey(await readFile(migrated.caKeyEncrypted, 'utf8'), 'new secret'), plainKey);
    const ca = await loadCa({ dir, keySecret: 'new secret' });
    assert.equal(ca.certificatePem.trim(), caPem.trim());
  });

  it('keeps both files when a leftover plain key differs from the encrypted one', async () => {
    const dir = join(s.dir, 'enc');
    const other = await ensureLocalPki({ dir: join(s.dir, 'other') });
    await writeFile(join(dir, 'ca.key'), await readFile(other.caKey, 'utf8'));
    await assert.rejects(ensureLocalPki({ dir, keySecret: 'operator secret' }), /hold different keys/);
    assert.ok((await readdir(dir)).includes('ca.key'));
  });
});
