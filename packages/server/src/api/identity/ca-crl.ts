/**
 * The CRLs of Gatehouse's own CAs (the root, and the intermediate when there is one): every certificate
 * one issued that any tenant revoked, signed with that CA's key on each request. Customer CAs publish
 * their own: Gatehouse does not hold their keys.
 */
import { X509Certificate } from 'node:crypto';
import { GatehouseError } from '../../core/index.js';
import { createCrl, distinguishedNameText, type CertificateAuthority, type RevokedEntry } from '../../pki/index.js';
import type { IdentityServices } from './identity-services.js';

/** How long a relying party may use a CRL before fetching a new one. */
const crlLifetimeMs = 60 * 60 * 1000;

export interface CaCrl {
  /** PEM, `-----BEGIN X509 CRL-----`. */
  readonly pem: string;
  /** DER, served as `application/pkix-crl`. */
  readonly der: Buffer;
}

/**
 * The CRL of CA `caId` as the tenant's registry names it: 404 when the tenant has no such CA, 409 for
 * a customer CA or for a Gatehouse CA whose key is no longer the one loaded.
 *
 * @example
 * const { der } = await tenantCaCrl(services, { tenant: 'acme', caId });
 */
export async function tenantCaCrl(services: IdentityServices, options: { tenant: string; caId: string }): Promise<CaCrl> {
  const { tenant, caId } = options;
  const record = await services.store.getCa(tenant, caId);
  if (record === undefined) throw new GatehouseError('NOT_FOUND', { what: 'CA certificate', id: caId });
  if (record.kind === 'customer') {
    throw new GatehouseError('CONFLICT', { reason: `Cannot build a CRL for CA "${caId}": it is a customer CA and Gatehouse does not hold its key; its owner publishes its CRL` });
  }
  const ca = ownCa(services, caId);
  if (ca === undefined) {
    throw new GatehouseError('CONFLICT', { reason: `Cannot build a CRL for CA "${caId}": Gatehouse no longer holds its key (it is not the CA loaded now)` });
  }
  return buildCrl(services, ca);
}

/**
 * The public CRL (`GET /crl/{caId}.crl` on the agent-facing port): only Gatehouse's own CAs have one;
 * any other id is NOT_FOUND, so the endpoint tells nothing about which customer CAs are registered.
 *
 * @example
 * const { der } = await publicCaCrl(services, caId);
 */
export async function publicCaCrl(services: IdentityServices, caId: string): Promise<CaCrl> {
  const ca = ownCa(services, caId.toLowerCase());
  if (ca === undefined) throw new GatehouseError('NOT_FOUND', { what: 'CRL', id: caId });
  return buildCrl(services, ca);
}

/** The loaded Gatehouse CA with this id (root or intermediate), whose key can sign its CRL. */
function ownCa(services: IdentityServices, caId: string): CertificateAuthority | undefined {
  const loaded = services.ownCas ?? (services.ca === undefined ? [] : [services.ca]);
  return loaded.find((ca) => ca.id === caId);
}

/** The CRL path on the agent-facing port, for CRL Distribution Points. */
export function crlPath(caId: string): string {
  return `/crl/${caId}.crl`;
}

async function buildCrl(services: IdentityServices, ca: CertificateAuthority): Promise<CaCrl> {
  // One CA serves every tenant, and a CRL is per issuer: gather the revocations of every tenant that has it.
  // Records keep the subject in distinguishedNameText form (gatehouseCaRecord), so look it up in that form.
  const records = await services.store.findCasBySubject(distinguishedNameText(new X509Certificate(ca.certificatePem).subject));
  const tenants = new Set(records.filter((r) => r.id === ca.id && r.kind === 'gatehouse').map((r) => r.tenant));
  tenants.add(services.defaultTenant);
  const lists = await Promise.all([...tenants].map((tenant) => services.store.listRevoked(tenant, ca.id)));
  const revoked = new Map<string, RevokedEntry>();
  for (const entry of lists.flat()) revoked.set(entry.serialNumber, { serialNumber: entry.serialNumber, revokedAt: new Date(entry.revokedAt) });
  const now = services.now?.() ?? new Date();
  const signed = await createCrl({ ca, revoked: [...revoked.values()], thisUpdate: now, nextUpdate: new Date(now.getTime() + crlLifetimeMs) });
  // A PEM file ends with a newline (RFC 7468 text, and `>> bundle.pem` stays well-formed).
  const pem = signed.endsWith('\n') ? signed : `${signed}\n`;
  return { pem, der: pemBody(pem) };
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
