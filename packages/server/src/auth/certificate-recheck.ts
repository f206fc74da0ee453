/**
 * The periodic re-check of live certificate connections: catches revocations made by another node
 * or process (another Gatehouse on the same PostgreSQL, the CLI on SQLite) within about a second.
 */
import type { Logger } from '../core/index.js';
import type { IdentityStore } from '../store/index.js';
import { checkValidity } from './certificate-authenticator.js';
import { disconnectCertificate, type PrincipalConnections } from './certificate-revocation.js';

export interface CertificateRecheckOptions {
  readonly identity: IdentityStore;
  readonly connections: PrincipalConnections;
  readonly logger: Logger;
  /** Pause between the end of one check and the start of the next; 500 ms by default. */
  readonly intervalMs?: number;
  /** Epoch ms; for tests. */
  readonly now?: () => number;
}

export interface CertificateRecheck {
  /** Runs one check now; resolves with the number of connections it closed. */
  checkNow(): Promise<number>;
  /** Stops the timer; a check under way finishes. */
  stop(): void;
}

/**
 * Starts re-checking, every `intervalMs`, each distinct certificate among the live connections: one
 * `getCertificate` per certificate, in parallel. A certificate that is gone, not ACTIVE or out of its
 * validity has its connections closed (DISCONNECT 0x87). A failing store closes nothing: it is logged,
 * and the next round tries again. Checks never overlap, and the timer does not hold the process open.
 *
 * @example
 * const recheck = startCertificateRecheck({ identity, connections: broker.admin, logger });
 * // on shutdown
 * recheck.stop();
 */
export function startCertificateRecheck(options: CertificateRecheckOptions): CertificateRecheck {
  const intervalMs = options.intervalMs ?? 500;
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function checkNow(): Promise<number> {
    const ids = new Set<string>();
    for (const principal of options.connections.listPrincipals()) if (principal.certificateId !== undefined) ids.add(principal.certificateId);
    if (ids.size === 0) return 0;
    const records = await Promise.all([...ids].map(async (id) => [id, await options.identity.getCertificate(id)] as const));
    const at = now();
    let closed = 0;
    for (const [id, record] of records) {
      let reason: string | undefined;
      if (record === undefined) reason = 'Certificate no longer registered';
      else if (record.status === 'REVOKED') reason = 'Certificate revoked';
      else if (record.status !== 'ACTIVE') reason = `Certificate ${record.status}`;
      else if (checkValidity(record, at) !== undefined) reason = 'Certificate expired';
      if (reason === undefined) continue;
      const count = disconnectCertificate(id, options.connections, reason);
      if (count > 0) options.logger.info({ certificateId: id, status: record?.status ?? 'UNREGISTERED', connections: count }, 'closed connections of a certificate that is no longer valid');
      closed += count;
    }
    return closed;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      checkNow().catch((error: unknown) => {
        options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'cannot re-check live certificate connections');
      }).finally(schedule);
    }, intervalMs);
    timer.unref();
  }

  schedule();
  return {
    checkNow,
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
