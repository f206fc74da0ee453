/**
 * The first-run local PKI in `<home>/pki`, created only when missing: a root CA, a server certificate,
 * and optionally an intermediate CA that signs device certificates in the root's place.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { caFromPem, type CertificateAuthority } from './certificate-authority.js';
import { certificateChainPem } from './intermediate-ca.js';
import { issueLeafCertificate } from './issue-certificate.js';
import { ensureIntermediateFiles, loadIntermediateFiles, type IntermediateFiles } from './local-intermediate.js';
import { encryptPlainKeyFile, readIfExists, readKeyFile, writeKeyFile, writeSecret } from './local-pki-files.js';
import { PkiError } from './pki-error.js';
import { reissueRootForIntermediate, rootPathLength } from './root-path-length.js';
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
  /** The intermediate CA (`pki.intermediate`), signed by the root; its key beside it, plain or encrypted like the root's. */
  readonly intermediate: string;
  readonly intermediateKey: string;
  readonly intermediateKeyEncrypted: string;
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
  /** True when this call made a new intermediate CA (first run with `intermediate`, a new root, or renewal). */
  readonly createdIntermediate: boolean;
  /**
   * True when this call re-signed `ca.pem` (same key and subject) because it said pathLen 0 and an
   * intermediate must sit below it; the old certificate is kept as `ca-<first 12 hex of its id>.pem`.
   */
  readonly reissuedRoot: boolean;
}

export function localPkiPaths(dir: string): LocalPkiPaths {
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    caKeyEncrypted: join(dir, 'ca.key.enc'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    intermediate: join(dir, 'intermediate.pem'),
    intermediateKey: join(dir, 'intermediate.key'),
    intermediateKeyEncrypted: join(dir, 'intermediate.key.enc'),
  };
}

