/** The one way admin routes write the audit log: who (the admin key and the request's address), what, and to what. */
import type { FastifyRequest } from 'fastify';
import type { AuditValue } from '../../store/index.js';
import type { IdentityServices } from './identity-services.js';

/** The admin key has no identity of its own yet; every change made with it is this actor's. */
export const adminActor = 'admin-api';

export interface AuditedChange {
  /** Dotted verb: `policy.create`, `certificate.revoke`, `tenant.delete`, ... */
  readonly action: string;
  readonly tenant?: string;
  /** `policy/<name>`, `certificate/<id>`, `ca/<id>`, `tenant/<id>`. */
  readonly target: string;
  /** What the change was; never a secret, a key or a token. */
  readonly details?: { readonly [key: string]: AuditValue };
}

/**
 * Appends the audit entry of a change the route has just made. The change is done by then, so a
 * store failure here is logged (with the entry) rather than turned into an error answer that would
 * tell the client the change failed.
 *
 * @example
 * const record = await services.store.createPolicy(tenant, name, document, at);
 * await recordAudit(services, request, { action: 'policy.create', tenant, target: `policy/${name}`, details: { versionId: 1 } });
 */
export async function recordAudit(services: IdentityServices, request: FastifyRequest, change: AuditedChange): Promise<void> {
  const entry = {
    at: (services.now?.() ?? new Date()).getTime(),
    actor: adminActor,
    ...(request.ip === undefined || request.ip === '' ? {} : { sourceIp: request.ip }),
    action: change.action,
    ...(change.tenant === undefined ? {} : { tenant: change.tenant }),
    target: change.target,
    details: change.details ?? {},
  };
  try {
    await services.store.appendAudit(entry);
  } catch (error) {
    request.log.error({ err: error, audit: entry }, 'Cannot append to the audit log: the change was made but is not recorded there');
  }
}
