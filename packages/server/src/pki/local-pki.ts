/** The first-run local PKI: a CA and a server certificate in `<home>/pki`, created only when missing. */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { issueLeafCertificate } from './issue-certificate.js';
import { daysFromNow, ecP256, exportPrivateKeyPem, generateKeyPair, randomSerialNumber, x509 } from './x509-crypto.js';

const caDays = 3650;
const serverDays = 730;

export interface LocalPkiPaths {
  readonly dir: string;
  readonly ca: string;
  readonly caKey: string;
  readonly cert: string;
  readonly key: string;
}

export interface LocalPki extends LocalPkiPaths {
  /** True when this call made a new CA (and so a new server certificate). */
  readonly createdCa: boolean;
  /** True when this call made a new server certificate (first run, new CA, or new hostnames). */
  readonly createdServerCert: boolean;
}

export function localPkiPaths(dir: string): LocalPkiPaths {
  return { dir, ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

/** Names every local server certificate carries, plus the configured ones, without duplicates. */
export function serverAltNames(extra: readonly string[] = []): string[] {
  return [...new Set(['localhost', '127.0.0.1', '::1', hostname(), ...extra].filter((name) => name.length > 0))];
}

/**
 * Makes sure `dir` holds a CA and a server certificate signed by it. Existing files are kept; a
 * server certificate that lacks one of the wanted names is reissued from the existing CA.
 *
 * @example
 * const pki = await ensureLocalPki({ dir: '/var/lib/gatehouse/pki', hostnames: ['mqtt.example.com'] });
 * if (pki.createdCa) console.log(`New CA at ${pki.ca}`);
 */
export async function ensureLocalPki(options: { dir: string; hostnames?: readonly string[] }): Promise<LocalPki> {
  const paths = localPkiPaths(options.dir);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const altNames = serverAltNames(options.hostnames);

  let caCertPem = await readIfExists(paths.ca);
  let caKeyPem = await readIfExists(paths.caKey);
  let createdCa = false;
  if (caCertPem === undefined || caKeyPem === undefined) {
    ({ caCertPem, caKeyPem } = await createCa());
    // Key first: a CA certificate without its key would be kept on the next run and be useless.
    await writeSecret(paths.caKey, caKeyPem);
    await writeFile(paths.ca, caCertPem, { mode: 0o644 });
    createdCa = true;
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
  return { ...paths, createdCa, createdServerCert };
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
