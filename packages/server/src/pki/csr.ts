/**
 * PKCS#10 certificate signing requests from agents: parsing, and the checks before Gatehouse signs
 * one (self-signature, key type and size).
 *
 * Keys accepted are those AWS IoT accepts: EC P-256 and P-384, and RSA of 2048 bits or more. P-521
 * and Ed25519 are refused: AWS refuses them, and some TLS stacks that agents use (and the AWS device
 * SDKs' TLS on some platforms) do not offer them for client authentication.
 */
import { createPublicKey } from 'node:crypto';
import { PkiError } from './pki-error.js';
import { toDer, x509 } from './x509-crypto.js';

/** The biggest CSR we parse: a 4096-bit RSA CSR with a few extensions is under 2 KB. */
const maxCsrBytes = 16 * 1024;
const minRsaBits = 2048;
const supportedCurves: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384' };
const unsupportedKeyMessage = (type: string): string => `Key type ${type} is not supported: use EC P-256, EC P-384 or RSA 2048+`;

export type CsrKeyInfo =
  | { readonly kind: 'ec'; readonly curve: 'P-256' | 'P-384' }
  | { readonly kind: 'rsa'; readonly bits: number }
  | { readonly kind: 'unsupported'; readonly description: string };

export interface ParsedCsr {
  /** The request's DER bytes. */
  readonly der: Buffer;
  /** The subject as the agent wrote it, e.g. `CN=agent-7, O=Example`. Gatehouse does not copy it into certificates. */
  readonly subject: string;
  /** The subject public key info (DER), which the certificate will carry. */
  readonly publicKeySpki: Buffer;
  readonly key: CsrKeyInfo;
  /** The parsed request, for signing. */
  readonly request: x509.Pkcs10CertificateRequest;
}

/**
 * Parses a PEM (`CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST`) or DER CSR. Throws `PkiError`
 * (`CSR_INVALID`) on anything that is not one; it does not check the signature (see `verifyCsr`).
 *
 * @example
 * const csr = parseCsr(body.certificateSigningRequest);
 * console.log(csr.subject, csr.key); // 'CN=agent-7' { kind: 'ec', curve: 'P-256' }
 */
export function parseCsr(pemOrDer: string | Uint8Array): ParsedCsr {
  if (pemOrDer.length > maxCsrBytes * 2) throw new PkiError('CSR_INVALID', `Cannot read the CSR: it is larger than ${maxCsrBytes} bytes`);
  let der: Buffer;
  try {
    der = toDer(pemOrDer, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
  } catch {
    throw new PkiError('CSR_INVALID', 'Cannot read the CSR: no PEM CERTIFICATE REQUEST block found');
  }
  if (der.length > maxCsrBytes) throw new PkiError('CSR_INVALID', `Cannot read the CSR: it is larger than ${maxCsrBytes} bytes`);
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(der);
  } catch {
    throw new PkiError('CSR_INVALID', 'Cannot read the CSR: it is not a valid PKCS#10 request');
  }
  const publicKeySpki = Buffer.from(request.publicKey.rawData);
  return { der, subject: request.subject, publicKeySpki, key: describeKey(publicKeySpki), request };
}

/**
 * Checks a CSR before signing: the key must be EC P-256/P-384 or RSA 2048+, and the request must
 * be signed by that key (proof that the agent holds the private key). Returns the parsed CSR;
 * throws `PkiError` with `KEY_TYPE_UNSUPPORTED`, `KEY_TOO_WEAK` or `CSR_SIGNATURE_INVALID`.
 *
 * @example
 * const csr = await verifyCsr(pem); // throws 'CSR signature does not verify' for a tampered request
 */
export async function verifyCsr(csr: ParsedCsr | string | Uint8Array): Promise<ParsedCsr> {
  const parsed = typeof csr === 'string' || csr instanceof Uint8Array ? parseCsr(csr) : csr;
  const { key } = parsed;
  switch (key.kind) {
    case 'ec':
      break;
    case 'rsa':
      if (key.bits < minRsaBits) {
        throw new PkiError('KEY_TOO_WEAK', `RSA key of ${key.bits} bits is too weak: at least ${minRsaBits} bits are required`);
      }
      break;
    case 'unsupported':
      throw new PkiError('KEY_TYPE_UNSUPPORTED', unsupportedKeyMessage(key.description));
    default:
      key satisfies never;
  }
  const hash = parsed.request.signatureAlgorithm.hash?.name;
  if (hash === 'SHA-1' || hash === 'MD5') {
    throw new PkiError('CSR_SIGNATURE_INVALID', `CSR is signed with ${hash}, which is too weak: sign it with SHA-256 or stronger`);
  }
  let verified = false;
  try {
    verified = await parsed.request.verify();
  } catch {
    // An unknown signature algorithm, or a signature that is not even well-formed: either way it does not verify.
  }
  if (!verified) throw new PkiError('CSR_SIGNATURE_INVALID', 'CSR signature does not verify');
  return parsed;
}

function describeKey(spki: Buffer): CsrKeyInfo {
  let key;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    return { kind: 'unsupported', description: 'unknown' };
  }
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') {
    const curve = supportedCurves[details.namedCurve ?? ''];
    if (curve === 'P-256' || curve === 'P-384') return { kind: 'ec', curve };
    return { kind: 'unsupported', description: `EC ${curveName(details.namedCurve)}` };
  }
  if (type === 'rsa') return { kind: 'rsa', bits: details.modulusLength ?? 0 };
  return { kind: 'unsupported', description: type === 'ed25519' ? 'Ed25519' : type === 'ed448' ? 'Ed448' : type.toUpperCase() };
}

function curveName(nodeName: string | undefined): string {
  if (nodeName === 'secp521r1') return 'P-521';
  return nodeName ?? 'unknown curve';
}
