/** How far this machine's clock is from the server's, from what the server tells the agent. */
import type { PeerCertificate } from 'node:tls';

/** What the agent reports when its clock is off: `skewMs` > 0 means the local clock is ahead. */
export interface ClockSkew {
  readonly skewMs: number;
  /** Where the server's time came from. */
  readonly source: 'shadow-timestamp' | 'server-certificate';
  readonly message: string;
}

/** Default warning threshold: a minute. TLS and certificate checks tolerate little more. */
export const DEFAULT_CLOCK_SKEW_THRESHOLD_MS = 60_000;

/**
 * Compares a server timestamp (epoch seconds, as AWS shadow replies carry) with local time; undefined
 * when they agree within `thresholdMs`. A one-second timestamp cannot show less than a second of skew,
 * and the message's transit time makes the local clock look ahead by that much; both are far below
 * any threshold worth warning about.
 *
 * @example
 * skewFromServerTime(1_700_000_000, 1_700_003_600_000); // { skewMs: 3600000, source: 'shadow-timestamp', ... }
 */
export function skewFromServerTime(serverSeconds: number, localMs: number, thresholdMs = DEFAULT_CLOCK_SKEW_THRESHOLD_MS): ClockSkew | undefined {
  if (!Number.isFinite(serverSeconds) || serverSeconds <= 0) return undefined;
  const skewMs = localMs - serverSeconds * 1000;
  if (Math.abs(skewMs) <= thresholdMs) return undefined;
  return { skewMs, source: 'shadow-timestamp', message: describe(skewMs, 'the server') };
}

/**
 * A server certificate bounds the server's time: it is valid from `valid_from` on. A certificate
 * that is "not yet valid" by local time means the local clock is behind at least that much. (Node
 * refuses such a certificate in the handshake; this reads one that passed with a custom check.)
 *
 * @example
 * skewFromCertificate(socket.getPeerCertificate(), Date.now());
 */
export function skewFromCertificate(certificate: Pick<PeerCertificate, 'valid_from'> | undefined, localMs: number, thresholdMs = DEFAULT_CLOCK_SKEW_THRESHOLD_MS): ClockSkew | undefined {
  if (certificate?.valid_from === undefined) return undefined;
  const notBefore = Date.parse(certificate.valid_from);
  if (Number.isNaN(notBefore) || notBefore - localMs <= thresholdMs) return undefined;
  const skewMs = localMs - notBefore;
  return { skewMs, source: 'server-certificate', message: describe(skewMs, 'the server certificate\'s start of validity') };
}

function describe(skewMs: number, what: string): string {
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  return `This machine's clock is ${seconds} s ${skewMs > 0 ? 'ahead of' : 'behind'} ${what}: certificates and signed URLs may be refused; fix the time (NTP)`;
}
