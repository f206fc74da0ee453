/**
 * Roots made before intermediates existed say pathLen 0 (no CA below them), which OpenSSL enforces on
 * the trust anchor: such a root is re-signed by its own key with pathLen 1, same subject and key.
 */
import type { CertificateAuthority } from './certificate-authority.js';
import { randomSerialNumber, x509 } from './x509-crypto.js';

/** The path length a local root needs for one intermediate (which itself has pathLen 0). */
export const rootPathLength = 1;
const basicConstraintsOid = '2.5.29.19';

/**
 * The root re-signed so that one intermediate may sit below it, or undefined when it already allows
 * that. The new certificate keeps the subject, key, key identifier and validity: whatever the old one
 * verified (the server certificate, devices it signed, its CRLs) verifies under the new one too.
 *
 * @example
 * const reissued = await reissueRootForIntermediate(root);
 * if (reissued !== undefined) await writeFile('ca.pem', reissued);
 */
export async function reissueRootForIntermediate(root: CertificateAuthority): Promise<string | undefined> {
  const old = root.certificate;
  const constraints = old.getExtension(x509.BasicConstraintsExtension);
  if (constraints?.ca === true && (constraints.pathLength === undefined || constraints.pathLength >= rootPathLength)) return undefined;
  const keep = old.extensions.filter((extension) => extension.type !== basicConstraintsOid);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: old.subjectName,
    issuer: old.subjectName,
    notBefore: old.notBefore,
    notAfter: old.notAfter,
    signingAlgorithm: root.signingAlgorithm,
    publicKey: old.publicKey,
    signingKey: root.privateKey,
    extensions: [new x509.BasicConstraintsExtension(true, rootPathLength, true), ...keep],
  });
  return cert.toString('pem');
}
