/** The clock step: is this machine's clock close to the server's, and do certificates look valid by it. */
import { X509Certificate } from 'node:crypto';
import { skewFromCertificate, skewFromServerTime } from '../clock-skew.ts';
import type { DiagnosisContext, Verdict } from './diagnosis-context.ts';
import { readServerTime } from './read-server-time.ts';

const WARN_MS = 60_000;
const FAIL_MS = 3_600_000;

/**
 * Compares the local clock (`now`) with the server's `Date`, or, on a port that does not answer HTTP,
 * with the server certificate's start of validity (which shows only a clock that is behind). Over a
 * minute warns; an hour or more, or any certificate that looks invalid by the local clock, fails:
 * TLS, certificates and signed URLs all judge time by this clock.
 */
export async function checkClock(context: DiagnosisContext): Promise<Verdict> {
  const local = context.now();
  const serverTime = await readServerTime(context);
  const fromServer = serverTime === undefined ? undefined : skewFromServerTime(serverTime / 1000, local, 0);
  const fromCertificate = skewFromCertificate(context.peerCertificate, local, WARN_MS);
  const skewMs = serverTime === undefined ? fromCertificate?.skewMs : (fromServer?.skewMs ?? 0);
  const source = serverTime === undefined ? 'the server certificate\'s start of validity (this port does not tell the time)' : 'the server\'s clock';
  const invalid = invalidAt(context, local);
  if (skewMs === undefined) {
    if (context.serverDateError !== undefined) {
      return { status: 'warn', cause: `The server's certificate looks ${context.serverDateError === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'} by this machine's clock, and this port does not tell the server's time: check the clock (NTP) first, then ask your Gatehouse operator about the certificate` };
    }
    return { status: 'pass', cause: `No sign of skew against ${source}` };
  }
  const off = `This machine's clock is ${duration(skewMs)} ${skewMs > 0 ? 'ahead of' : 'behind'} ${source}`;
  const magnitude = Math.abs(skewMs);
  if (magnitude <= WARN_MS && invalid.length === 0) return { status: 'pass', cause: `${off}` };
  const ask = 'Fix this machine\'s time: turn on NTP, and ask the firewall admin to allow NTP (UDP 123) to a time server if it is blocked';
  if (magnitude >= FAIL_MS || (magnitude > WARN_MS && invalid.length > 0)) {
    const consequence = invalid.length > 0 ? `; by it ${invalid.join(' and ')}` : '; certificates, tokens and signed URLs will be refused';
    return { status: 'fail', cause: `${off}${consequence}`, ask };
  }
  if (magnitude > WARN_MS) return { status: 'warn', cause: `${off}: certificates and signed URLs may be refused`, ask };
  // Within a minute yet a certificate looks invalid: the certificate is the problem, which its own step names.
  return { status: 'pass', cause: off };
}

/** Which of the server's and the agent's certificates look outside their validity at `local`. */
function invalidAt(context: DiagnosisContext, local: number): string[] {
  const found: string[] = [];
  const peer = context.peerCertificate;
  if (peer?.valid_from !== undefined) {
    const state = validity(Date.parse(peer.valid_from), Date.parse(peer.valid_to), local);
    if (state !== undefined) found.push(`the server's certificate is ${state}`);
  }
  const cert = context.tls.cert;
  if (cert !== undefined) {
    try {
      const own = new X509Certificate(cert);
      const state = validity(Date.parse(own.validFrom), Date.parse(own.validTo), local);
      if (state !== undefined) found.push(`this agent's certificate is ${state}`);
    } catch {
      // An unreadable certificate is the client-certificate step's finding.
    }
  }
  return found;
}

function validity(notBefore: number, notAfter: number, local: number): string | undefined {
  if (local < notBefore) return `not yet valid (from ${new Date(notBefore).toISOString()})`;
  if (local > notAfter) return `expired (at ${new Date(notAfter).toISOString()})`;
  return undefined;
}

function duration(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
