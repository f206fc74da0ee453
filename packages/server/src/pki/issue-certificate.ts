/** Issuing leaf certificates (server and client) signed by a CA given as PEM. */
import { isIP } from 'node:net';
import { daysFromNow, exportPrivateKeyPem, generateKeyPair, importSigningKey, randomSerialNumber, x509 } from './x509-crypto.js';

export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface IssueLeafOptions {
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly commonName: string;
  readonly days: number;
  readonly usage: 'server' | 'client';
  /** DNS names and IP addresses for the subjectAltName extension. */
  readonly altNames?: readonly string[];
}

/** Makes a fresh EC P-256 key and a certificate for it signed by the CA. */
export async function issueLeafCertificate(options: IssueLeafOptions): Promise<IssuedCertificate> {
  const ca = new x509.X509Certificate(options.caCertPem);
  const signer = await importSigningKey(options.caKeyPem);
  const keys = await generateKeyPair();
  // Backdated a little so a peer whose clock runs slow still accepts a certificate made just now.
  const notBefore = new Date(Date.now() - 5 * 60 * 1000);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([options.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
  ];
  if (options.altNames !== undefined && options.altNames.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(options.altNames.map((name) => ({ type: isIP(name) === 0 ? 'dns' : 'ip', value: name }))),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: [{ CN: [options.commonName] }],
    issuer: ca.subject,
    notBefore,
    notAfter: daysFromNow(options.days),
    signingAlgorithm: signer.algorithm,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    extensions,
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/**
 * Issues a client certificate (clientAuth) for mTLS, signed by the given CA.
 *
 * @example
 * const { certPem, keyPem } = await issueClientCertificate({ caCertPem, caKeyPem, commonName: 'agent-7', days: 1 });
 */
export function issueClientCertificate(options: { caCertPem: string; caKeyPem: string; commonName: string; days: number }): Promise<IssuedCertificate> {
  return issueLeafCertificate({ ...options, usage: 'client' });
}
