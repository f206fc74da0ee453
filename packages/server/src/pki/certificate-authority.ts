/** CertificateAuthority: a CA certificate with its private key loaded for signing, never as text. */
import { createPrivateKey, createPublicKey, X509Certificate as NodeCertificate, type webcrypto } from 'node:crypto';
import { certificateId } from './certificate-id.js';
import { PkiError } from './pki-error.js';
import { importSigningKeyObject, x509 } from './x509-crypto.js';

export interface CertificateAuthority {
  /** The CA certificate, parsed. */
  readonly certificate: x509.X509Certificate;
  readonly certificatePem: string;
  /** SHA-256 fingerprint of the CA certificate (its id in the registry). */
  readonly id: string;
  /** The signing key; not extractable, so it cannot be written out or logged by accident. */
  readonly privateKey: webcrypto.CryptoKey;
  /** The WebCrypto signature algorithm that fits the key (ECDSA with the curve's hash, or RSA PKCS#1 v1.5 SHA-256). */
  readonly signingAlgorithm: webcrypto.Algorithm;
}

/**
 * Loads a CA from its certificate and private key PEM, checking that the certificate is a CA and
 * that the key belongs to it.
 *
 * @example
 * const ca = await caFromPem({ certificatePem: caPem, privateKeyPem: caKeyPem });
 */
export async function caFromPem(options: { certificatePem: string; privateKeyPem: string }): Promise<CertificateAuthority> {
  let nodeCert: NodeCertificate;
  try {
    nodeCert = new NodeCertificate(options.certificatePem);
  } catch (error) {
    throw new PkiError('CERTIFICATE_INVALID', 'Cannot read the CA certificate: it is not a valid PEM or DER certificate', { cause: error });
  }
  if (!nodeCert.ca) throw new PkiError('CERTIFICATE_INVALID', `Cannot use "${nodeCert.subject}" as a CA: its basicConstraints do not say cA=true`);
  let keyObject;
  try {
    keyObject = createPrivateKey(options.privateKeyPem);
  } catch {
    // The cause is kept off: OpenSSL's message could quote part of the input.
    throw new PkiError('CA_KEY_UNREADABLE', 'Cannot read the CA private key: it is not a valid PEM key');
  }
  const fromKey = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  const fromCert = nodeCert.publicKey.export({ type: 'spki', format: 'der' });
  if (!fromKey.equals(fromCert)) throw new PkiError('CA_KEY_UNREADABLE', 'Cannot use the CA private key: it does not match the CA certificate');
  const signer = await importSigningKeyObject(keyObject);
  const certificatePem = nodeCert.toString();
  return {
    certificate: new x509.X509Certificate(certificatePem),
    certificatePem,
    id: certificateId(certificatePem),
    privateKey: signer.key,
    signingAlgorithm: signer.algorithm,
  };
}
