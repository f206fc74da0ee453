/**
 * The periodic re-check of live certificate connections: catches revocations made by another node
 * or process (another Gatehouse on the same PostgreSQL, the CLI on SQLite) within about a second,
 * and closes connections whose certificate expired.
 *
 * It must cost the same with ten connections as with a million, so it never reads each live
 * certificate. Each round:
 * - reads one page of the store's change feed (`listCertificateChanges`): the certificates whose
 *   `updatedAt` is at or after a watermark. When a pass ends (a page that is not full), the next one
 *   starts `overlapMs` (5 s) before this pass began, by this node's clock: a change stamped by a node
 *   whose clock is behind ours, or committed a moment after we read, still lands in a later pass. A
 *   full page is read on from its last record (`afterId`) in the next round, at once.
 * - only when the page holds a certificate that is not ACTIVE or is outside its validity, it makes one
 *   pass over the live connections per reason and closes theirs (DISCONNECT 0x87). Such a record is
 *   seen again by every round of the overlap, so a connection that was authenticated just before the
 *   change but joined the broker's list just after a pass is closed by the next one.
 * - expiry changes nothing in the store, so it is read from `certificateNotAfter`, which the
 *   authenticators copy from the record into the principal. An expiry sweep over the live principals
 *   runs when the earliest expiry the last sweep saw is due (closing within a round of it), and at
 *   least every `expirySweepMs` (5 s), which bounds how late a certificate of a newer connection that
 *   expires before all older ones is closed. Principals without `certificateNotAfter` are not swept.
 *   (Chosen over a heap of (notAfter, id): the re-check learns of new connections only from the
 *   principal list, so a heap would need the same sweep to feed it.)
 * - a deleted certificate is not in the feed. `deleteCertificate` only drops unclaimed
 *   fleet-provisioning certificates, which never connected, so no live connection can hold one.
 *
 * Store reads per round: one, whatever the number of connections; more than 1000 changes in a pass
 * take a page a round, the rounds back to back.
 * Work on the live connections: a pass per round that has invalid changes, plus the expiry sweeps.
 */
import { startPollLoop, type Logger } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import { MAX_CERTIFICATE_PAGE, type CertificateRecord, type IdentityStore } from '../store/index.js';
import { checkValidity } from './certificate-authenticator.js';
import { disconnectCertificates, type PrincipalConnections } from './certificate-revocation.js';

export interface CertificateRecheckOptions {
  readonly identity: IdentityStore;
  readonly connections: PrincipalConnections;
  readonly logger: Logger;
  /** Pause between the end of one check and the start of the next; 500 ms by default. */
  readonly intervalMs?: number;
  /** How far before a pass's start the next pass reads again, for clock skew and slow commits; 5000 ms by default. */
  readonly overlapMs?: number;
  /** Longest time between two expiry sweeps over the live principals; 5000 ms by default. */
  readonly expirySweepMs?: number;
  /** Epoch ms; for tests. */
  readonly now?: () => number;
}

export interface CertificateRecheck {
  /** Runs one check now (after any check under way); resolves with the number of connections it closed. */
  checkNow(): Promise<number>;
  /** Stops the timer; a check under way finishes. */
  stop(): void;
}

/** Where the next feed read starts: `afterId` is set while reading on after a full page. */
interface FeedPosition {
  readonly since: number;
  readonly afterId?: string;
}

interface RoundResult {
  /** Connections closed. */
  readonly closed: number;
  /** The feed page was full: read on at once. */
  readonly more: boolean;
}

/** Ids of changed certificates shown in a log line: enough to find them, never a page of them. */
const LOGGED_IDS = 10;

/**
 * Starts re-checking every `intervalMs` (see the top of this file for how). A failing store closes
 * nothing: it is logged, and the next round reads from the same place. Checks never overlap, and the
 * timer does not hold the process open.
 *
 * @example
 * const recheck = startCertificateRecheck({ identity, connections: broker.admin, logger });
 * // on shutdown
 * recheck.stop();
 */
export function startCertificateRecheck(options: CertificateRecheckOptions): CertificateRecheck {
  const intervalMs = options.intervalMs ?? 500;
  const overlapMs = options.overlapMs ?? 5_000;
  const expirySweepMs = options.expirySweepMs ?? 5_000;
  const now = options.now ?? Date.now;
  // Connections authenticated before we started read their record then; older changes do not matter.
  let position: FeedPosition = { since: now() - overlapMs };
  let passStartedAt: number | undefined;
  let lastSweepAt = -Infinity;
  let nextExpiryAt = Infinity;

  async function round(): Promise<RoundResult> {
    const at = now();
    let closed = sweepExpired(at);
    passStartedAt ??= at;
    const page = await options.identity.listCertificateChanges(position.since, MAX_CERTIFICATE_PAGE, position.afterId === undefined ? {} : { afterId: position.afterId });
    closed += closeInvalid(page, at);
    const last = page.at(-1);
    if (page.length === MAX_CERTIFICATE_PAGE && last !== undefined) {
      position = { since: last.updatedAt, afterId: last.id };
      return { closed, more: true };
    }
    position = { since: passStartedAt - overlapMs };
    passStartedAt = undefined;
    return { closed, more: false };
  }

  function closeInvalid(page: readonly CertificateRecord[], at: number): number {
    const byReason = new Map<string, Set<string>>();
    for (const record of page) {
      const reason = invalidReason(record, at);
      if (reason === undefined) continue;
      const ids = byReason.get(reason) ?? new Set<string>();
      byReason.set(reason, ids.add(record.id));
    }
    let closed = 0;
    for (const [reason, ids] of byReason) {
      const count = disconnectCertificates(ids, options.connections, reason);
      if (count > 0) options.logger.info({ reason, connections: count, changedCertificates: ids.size, certificateIds: [...ids].slice(0, LOGGED_IDS) }, 'closed connections of certificates that are no longer valid');
      closed += count;
    }
    return closed;
  }

  function sweepExpired(at: number): number {
    if (at < nextExpiryAt && at - lastSweepAt < expirySweepMs) return 0;
    lastSweepAt = at;
    nextExpiryAt = Infinity;
    let expired = false;
    for (const { certificateNotAfter } of options.connections.listPrincipals()) {
      if (certificateNotAfter === undefined) continue;
      if (certificateNotAfter <= at) expired = true;
      else if (certificateNotAfter < nextExpiryAt) nextExpiryAt = certificateNotAfter;
    }
    if (!expired) return 0;
    const closed = options.connections.disconnectWhere(
      ({ principal }) => principal?.certificateNotAfter !== undefined && principal.certificateNotAfter <= at,
      { reasonCode: ReasonCode.NotAuthorized, reason: 'Certificate expired', label: 'certificate-expired' },
    );
    if (closed > 0) options.logger.info({ connections: closed }, 'closed connections of expired certificates');
    return closed;
  }

  const loop = startPollLoop({
    intervalMs,
    round,
    onError: (error) => options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'cannot re-check live certificate connections'),
  });
  return {
    checkNow: () => loop.runNow().then(({ closed }) => closed),
    stop: () => loop.stop(),
  };
}

/** Why a changed record's connections must close, or undefined when it is still good. */
function invalidReason(record: CertificateRecord, at: number): string | undefined {
  if (record.status === 'REVOKED') return 'Certificate revoked';
  if (record.status === 'INACTIVE') return 'Certificate deactivated';
  if (record.status !== 'ACTIVE') return `Certificate ${record.status}`;
  return checkValidity(record, at) === undefined ? undefined : 'Certificate expired';
}