function intermediateFiles(paths: LocalPkiPaths): IntermediateFiles {
  return { cert: paths.intermediate, key: { plain: paths.intermediateKey, encrypted: paths.intermediateKeyEncrypted } };
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
 * With `intermediate`, it also keeps an intermediate CA signed by the root in `intermediate.pem`
 * (key kept as the root's is), made when missing, when the root is new, and 30 days before it ends.
 * A root from before (pathLen 0) is re-signed with pathLen 1 first. The server certificate stays
 * signed by the root, which is what agents trust.
 *
 * @example
 * const pki = await ensureLocalPki({ dir: '/var/lib/gatehouse/pki', hostnames: ['mqtt.example.com'], keySecret, intermediate: true });
 * if (pki.createdCa) console.log(`New CA at ${pki.ca}`);
 */
export async function ensureLocalPki(options: { dir: string; hostnames?: readonly string[]; keySecret?: string | undefined; intermediate?: boolean }): Promise<LocalPki> {
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
    await writeKeyFile(caKeyFiles(paths), caKeyPem, keySecret);
    await writeFile(paths.ca, caCertPem, { mode: 0o644 });
    createdCa = true;
  } else if (keySecret !== undefined) {
    migratedCaKey = await encryptPlainKeyFile(caKeyFiles(paths), keySecret);
  }
  // An intermediate key left plain by a run without a secret is encrypted too, even with the option off.
  if (keySecret !== undefined) await encryptPlainKeyFile(intermediateFiles(paths).key, keySecret);
  let reissuedRoot = false;
  let createdIntermediate = false;
  if (options.intermediate === true) {
    let root = await caFromPem({ certificatePem: caCertPem, privateKeyPem: caKeyPem });
    const reissued = await reissueRootForIntermediate(root);
    if (reissued !== undefined) {
      // The old certificate stays beside it: devices it signed name its id, and its CRL is still served.
      await writeFile(join(paths.dir, `ca-${root.id.slice(0, 12)}.pem`), caCertPem, { mode: 0o644 });
      await writeFile(paths.ca, reissued, { mode: 0o644 });
      caCertPem = reissued;
      root = await caFromPem({ certificatePem: caCertPem, privateKeyPem: caKeyPem });
      reissuedRoot = true;
    }
    createdIntermediate = await ensureIntermediateFiles({ files: intermediateFiles(paths), root, keySecret });
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
  return { ...paths, createdCa, createdServerCert, caKeyIsEncrypted, migratedCaKey, createdIntermediate, reissuedRoot };
}

/**
 * The CA key PEM from `dir`, decrypting `ca.key.enc` when a secret is given. An encrypted key wins
 * over a plain one: the plain one is then a leftover of an interrupted migration.
 */
export async function readCaKey(paths: LocalPkiPaths, keySecret: string | undefined): Promise<string | undefined> {
  return readKeyFile(caKeyFiles(paths), keySecret);
}

function caKeyFiles(paths: LocalPkiPaths): { plain: string; encrypted: string } {
  return { plain: paths.caKey, encrypted: paths.caKeyEncrypted };
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
  return caFromPem(await readRoot(localPkiPaths(options.dir), options.keySecret));
}

async function readRoot(paths: LocalPkiPaths, keySecret: string | undefined): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const certificatePem = await readIfExists(paths.ca);
  const privateKeyPem = await readCaKey(paths, keySecret);
  if (certificatePem === undefined || privateKeyPem === undefined) {
    throw new PkiError('CA_KEY_UNREADABLE', `Cannot load the CA from ${paths.dir}: ca.pem or its key is missing`);
  }
  return { certificatePem, privateKeyPem };
}

/** Earlier certificates of the root's own key (`ca-<id>.pem`, left by a re-signing), loaded with that key. */
async function loadFormerRoots(paths: LocalPkiPaths, rootKeyPem: string): Promise<CertificateAuthority[]> {
  const names = (await readdir(paths.dir)).filter((name) => /^ca-[0-9a-f]{12}\.pem$/.test(name)).sort();
  const loaded = await Promise.all(names.map(async (name) => {
    const certificatePem = await readFile(join(paths.dir, name), 'utf8');
    // Another key's certificate (an older root the operator kept) is no CA this node can sign for.
    return caFromPem({ certificatePem, privateKeyPem: rootKeyPem }).catch(() => undefined);
  }));
  return loaded.filter((ca) => ca !== undefined);
}

/** Gatehouse's own CAs as loaded for signing: which signs devices, and which CRLs this node can sign. */
export interface GatehouseCas {
  /** Signs device certificates: the intermediate when it is on, else the root. */
  readonly signing: CertificateAuthority;
  /** What agents trust for the server (`ca.pem`); it signs the server certificate and the intermediate. */
  readonly root: CertificateAuthority;
  /** The intermediate in `intermediate.pem`, also when it was turned off later: its devices still need its CRL. */
  readonly intermediate?: CertificateAuthority;
  /**
   * Every CA above, root first, with the root's earlier certificates (same key, from before a
   * re-signing) after it: each signs its own CRL, and devices signed under each keep their CA record.
   */
  readonly all: readonly CertificateAuthority[];
  /** PEM of the signing CA up to the root: the intermediate then the root, or the root alone. */
  readonly chainPem: string;
}

/**
 * Loads the root and, when `intermediate.pem` exists, the intermediate CA in `dir`, and picks the
 * one that signs device certificates: the intermediate when `intermediate` is true (it must exist:
 * `ensureLocalPki` makes it), else the root. Keys are decrypted with `keySecret` as `loadCa` does.
 *
 * @example
 * const cas = await loadSigningCa({ dir: '/var/lib/gatehouse/pki', keySecret, intermediate: true });
 * const issued = await signDeviceCertificate({ ca: cas.signing, csr, commonName: 'agent-7', days: 365 });
 * await writeFile('chain.pem', certificateChainPem([issued.certificatePem, cas.signing]));
 */
export async function loadSigningCa(options: { dir: string; keySecret?: string | undefined; intermediate?: boolean }): Promise<GatehouseCas> {
  const paths = localPkiPaths(options.dir);
  const rootFiles = await readRoot(paths, options.keySecret);
  const root = await caFromPem(rootFiles);
  const formerRoots = await loadFormerRoots(paths, rootFiles.privateKeyPem);
  const intermediate = await loadIntermediateFiles(intermediateFiles(paths), options.keySecret);
  if (options.intermediate === true && intermediate === undefined) {
    throw new PkiError('CA_KEY_UNREADABLE', `Cannot load the intermediate CA from ${paths.dir}: intermediate.pem is missing (ensureLocalPki makes it)`);
  }
  const signing = options.intermediate === true && intermediate !== undefined ? intermediate : root;
  const chainPem = certificateChainPem(signing === root ? [root] : [signing, root]);
  return { signing, root, ...(intermediate === undefined ? {} : { intermediate }), all: [root, ...formerRoots, ...(intermediate === undefined ? [] : [intermediate])], chainPem };
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
      new x509.BasicConstraintsExtension(true, rootPathLength, true),
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
