/** Intermediate CAs under a Gatehouse root, and the chain an agent is handed with its certificate. */
import { X509Certificate as NodeCertificate } from 'node:crypto';
import { caFromPem, type CertificateAuthority } from './certificate-authority.js';
import { PkiError } from './pki-error.js';
import { authorityKeyIdentifier } from './sign-device-certificate.js';
import { daysFromNow, exportPrivateKeyPem, generateKeyPair, randomSerialNumber, x509 } from './x509-crypto.js';

export interface IntermediateCa {
  readonly ca: CertificateAuthority;
  /**
   * The new CA's key as PKCS#8 PEM, returned once so the caller can store it (encrypted with
   * `encryptPrivateKey`); `ca.privateKey` itself cannot be exported.
   */
  readonly privateKeyPem: string;
}

/**
 * Makes an EC P-256 intermediate CA signed by `rootCa`: cA=true with pathLen 0 (it signs device
 * certificates, not further CAs), keyCertSign and cRLSign. Its validity ends no later than the root's.
 *
 * @example
 * const { ca: intermediate, privateKeyPem } = await createIntermediateCa({ rootCa, subject: 'CN=Gatehouse devices 2025, O=Example', days: 1825 });
 */
export async function createIntermediateCa(options: { rootCa: CertificateAuthority; subject: string; days: number; now?: Date }): Promise<IntermediateCa> {
  const { rootCa } = options;
  const now = options.now ?? new Date();
  const keys = await generateKeyPair();
  const notAfter = new Date(Math.min(daysFromNow(options.days, now).getTime(), rootCa.certificate.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: options.subject,
    issuer: rootCa.certificate.subjectName,
    notBefore: new Date(now.getTime() - 5 * 60 * 1000),
    notAfter,
    signingAlgorithm: rootCa.signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: rootCa.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await authorityKeyIdentifier(rootCa.certificate),
    ],
  });
  const privateKeyPem = await exportPrivateKeyPem(keys.privateKey);
  return { ca: await caFromPem({ certificatePem: cert.toString('pem'), privateKeyPem }), privateKeyPem };
}

/**
 * Joins certificates into one PEM chain, leaf first, each followed by its issuer (the root may be
 * left out, as TLS peers already hold it). Throws `PkiError` (`CHAIN_INVALID`) when one is not
 * signed by the next, so a wrong order never reaches an agent.
 *
 * @example
 * const chainPem = certificateChainPem([issued.certificatePem, intermediate]);
 */
export function certificateChainPem(certificates: readonly (string | { readonly certificatePem: string })[]): string {
  const parsed = certificates.map((item, index) => {
    const pem = typeof item === 'string' ? item : item.certificatePem;
    try {
      return new NodeCertificate(pem);
    } catch {
      throw new PkiError('CHAIN_INVALID', `Cannot build the chain: item ${index} is not a certificate`);
    }
  });
  for (let i = 0; i + 1 < parsed.length; i++) {
    const [child, parent] = [parsed[i]!, parsed[i + 1]!];
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      throw new PkiError('CHAIN_INVALID', `Cannot build the chain: "${child.subject}" is not signed by "${parent.subject}"`);
    }
  }
  return parsed.map((cert) => cert.toString().trimEnd() + '\n').join('');
}
