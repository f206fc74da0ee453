/**
 * Registering a customer's CA, as AWS RegisterCACertificate does: the customer proves they hold the
 * CA's key by signing a verification certificate whose CN is a registration code we handed out.
 */
import { randomBytes, X509Certificate as NodeCertificate } from 'node:crypto';
import { certificateId } from './certificate-id.js';
import { PkiError } from './pki-error.js';
import { distinguishedNameText } from './subject-text.js';
import { x509 } from './x509-crypto.js';

/**
 * A fresh registration code: 64 lower-case hex characters (256 random bits), like AWS's
 * GetRegistrationCode.
 *
 * @example
 * const code = registrationCode(); // store it for the tenant, show it to the customer
 */
export function registrationCode(): string {
  return randomBytes(32).toString('hex');
}

export interface VerifiedCaRegistration {
  /** SHA-256 fingerprint of the CA certificate: its id. */
  readonly caId: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The CA certificate, normalised to one PEM block. */
  readonly caCertificatePem: string;
}

/**
 * Checks a CA registration: the CA certificate is a CA (basicConstraints cA=true, keyCertSign when
 * key usage is present) and currently valid; the verification certificate is signed by it, valid,
 * and its CN equals the registration code. Throws `PkiError` (`CA_REGISTRATION_INVALID`) with the
 * reason otherwise.
 *
 * @example
 * const { caId } = verifyCaRegistration({ caCertificatePem, verificationCertificatePem, registrationCode: code });
 */
export function verifyCaRegistration(options: {
  caCertificatePem: string;
  verificationCertificatePem: string;
  registrationCode: string;
  now?: Date;
}): VerifiedCaRegistration {
  const now = (options.now ?? new Date()).getTime();
  const ca = parse(options.caCertificatePem, 'the CA certificate');
  const verification = parse(options.verificationCertificatePem, 'the verification certificate');
  if (!ca.ca) refuse('the CA certificate is not a CA (basicConstraints cA is not true)');
  const keyUsage = new x509.X509Certificate(ca.raw).getExtension(x509.KeyUsagesExtension);
  if (keyUsage !== null && (keyUsage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    refuse('the CA certificate may not sign certificates (key usage lacks keyCertSign)');
  }
  if (new Date(ca.validTo).getTime() < now) refuse('the CA certificate has expired');
  if (new Date(ca.validFrom).getTime() > now) refuse('the CA certificate is not yet valid');
  if (!verification.checkIssued(ca) || !verification.verify(ca.publicKey)) {
    refuse('the verification certificate is not signed by the CA certificate');
  }
  if (new Date(verification.validTo).getTime() < now) refuse('the verification certificate has expired');
  const commonNames = new x509.X509Certificate(verification.raw).subjectName.getField('CN');
  if (commonNames.length !== 1 || commonNames[0] !== options.registrationCode) {
    refuse(`the verification certificate's CN is not the registration code`);
  }
  return {
    caId: certificateId(ca.raw),
    subject: distinguishedNameText(ca.subject),
    notBefore: new Date(ca.validFrom),
    notAfter: new Date(ca.validTo),
    caCertificatePem: ca.toString(),
  };
}

function parse(pem: string, what: string): NodeCertificate {
  try {
    return new NodeCertificate(pem);
  } catch {
    return refuse(`${what} is not a valid PEM certificate`);
  }
}

function refuse(reason: string): never {
  throw new PkiError('CA_REGISTRATION_INVALID', `Cannot register the CA: ${reason}`);
}
