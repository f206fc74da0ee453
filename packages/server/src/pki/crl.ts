/** Certificate revocation lists that Gatehouse publishes for each of its CAs. */
import type { CertificateAuthority } from './certificate-authority.js';
import { authorityKeyIdentifier } from './sign-device-certificate.js';
import { x509 } from './x509-crypto.js';

export interface RevokedEntry {
  /** Hex serial number, as `SignedDeviceCertificate.serialNumber`. */
  readonly serialNumber: string;
  readonly revokedAt: Date;
  /** RFC 5280 reason; `unspecified` when not given. */
  readonly reason?: keyof typeof x509.X509CrlReason;
}

const crlNumberOid = '2.5.29.20';

/**
 * Signs a CRL (PEM `X509 CRL`, v2, with authority key identifier and CRL number) listing revoked serial numbers.
 * The CRL number defaults to `thisUpdate` in seconds, so successive CRLs from one CA increase.
 *
 * @example
 * const crlPem = await createCrl({ ca, revoked: [{ serialNumber, revokedAt }], thisUpdate: now, nextUpdate: inOneDay });
 */
export async function createCrl(options: {
  ca: CertificateAuthority;
  revoked: readonly RevokedEntry[];
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber?: number;
}): Promise<string> {
  const { ca } = options;
  const crlNumber = options.crlNumber ?? Math.floor(options.thisUpdate.getTime() / 1000);
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.certificate.subjectName,
    thisUpdate: options.thisUpdate,
    nextUpdate: options.nextUpdate,
    signingAlgorithm: ca.signingAlgorithm,
    signingKey: ca.privateKey,
    extensions: [await authorityKeyIdentifier(ca.certificate), new x509.Extension(crlNumberOid, false, derInteger(crlNumber))],
    entries: options.revoked.map((entry) => ({
      serialNumber: normaliseSerial(entry.serialNumber),
      revocationDate: entry.revokedAt,
      // @peculiar/x509 writes an empty entry-extensions SEQUENCE when an entry has none, which
      // RFC 5280 forbids (SIZE 1..MAX); a reason code keeps it non-empty.
      reason: x509.X509CrlReason[entry.reason ?? 'unspecified'],
    })),
  });
  // @peculiar/x509 labels the PEM "CRL"; OpenSSL and RFC 7468 expect "X509 CRL".
  return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
}

/** A non-negative integer as a minimal DER INTEGER. */
function derInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`Cannot use CRL number ${value}: it must be a non-negative integer`);
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if (bytes[0]! >= 0x80) bytes.unshift(0);
  return Uint8Array.from([0x02, bytes.length, ...bytes]);
}

function normaliseSerial(serial: string): string {
  const hex = serial.toLowerCase().replace(/:/g, '');
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}
