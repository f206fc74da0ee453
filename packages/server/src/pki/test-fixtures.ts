/** Test helpers for the PKI tests: temporary folders, openssl calls and ready-made CAs. Not for production code. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caFromPem, type CertificateAuthority } from './certificate-authority.js';
import { daysFromNow, ecP256, exportPrivateKeyPem, generateKeyPair, randomSerialNumber, x509 } from './x509-crypto.js';

export interface Scratch {
  readonly dir: string;
  path(name: string): string;
  write(name: string, contents: string | Uint8Array): string;
  read(name: string): string;
  remove(): void;
}

export function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pki-test-'));
  return {
    dir,
    path: (name) => join(dir, name),
    write: (name, contents) => {
      writeFileSync(join(dir, name), contents);
      return join(dir, name);
    },
    read: (name) => readFileSync(join(dir, name), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs openssl; returns { status, output } without throwing, so tests can assert on failures too. */
export function openssl(args: readonly string[], options: { cwd?: string } = {}): { status: number; output: string } {
  try {
    const output = execFileSync('openssl', args, { cwd: options.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, output };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    return { status: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Makes a key with `openssl genpkey` options and a CSR for it; returns both PEMs. */
export function opensslCsr(s: Scratch, name: string, genpkeyArgs: readonly string[], subject = '/CN=ignored-by-gatehouse/O=Agent'): { csrPem: string; keyPem: string } {
  const key = s.path(`${name}.key`);
  const csr = s.path(`${name}.csr`);
  const generated = openssl(['genpkey', ...genpkeyArgs, '-out', key]);
  if (generated.status !== 0) throw new Error(`openssl genpkey failed: ${generated.output}`);
  const requested = openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  if (requested.status !== 0) throw new Error(`openssl req failed: ${requested.output}`);
  return { csrPem: readFileSync(csr, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

/** A self-signed EC P-256 root CA, made in-process. */
export async function makeRootCa(name = 'Test root CA', options: { notBefore?: Date; notAfter?: Date } = {}): Promise<CertificateAuthority & { privateKeyPem: string }> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: `CN=${name}, O=Gatehouse tests`,
    notBefore: options.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: options.notAfter ?? daysFromNow(365),
    signingAlgorithm: ecP256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const privateKeyPem = await exportPrivateKeyPem(keys.privateKey);
  return { ...(await caFromPem({ certificatePem: cert.toString('pem'), privateKeyPem })), privateKeyPem };
}
