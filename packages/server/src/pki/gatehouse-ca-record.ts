/** The registry record of Gatehouse's own CA for a tenant: registration and fleet provisioning write it. */
import { X509Certificate } from 'node:crypto';
import type { CaRecord } from '../store/index.js';
import { distinguishedNameText } from './subject-text.js';
import type { CertificateAuthority } from './certificate-authority.js';

/**
 * The record that lets a tenant's certificates signed by Gatehouse's CA connect (the certificate
 * authenticator wants the issuer registered, ACTIVE, with the certificate's tenant).
 *
 * @example
 * if (!(await store.getCa('default', ca.id))) await store.putCa(gatehouseCaRecord(ca, 'default', Date.now()));
 */
export function gatehouseCaRecord(ca: CertificateAuthority, tenant: string, now: number): CaRecord {
  return {
    id: ca.id,
    tenant,
    certificatePem: ca.certificatePem,
    kind: 'gatehouse',
    status: 'ACTIVE',
    autoRegistration: false,
    createdAt: now,
    subject: distinguishedNameText(new X509Certificate(ca.certificatePem).subject),
    notAfter: ca.certificate.notAfter.getTime(),
  };
}
