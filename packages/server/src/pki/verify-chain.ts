/**
 * Does a client certificate chain to a registered CA? The answer the TLS layer needs: which CA (by
 * id) vouches for the certificate, or one plain reason why none does.
 */
import { X509Certificate as NodeCertificate } from 'node:crypto';
import { certificateId } from './certificate-id.js';
import { pemBlocks } from './x509-crypto.js';

export type ChainFailure = 'INVALID' | 'SELF_SIGNED' | 'UNKNOWN_CA' | 'EXPIRED' | 'NOT_YET_VALID' | 'CA_EXPIRED';

export type ChainVerdict =
  | { readonly ok: true; readonly certificateId: string; /** Id of the registered CA that signed the certificate (or its chain). */ readonly caId: string }
  | ChainRefusal;

export interface ChainRefusal {
  readonly ok: false;
  readonly code: ChainFailure;
  readonly reason: string;
}

/** Intermediates a client may present between its certificate and a registered CA. */
const maxPresentedIntermediates = 4;

/**
 * Checks `certPem` (the client's certificate, optionally followed by intermediates it presented)
 * against registered CA certificates. Parse the CAs once and pass `NodeCertificate`s when calling
 * this per connection. Validity is checked at `now`.
 *
 * @example
 * const verdict = verifyChain(peerPem, registeredCaPems);
 * if (!verdict.ok) socket.destroy(); // verdict.reason: 'Certificate is not signed by a registered CA'
 */
export function verifyChain(certPem: string, cas: readonly (string | NodeCertificate)[], options: { now?: Date } = {}): ChainVerdict {
  const now = (options.now ?? new Date()).getTime();
  let presented: NodeCertificate[];
  let registered: NodeCertificate[];
  try {
    presented = pemBlocks(certPem, 'CERTIFICATE').map((pem) => new NodeCertificate(pem));
    registered = cas.map((ca) => (typeof ca === 'string' ? new NodeCertificate(ca) : ca));
  } catch {
    return fail('INVALID', 'Certificate cannot be parsed');
  }
  const leaf = presented[0];
  if (leaf === undefined) return fail('INVALID', 'Certificate cannot be parsed');
  const id = certificateId(leaf.raw);

  const expiry = checkValidity(leaf, now, 'Certificate');
  let current = leaf;
  const intermediates = presented.slice(1, 1 + maxPresentedIntermediates);
  for (let depth = 0; depth <= intermediates.length; depth++) {
    const anchor = registered.find((ca) => signs(ca, current));
    if (anchor !== undefined) {
      if (expiry !== undefined) return expiry;
      const anchorExpiry = checkValidity(anchor, now, 'The issuing CA certificate');
      if (anchorExpiry !== undefined) return { ...anchorExpiry, code: 'CA_EXPIRED' };
      return { ok: true, certificateId: id, caId: certificateId(anchor.raw) };
    }
    if (depth === 0 && signs(current, current)) return fail('SELF_SIGNED', 'Certificate is self-signed and not from a registered CA');
    const next = intermediates.find((candidate) => candidate.ca && signs(candidate, current));
    if (next === undefined) break;
    const nextExpiry = checkValidity(next, now, 'An intermediate CA certificate');
    if (nextExpiry !== undefined) return { ...nextExpiry, code: 'CA_EXPIRED' };
    current = next;
  }
  return fail('UNKNOWN_CA', 'Certificate is not signed by a registered CA');
}

function signs(issuer: NodeCertificate, child: NodeCertificate): boolean {
  return child.checkIssued(issuer) && child.verify(issuer.publicKey);
}

function checkValidity(cert: NodeCertificate, now: number, what: string): ChainRefusal | undefined {
  if (new Date(cert.validTo).getTime() < now) return fail('EXPIRED', `${what} has expired`);
  if (new Date(cert.validFrom).getTime() > now) return fail('NOT_YET_VALID', `${what} is not yet valid`);
  return undefined;
}

function fail(code: ChainFailure, reason: string): ChainRefusal {
  return { ok: false, code, reason };
}
