/** Certificate ids: the SHA-256 fingerprint of the DER, as AWS IoT's certificateId is. */
import { createHash } from 'node:crypto';
import { PkiError } from './pki-error.js';
import { toDer } from './x509-crypto.js';

/**
 * The certificate id: SHA-256 of the certificate's DER, 64 lower-case hex characters. For PEM text
 * holding a chain, the first certificate's id.
 *
 * @example
 * certificateId(certificatePem); // 'a3f1…' (64 hex)
 */
export function certificateId(derOrPem: string | Uint8Array): string {
  let der: Buffer;
  try {
    der = toDer(derOrPem, ['CERTIFICATE']);
  } catch {
    throw new PkiError('CERTIFICATE_INVALID', 'Cannot read the certificate: no PEM CERTIFICATE block found');
  }
  return createHash('sha256').update(der).digest('hex');
}
