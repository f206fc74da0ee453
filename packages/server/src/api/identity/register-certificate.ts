/**
 * `POST /v1/certificates`' work: register a device certificate that a CA of the tenant signed
 * elsewhere (AWS RegisterCertificate), typically one of a customer CA without auto-registration.
 */
import { X509Certificate } from 'node:crypto';
import { GatehouseError } from '../../core/index.js';
import { certificateId, distinguishedNameText } from '../../pki/index.js';
import type { CaRecord, CertificateRecord } from '../../store/index.js';
import type { CertificateRegistrationRequest } from './ca-schemas.js';
import type { IdentityServices } from './identity-services.js';

/**
 * Registers the certificate for the tenant once it is known to be a valid, non-CA certificate that
 * an ACTIVE CA registered for that tenant signed. Throws GatehouseError `CERTIFICATE_REJECTED` (400)
 * with the reason, or `CONFLICT` (409) when the certificate is already registered.
 *
 * @example
 * const record = await registerCertificate(services, { certificatePem, tenant: 'acme', thing: 'agent-7' });
 */
export async function registerCertificate(services: IdentityServices, request: CertificateRegistrationRequest): Promise<CertificateRecord> {
  const tenant = request.tenant ?? services.defaultTenant;
  const at = (services.now?.() ?? new Date()).getTime();
  const leaf = parse(request.certificatePem);
  if (leaf.ca) reject('it is a CA certificate; register CAs with POST /v1/cas');
  if (Date.parse(leaf.validTo) <= at) reject(`it expired at ${new Date(leaf.validTo).toISOString()}`);
  if (Date.parse(leaf.validFrom) > at) reject(`it is not valid before ${new Date(leaf.validFrom).toISOString()}`);
  const ca = issuerOf(leaf, await services.store.listCas(tenant));
  if (ca === undefined) {
    const selfSigned = leaf.checkIssued(leaf) && leaf.verify(leaf.publicKey);
    reject(selfSigned
      ? `it is self-signed; only certificates signed by a CA registered for tenant "${tenant}" can be registered`
      : `it was not signed by any CA registered for tenant "${tenant}"; register its CA first (POST /v1/cas)`);
  }
  if (ca.status !== 'ACTIVE') reject(`its CA "${ca.id}" is ${ca.status}`);
  const record: CertificateRecord = {
    id: certificateId(leaf.raw),
    tenant,
    ...(request.thing === undefined ? {} : { thing: request.thing }),
    status: request.status ?? 'ACTIVE',
    certificatePem: leaf.toString(),
    caId: ca.id,
    serialNumber: leaf.serialNumber.toLowerCase(),
    subject: distinguishedNameText(leaf.subject),
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
    issuedBy: ca.kind === 'customer' ? 'customer-ca' : 'gatehouse',
    createdAt: at,
    updatedAt: at,
  };
  await services.store.putCertificate(record);
  return record;
}

function parse(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    return reject('it is not a valid PEM certificate');
  }
}

function issuerOf(leaf: X509Certificate, cas: readonly CaRecord[]): CaRecord | undefined {
  return cas.find((ca) => {
    try {
      const issuer = new X509Certificate(ca.certificatePem);
      return leaf.checkIssued(issuer) && leaf.verify(issuer.publicKey);
    } catch {
      return false;
    }
  });
}

function reject(reason: string): never {
  throw new GatehouseError('CERTIFICATE_REJECTED', { reason });
}
