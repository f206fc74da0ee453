/** The first-run local PKI: a CA and a server certificate in `<home>/pki`, created only when missing. */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { caFromPem, type CertificateAuthority } from './certificate-authority.js';
import { issueLeafCertificate } from './issue-certificate.js';
import { decryptPrivateKey, encryptPrivateKey } from './key-encryption.js';
import { PkiError } from './pki-error.js';
import { daysFromNow, ecP256, exportPrivateKeyPem, generateKeyPair, randomSerialNumber, x509 } from './x509-crypto.js';

const caDays = 3650;
const serverDays = 730;

export interface LocalPkiPaths {
  readonly dir: string;
  readonly ca: string;
  /** The CA key in plain PEM (used when no key secret is configured). */
  readonly caKey: string;
  /** The CA key encrypted with the key secret (see `encryptPrivateKey`). */
  readonly caKeyEncrypted: string;
  readonly cert: string;
  readonly key: string;
}

export interface LocalPki extends LocalPkiPaths {
  /** True when this call made a new CA (and so a new server certificate). */
  readonly createdCa: boolean;
  /** True when this call made a new server certificate (first run, new CA, or new hostnames). */
  readonly createdServerCert: boolean;
  /** True when the CA key is kept encrypted (`caKeyEncrypted`); then `caKey` does not exist. */
  readonly caKeyIsEncrypted: boolean;
  /** True when this call encrypted an existing plain `ca.key` and removed it. */
  readonly migratedCaKey: boolean;
}

