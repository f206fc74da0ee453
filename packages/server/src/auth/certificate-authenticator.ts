/**
 * Client-certificate authentication for MQTT over TLS: a connect hook that admits a certificate only
 * when it is registered, ACTIVE, within its validity and issued by an ACTIVE CA of its tenant.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { Logger, PeerInfo } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import type { CertificateRecord, IdentityStore } from '../store/index.js';
import type { Principal } from './principal.js';

/**
 * What the authenticator reads of a CONNECT; the broker's `ConnectEvent` has these fields. (auth/ may
 * not import broker/, so the hook is typed structurally and the broker's hook list accepts it.)
 */
export interface CertificateConnectEvent {
  readonly clientId: string;
  readonly peer: PeerInfo;
}

/** The hook's answer; each variant is one of the broker's `HookResult`s. */
export type CertificateDecision =
  | { readonly kind: 'allow'; readonly principal: Principal }
  | { readonly kind: 'defer' }
  | { readonly kind: 'deny'; readonly reasonCode: number; readonly reason: string };

export interface CertificateAuthenticatorOptions {
  readonly identity: IdentityStore;
  readonly logger: Logger;
  /**
   * The tenant a connection must belong to, when the listener or endpoint decides it (one endpoint
   * per tenant). Undefined (or returning undefined) accepts the tenant the certificate is registered to.
   */
  readonly tenantFor?: (event: CertificateConnectEvent) => string | undefined;
  /**
   * Just-in-time provisioning: called for a certificate nobody registered; answers the record it
   * registered (thing created, policies attached) or undefined when no CA with auto-registration
   * issued it. Absent: unknown certificates are refused.
   */
  readonly provisionUnknown?: (der: Buffer, id: string) => Promise<CertificateRecord | undefined>;
  /** Epoch ms; for tests. */
  readonly now?: () => number;
}

/** Length of the id prefix in reason strings: enough to find the certificate, short enough to read. */
const ID_PREFIX = 12;

/**
 * Makes the connect hook. Connections without a verified client certificate are deferred, so other
 * methods or the anonymous policy decide. Every connect reads the store afresh: there is no cache
 * across connections, because a revocation must bite on the next connect.
 *
 * @example
 * const broker = new Broker({ store, logger, features: { allowAnonymous: false },
 *   hooks: { connect: [createCertificateAuthenticator({ identity, logger })] } });
 */
export function createCertificateAuthenticator(options: CertificateAuthenticatorOptions): (event: CertificateConnectEvent) => Promise<CertificateDecision> {
  const now = options.now ?? Date.now;
  return async (event) => {
    const der = event.peer.clientCertificate;
    if (der === undefined) return { kind: 'defer' };
    const id = createHash('sha256').update(der).digest('hex');
    try {
      const decision = await decide(options, event, der, id, now());
      if (decision.kind === 'deny') options.logger.info({ clientId: event.clientId, peer: event.peer.remoteAddress, certificateId: id, reason: decision.reason }, 'client certificate refused');
      return decision;
    } catch (error) {
      // The store is down (or a CA record is unreadable): refuse this once rather than let anyone in.
      options.logger.warn({ clientId: event.clientId, certificateId: id, err: error instanceof Error ? error.message : String(error) }, 'cannot check client certificate');
      return deny(ReasonCode.ServerUnavailable, `Cannot check certificate ${short(id)} now: the identity store is unavailable`);
    }
  };
}

async function decide(options: CertificateAuthenticatorOptions, event: CertificateConnectEvent, der: Buffer, id: string, at: number): Promise<CertificateDecision> {
  const record = (await options.identity.getCertificate(id)) ?? (await options.provisionUnknown?.(der, id));
  if (record === undefined) return deny(ReasonCode.NotAuthorized, `Certificate ${short(id)} is not registered, and no registered CA with auto-registration issued it`);
  if (record.status !== 'ACTIVE') return deny(ReasonCode.NotAuthorized, `Certificate ${short(id)} is ${record.status}`);
  const expected = options.tenantFor?.(event);
  if (expected !== undefined && expected !== record.tenant) return deny(ReasonCode.NotAuthorized, `Certificate ${short(id)} does not belong to tenant "${expected}"`);
  const dates = checkValidity(record, at);
  if (dates !== undefined) return deny(ReasonCode.NotAuthorized, dates);
  const ca = await options.identity.getCa(record.tenant, record.caId);
  if (ca === undefined) return deny(ReasonCode.NotAuthorized, `CA ${short(record.caId)} of certificate ${short(id)} is not registered for tenant "${record.tenant}"`);
  if (ca.status !== 'ACTIVE') return deny(ReasonCode.NotAuthorized, `CA ${short(ca.id)} of certificate ${short(id)} is ${ca.status}`);
  if (ca.notAfter <= at) return deny(ReasonCode.NotAuthorized, `CA ${short(ca.id)} of certificate ${short(id)} expired at ${new Date(ca.notAfter).toISOString()}`);
  // TLS checked the chain against the listener's whole CA bundle; this pins it to the CA on record.
  if (!issuedBy(der, ca.certificatePem)) return deny(ReasonCode.NotAuthorized, `Certificate ${short(id)} was not issued by its registered CA ${short(ca.id)}`);
  return {
    kind: 'allow',
    principal: {
      kind: 'certificate',
      tenant: record.tenant,
      ...(record.thing === undefined ? {} : { thingName: record.thing }),
      certificateId: id,
      certificateNotAfter: record.notAfter,
      clientId: event.clientId,
      sourceIp: event.peer.remoteAddress,
      attributes: {},
    },
  };
}

/** The reason a record is outside its validity at `at`, or undefined when it is valid. */
export function checkValidity(record: Pick<CertificateRecord, 'id' | 'notBefore' | 'notAfter'>, at: number): string | undefined {
  if (at < record.notBefore) return `Certificate ${short(record.id)} is not valid before ${new Date(record.notBefore).toISOString()}`;
  if (at >= record.notAfter) return `Certificate ${short(record.id)} expired at ${new Date(record.notAfter).toISOString()}`;
  return undefined;
}

function issuedBy(der: Buffer, caPem: string): boolean {
  try {
    const leaf = new X509Certificate(der);
    const ca = new X509Certificate(caPem);
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  } catch {
    return false;
  }
}

function deny(reasonCode: number, reason: string): CertificateDecision {
  return { kind: 'deny', reasonCode, reason };
}

function short(id: string): string {
  return id.slice(0, ID_PREFIX);
}
