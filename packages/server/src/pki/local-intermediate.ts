/** The local intermediate CA (`pki/intermediate.pem` and its key): made, kept, renewed under the local root. */
import { X509Certificate } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { caFromPem, type CertificateAuthority } from './certificate-authority.js';
import { createIntermediateCa } from './intermediate-ca.js';
import { readIfExists, readKeyFile, writeKeyFile, type CaKeyFiles } from './local-pki-files.js';
import { PkiError } from './pki-error.js';

/** Five years, and never past the root (createIntermediateCa caps it). */
const intermediateDays = 1825;
/** An intermediate this close to its end is replaced on start, unless the root ends first anyway. */
const renewBeforeMs = 30 * 24 * 3600 * 1000;

export interface IntermediateFiles {
  readonly cert: string;
  readonly key: CaKeyFiles;
}

/**
 * Makes sure `files` hold an intermediate CA signed by `root`, valid for more than 30 days (or as
 * long as the root is). One that is missing, half-written, from another root or near its end is
 * replaced; a replaced pair is renamed to `intermediate-<first 12 hex of its id>.pem` / `.key[.enc]`,
 * not deleted, as the certificates it signed still name it. Answers whether it made a new one.
 *
 * @example
 * const created = await ensureIntermediateFiles({ files, root, keySecret });
 */
export async function ensureIntermediateFiles(options: { files: IntermediateFiles; root: CertificateAuthority; keySecret: string | undefined; now?: Date }): Promise<boolean> {
  const { files, root, keySecret } = options;
  const now = options.now ?? new Date();
  const certPem = await readIfExists(files.cert);
  const keyPem = await readKeyFile(files.key, keySecret);
  if (certPem !== undefined && keyPem !== undefined && (await isCurrent({ certPem, keyPem, root, now }))) return false;
  if (certPem !== undefined) await setAside(files, certPem);
  const made = await createIntermediateCa({ rootCa: root, subject: intermediateSubject(now), days: intermediateDays, now });
  // Key first: a certificate without its key would be useless, and is replaced on the next start.
  await writeKeyFile(files.key, made.privateKeyPem, keySecret);
  await writeFile(files.cert, made.ca.certificatePem, { mode: 0o644 });
  return true;
}

/**
 * Loads the intermediate in `files`, or undefined when there is none. A key that is missing, cannot
 * be decrypted or does not match throws `PkiError` (`CA_KEY_UNREADABLE`).
 *
 * @example
 * const intermediate = await loadIntermediateFiles(files, keySecret);
 */
export async function loadIntermediateFiles(files: IntermediateFiles, keySecret: string | undefined): Promise<CertificateAuthority | undefined> {
  const certificatePem = await readIfExists(files.cert);
  if (certificatePem === undefined) return undefined;
  const privateKeyPem = await readKeyFile(files.key, keySecret);
  if (privateKeyPem === undefined) throw new PkiError('CA_KEY_UNREADABLE', `Cannot load the intermediate CA ${files.cert}: its key is missing`);
  return caFromPem({ certificatePem, privateKeyPem });
}

async function isCurrent(options: { certPem: string; keyPem: string; root: CertificateAuthority; now: Date }): Promise<boolean> {
  const { root, now } = options;
  let intermediate: CertificateAuthority;
  try {
    intermediate = await caFromPem({ certificatePem: options.certPem, privateKeyPem: options.keyPem });
  } catch {
    return false;
  }
  const cert = new X509Certificate(intermediate.certificatePem);
  const rootCert = new X509Certificate(root.certificatePem);
  if (!cert.checkIssued(rootCert) || !cert.verify(rootCert.publicKey)) return false;
  const notAfter = intermediate.certificate.notAfter.getTime();
  return notAfter - now.getTime() > renewBeforeMs || notAfter >= root.certificate.notAfter.getTime();
}

/** Renames a replaced intermediate's files aside, so its key stays with the operator. */
async function setAside(files: IntermediateFiles, certPem: string): Promise<void> {
  let tag: string;
  try {
    tag = new X509Certificate(certPem).fingerprint256.replace(/:/g, '').slice(0, 12).toLowerCase();
  } catch {
    tag = `unreadable-${Date.now()}`;
  }
  const aside = (path: string): string => path.replace(/intermediate(\.[^/]*)$/, `intermediate-${tag}$1`);
  for (const path of [files.cert, files.key.plain, files.key.encrypted]) {
    if ((await readIfExists(path)) !== undefined) await rename(path, aside(path));
  }
}

/** A new name per intermediate (the date it was made), so relying parties never mistake one for another. */
function intermediateSubject(now: Date): string {
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '-') || 'localhost';
  return `CN=Gatehouse device CA ${now.toISOString().slice(0, 10)} (${host}), O=Gatehouse`;
}
