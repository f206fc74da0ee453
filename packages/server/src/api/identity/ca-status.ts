/** Activating and deactivating a tenant's CA; deactivating closes the live connections of the certificates it issued. */
import { disconnectCertificate, type PrincipalConnections } from '../../auth/index.js';
import type { CaRecord, CaStatus, IdentityStore } from '../../store/index.js';

export interface CaStatusChange {
  readonly ca: CaRecord;
  /** Live connections closed on this node. */
  readonly disconnected: number;
}

/**
 * Sets a CA's status. INACTIVE also closes, at once, every live connection of the tenant whose
 * certificate that CA issued (DISCONNECT 0x87 "CA deactivated"); the connect check refuses them
 * from then on. Throws NOT_FOUND when the tenant has no such CA.
 *
 * @example
 * const { disconnected } = await setCaStatusClosing(identity, broker.admin, { tenant: 'acme', id, status: 'INACTIVE' });
 */
export async function setCaStatusClosing(
  identity: IdentityStore,
  connections: PrincipalConnections,
  change: { tenant: string; id: string; status: CaStatus },
): Promise<CaStatusChange> {
  const ca = await identity.setCaStatus(change.tenant, change.id, change.status);
  if (change.status === 'ACTIVE') return { ca, disconnected: 0 };
  const live = new Set<string>();
  for (const principal of connections.listPrincipals()) {
    if (principal.certificateId !== undefined && principal.tenant === change.tenant) live.add(principal.certificateId);
  }
  const records = await Promise.all([...live].map((id) => identity.getCertificate(id)));
  let disconnected = 0;
  for (const record of records) {
    if (record?.caId === change.id && record.tenant === change.tenant) disconnected += disconnectCertificate(record.id, connections, 'CA deactivated');
  }
  return { ca, disconnected };
}
