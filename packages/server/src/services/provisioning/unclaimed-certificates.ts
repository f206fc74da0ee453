/**
 * Deleting certificates that fleet provisioning created and nobody claimed: still PENDING_ACTIVATION,
 * attached to no thing and no policy, an hour (the ownership token's life) after they were made.
 */
import type { CertificateRecord, IdentityStore } from '../../store/index.js';
import { OWNERSHIP_TOKEN_TTL_MS } from './ownership-token.js';

export interface UnclaimedSweepOptions {
  /** The CA fleet provisioning signs with: its id, and its subject as CA records write it. */
  readonly ca: { readonly id: string; readonly subject: string };
  /** Epoch ms. */
  readonly now: number;
  /** Default one hour. */
  readonly ttlMs?: number;
}

/**
 * Deletes every tenant's unclaimed fleet-provisioning certificates whose token has expired and
 * returns their ids. The tenants are those with a record of the CA: fleet provisioning registers the
 * CA with a tenant before its first certificate there. Each deletion re-reads the certificate in a
 * transaction, so one that RegisterThing claimed meanwhile is kept.
 *
 * @example
 * const deleted = await deleteUnclaimedCertificates(identity, { ca: { id: ca.id, subject: ca.certificate.subject }, now: Date.now() });
 */
export async function deleteUnclaimedCertificates(identity: IdentityStore, options: UnclaimedSweepOptions): Promise<string[]> {
  const cutoff = options.now - (options.ttlMs ?? OWNERSHIP_TOKEN_TTL_MS);
  const tenants = (await identity.findCasBySubject(options.ca.subject)).filter((record) => record.id === options.ca.id).map((record) => record.tenant);
  const deleted: string[] = [];
  for (const tenant of new Set(tenants)) {
    const candidates: CertificateRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await identity.listCertificates(tenant, { status: 'PENDING_ACTIVATION', caId: options.ca.id, limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
      candidates.push(...page.items.filter((record) => isUnclaimed(record, cutoff)));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    for (const candidate of candidates) {
      const gone = await identity.transaction(async (tx) => {
        const current = await tx.getCertificate(candidate.id);
        if (current === undefined || !isUnclaimed(current, cutoff)) return false;
        if ((await tx.listAttachedPolicies(tenant, { kind: 'certificate', id: current.id })).length > 0) return false;
        return tx.deleteCertificate(current.id);
      });
      if (gone) deleted.push(candidate.id);
    }
  }
  return deleted;
}

function isUnclaimed(record: CertificateRecord, cutoff: number): boolean {
  return record.issuedBy === 'fleet-provisioning' && record.status === 'PENDING_ACTIVATION' && record.thing === undefined && record.createdAt <= cutoff;
}