export function localPkiPaths(dir: string): LocalPkiPaths {
  return { dir, ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'), caKeyEncrypted: join(dir, 'ca.key.enc'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

/** Names every local server certificate carries, plus the configured ones, without duplicates. */
export function serverAltNames(extra: readonly string[] = []): string[] {
  return [...new Set(['localhost', '127.0.0.1', '::1', hostname(), ...extra].filter((name) => name.length > 0))];
}

/**
 * Makes sure `dir` holds a CA and a server certificate signed by it. Existing files are kept; a
 * server certificate that lacks one of the wanted names is reissued from the existing CA.
 *
 * With `keySecret`, the CA key is kept only as `ca.key.enc` (AES-256-GCM, scrypt-derived key); a
 * plain `ca.key` left from an earlier run is encrypted and then removed. Without it, an encrypted
 * key is refused with a message saying to configure the secret.
 *
 * @example
 * const pki = await ensureLocalPki({ dir: '/var/lib/gatehouse/pki', hostnames: ['mqtt.example.com'], keySecret });
 * if (pki.createdCa) console.log(`New CA at ${pki.ca}`);
 */
export async function ensureLocalPki(options: { dir: string; hostnames?: readonly string[]; keySecret?: string | undefined }): Promise<LocalPki> {
  const paths = localPkiPaths(options.dir);
  const { keySecret } = options;
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const altNames = serverAltNames(options.hostnames);

  let caCertPem = await readIfExists(paths.ca);
  let caKeyPem = await readCaKey(paths, keySecret);
  let createdCa = false;
  let migratedCaKey = false;
  if (caCertPem === undefined || caKeyPem === undefined) {
    ({ caCertPem, caKeyPem } = await createCa());
    // Key first: a CA certificate without its key would be kept on the next run and be useless.
    if (keySecret === undefined) await writeSecret(paths.caKey, caKeyPem);
    else await writeSecret(paths.caKeyEncrypted, await encryptPrivateKey(caKeyPem, keySecret));
    await writeFile(paths.ca, caCertPem, { mode: 0o644 });
    createdCa = true;
  } else if (keySecret !== undefined && (await readIfExists(paths.caKey)) !== undefined) {
    await migrateCaKey(paths, keySecret);
    migratedCaKey = true;
  }

  const serverPem = await readIfExists(paths.cert);
  const serverKey = await readIfExists(paths.key);
  let createdServerCert = false;
  if (createdCa || serverPem === undefined || serverKey === undefined || !coversNames(serverPem, altNames)) {
    const issued = await issueLeafCertificate({ caCertPem, caKeyPem, commonName: 'localhost', days: serverDays, usage: 'server', altNames });
    await writeSecret(paths.key, issued.keyPem);
    await writeFile(paths.cert, issued.certPem, { mode: 0o644 });
    createdServerCert = true;
  }
  const caKeyIsEncrypted = keySecret !== undefined;
  return { ...paths, createdCa, createdServerCert, caKeyIsEncrypted, migratedCaKey };
}

/**
 * The CA key PEM from `dir`, decrypting `ca.key.enc` when a secret is given. An encrypted key wins
 * over a plain one: the plain one is then a leftover of an interrupted migration.
 */
export async function readCaKey(paths: LocalPkiPaths, keySecret: string | undefined): Promise<string | undefined> {
  const encrypted = await readIfExists(paths.caKeyEncrypted);
  if (encrypted !== undefined) {
    if (keySecret === undefined) {
      throw new PkiError('CA_KEY_UNREADABLE', `Cannot read the CA key ${paths.caKeyEncrypted}: it is encrypted and no key secret is configured`);
    }
    return decryptPrivateKey(encrypted, keySecret);
  }
  return readIfExists(paths.caKey);
}

/**
 * Loads the CA in `dir` for signing: the certificate and its key, decrypted with `keySecret` when
 * the key is kept encrypted. A wrong secret throws `PkiError` (`CA_KEY_UNREADABLE`).
 *
 * @example
 * const ca = await loadCa({ dir: '/var/lib/gatehouse/pki', keySecret });
 * const issued = await signDeviceCertificate({ ca, csr, commonName: 'agent-7', days: 365 });
 */
export async function loadCa(options: { dir: string; keySecret?: string | undefined }): Promise<CertificateAuthority> {
  const paths = localPkiPaths(options.dir);
  const certificatePem = await readIfExists(paths.ca);
  const privateKeyPem = await readCaKey(paths, options.keySecret);
  if (certificatePem === undefined || privateKeyPem === undefined) {
    throw new PkiError('CA_KEY_UNREADABLE', `Cannot load the CA from ${paths.dir}: ca.pem or its key is missing`);
  }
  return caFromPem({ certificatePem, privateKeyPem });
}

/** Writes `ca.key.enc` through a temporary file, checks it decrypts, then removes the plain key. */
async function migrateCaKey(paths: LocalPkiPaths, keySecret: string): Promise<void> {
  const caKeyPem = await readFile(paths.caKey, 'utf8');
  if ((await readIfExists(paths.caKeyEncrypted)) === undefined) {
    const temporary = `${paths.caKeyEncrypted}.tmp`;
    await writeSecret(temporary, await encryptPrivateKey(caKeyPem, keySecret));
    await rename(temporary, paths.caKeyEncrypted);
  }
  if ((await decryptPrivateKey(await readFile(paths.caKeyEncrypted, 'utf8'), keySecret)) !== caKeyPem) {
    // Only reachable when both files exist and disagree: keep both for the operator to sort out.
    throw new PkiError('CA_KEY_UNREADABLE', `Cannot migrate the CA key: ${paths.caKey} and ${paths.caKeyEncrypted} hold different keys`);
  }
  await unlink(paths.caKey);
}

async function createCa(): Promise<{ caCertPem: string; caKeyPem: string }> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ CN: [`Gatehouse local CA (${hostname()})`] }, { O: ['Gatehouse'] }],
    notBefore: new Date(Date.now() - 5 * 60 * 1000),
    notAfter: daysFromNow(caDays),
    signingAlgorithm: ecP256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { caCertPem: cert.toString('pem'), caKeyPem: await exportPrivateKeyPem(keys.privateKey) };
}

function coversNames(certPem: string, names: readonly string[]): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (new Date(cert.validTo).getTime() < Date.now()) return false;
    return names.every((name) => (isIP(name) === 0 ? cert.checkHost(name) !== undefined : cert.checkIP(name) !== undefined));
  } catch {
    return false;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeSecret(path: string, contents: string): Promise<void> {
  await writeFile(path, contents, { mode: 0o600 });
  // writeFile's mode applies only to a new file; an old one keeps its mode otherwise.
  await chmod(path, 0o600);
}
