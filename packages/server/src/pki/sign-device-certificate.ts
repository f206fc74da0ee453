/** Signing an agent's certificate from its CSR: Gatehouse sets the subject, the agent keeps its key. */
import { certificateId } from './certificate-id.js';
import type { CertificateAuthority } from './certificate-authority.js';
import { verifyCsr, type ParsedCsr } from './csr.js';
import { daysFromNow, randomSerialNumber, x509 } from './x509-crypto.js';

export interface SignedDeviceCertificate {
  readonly certificatePem: string;
  /** SHA-256 fingerprint of the certificate's DER, lower-case hex: the registry id. */
  readonly id: string;
  /** Hex, as `openssl x509 -serial` prints it (lower case). */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface SignDeviceCertificateOptions {
  readonly ca: CertificateAuthority;
  /** The agent's CSR (PEM, DER or parsed); it is verified again here. Its subject is ignored. */
  readonly csr: ParsedCsr | string | Uint8Array;
  /** The thing name: the certificate's only subject field. */
  readonly commonName: string;
  readonly days: number;
  /** Hex serial; a random positive 128-bit one by default. */
  readonly serialNumber?: string;
  /** For tests: the issue time. Defaults to now. */
  readonly now?: Date;
  /** URLs where the CA's CRL is published, written as the CRL Distribution Points extension. */
  readonly crlDistributionPoints?: readonly string[];
}

// Backdated a little so a peer whose clock runs slow still accepts a certificate made just now.
const backdateMs = 5 * 60 * 1000;

/**
 * Signs a client certificate for an agent: subject `CN=<thing name>` whatever the CSR said, the
 * CSR's public key, clientAuth EKU, digitalSignature key usage, SKI and AKI, a random serial, and CRL
 * Distribution Points when given. Throws
 * `PkiError` when the CSR's signature or key is refused (see `verifyCsr`).
 *
 * @example
 * const issued = await signDeviceCertificate({ ca, csr: csrPem, commonName: 'agent-7', days: 365 });
 * await registry.add({ id: issued.id, serialNumber: issued.serialNumber, notAfter: issued.notAfter });
 */
export async function signDeviceCertificate(options: SignDeviceCertificateOptions): Promise<SignedDeviceCertificate> {
  const { ca, commonName, days } = options;
  if (commonName.length === 0 || commonName.length > 128 || /[\u0000-\u001f\u007f]/.test(commonName)) {
    throw new TypeError(`Cannot sign a certificate for "${commonName}": the common name must be 1-128 printable characters`);
  }
  if (!(days > 0 && Number.isFinite(days))) throw new TypeError(`Cannot sign a certificate for ${days} days: days must be positive`);
  const csr = await verifyCsr(options.csr);
  // Leading zero bytes would make a non-minimal DER integer.
  const serialNumber = (options.serialNumber ?? randomSerialNumber()).toLowerCase().replace(/^(00)+(?=[0-7])/, '');
  if (!/^[0-7][0-9a-f]*$/.test(serialNumber) || serialNumber.length > 40 || /^0+$/.test(serialNumber)) {
    throw new TypeError(`Cannot use serial number "${serialNumber}": it must be positive hex of at most 20 bytes`);
  }
  const now = options.now ?? new Date();
  // Whole seconds: X.509 time has no fractions, so the returned dates then equal the certificate's.
  const notBefore = new Date(Math.floor((now.getTime() - backdateMs) / 1000) * 1000);
  const notAfter = new Date(Math.floor(daysFromNow(days, now).getTime() / 1000) * 1000);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber.length % 2 === 0 ? serialNumber : `0${serialNumber}`,
    subject: [{ CN: [commonName] }],
    issuer: ca.certificate.subjectName,
    notBefore,
    notAfter,
    signingAlgorithm: ca.signingAlgorithm,
    publicKey: csr.request.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(csr.request.publicKey),
      await authorityKeyIdentifier(ca.certificate),
      ...(options.crlDistributionPoints === undefined || options.crlDistributionPoints.length === 0
        ? []
        : [new x509.CRLDistributionPointsExtension([...options.crlDistributionPoints])]),
    ],
  });
  const certificatePem = cert.toString('pem');
  return { certificatePem, id: certificateId(certificatePem), serialNumber: cert.serialNumber.toLowerCase(), notBefore, notAfter };
}

/**
 * The AKI must equal the issuer's SKI for path building; a customer CA may have computed its SKI
 * another way than SHA-1 of the key, so copy it when present.
 */
export async function authorityKeyIdentifier(issuer: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski !== null) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
  return x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey);
}
