/**
 * Revoking and deactivating device certificates: the status change in the identity store and the
 * closing of the live connections that authenticated with the certificate, together.
 */
import { GatehouseError } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import type { CertificateRecord, IdentityStore } from '../store/index.js';
import type { Principal } from './principal.js';

/**
 * The part of the broker that closes connections by principal; `broker.admin` (BrokerAdmin) is one.
 * Typed here because auth/ may not import broker/.
 */
export interface PrincipalConnections {
  disconnectWhere(
    predicate: (connection: { readonly principal: Principal | undefined }) => boolean,
    options: { readonly reasonCode: number; readonly reason: string; readonly label?: string },
  ): number;
  listPrincipals(): Principal[];
}

export interface CertificateStatusChangeOptions {
  readonly identity: IdentityStore;
  readonly connections: PrincipalConnections;
  /** Epoch ms of the change; now by default. */
  readonly at?: number;
}

export interface CertificateStatusChange {
  readonly certificate: CertificateRecord;
  /** Live connections closed on this node. */
  readonly disconnected: number;
}

/**
 * Revokes a certificate (final) and closes its live connections at once: MQTT 5 clients get
 * DISCONNECT 0x87 "Certificate revoked". Throws NOT_FOUND for an unknown id.
 *
 * @example
 * const { disconnected } = await revokeCertificate(id, { identity, connections: broker.admin });
 */
export function revokeCertificate(id: string, options: CertificateStatusChangeOptions): Promise<CertificateStatusChange> {
  return changeStatus(id, 'REVOKED', 'Certificate revoked', options);
}

/**
 * Sets a certificate INACTIVE and closes its live connections (DISCONNECT 0x87 "Certificate
 * deactivated"); it may be activated again later. Throws NOT_FOUND for an unknown id and CONFLICT for a
 * revoked certificate.
 *
 * @example
 * await deactivateCertificate(id, { identity, connections: broker.admin });
 */
export function deactivateCertificate(id: string, options: CertificateStatusChangeOptions): Promise<CertificateStatusChange> {
  return changeStatus(id, 'INACTIVE', 'Certificate deactivated', options);
}

/**
 * Closes the live connections that authenticated with certificate `id` (SigV4 credentials traded
 * for it included); returns how many.
 *
 * @example
 * disconnectCertificate(id, broker.admin, 'Certificate revoked');
 */
export function disconnectCertificate(id: string, connections: PrincipalConnections, reason: string): number {
  return disconnectCertificates(new Set([id]), connections, reason);
}

/**
 * Closes the live connections of any of the certificates `ids`, in one pass over the connections
 * (what the re-check does with a page of changed certificates); returns how many.
 *
 * @example
 * disconnectCertificates(new Set([first, second]), broker.admin, 'Certificate revoked');
 */
export function disconnectCertificates(ids: ReadonlySet<string>, connections: PrincipalConnections, reason: string): number {
  return connections.disconnectWhere(
    (connection) => {
      const id = connection.principal?.certificateId;
      return id !== undefined && ids.has(id);
    },
    { reasonCode: ReasonCode.NotAuthorized, reason, label: 'certificate-revoked' },
  );
}

async function changeStatus(id: string, status: 'REVOKED' | 'INACTIVE', reason: string, options: CertificateStatusChangeOptions): Promise<CertificateStatusChange> {
  const certificate = await options.identity.setCertificateStatus(id, status, options.at ?? Date.now());
  if (certificate === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Certificate', id });
  return { certificate, disconnected: disconnectCertificate(id, options.connections, reason) };
}
