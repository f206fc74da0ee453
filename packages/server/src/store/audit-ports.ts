/**
 * The audit log verbs of the identity store port: an append-only record of every admin change to
 * policies, certificates, CAs and tenants, read newest first.
 */

/** A JSON value, as audit details hold them. */
export type AuditValue = string | number | boolean | null | readonly AuditValue[] | { readonly [key: string]: AuditValue };

export interface AuditEntry {
  /** Increases with every entry; `listAudit` pages on it. */
  readonly id: number;
  /** Epoch ms. */
  readonly at: number;
  /** Who made the change: `admin-api` for the admin key (which has no identity of its own yet). */
  readonly actor: string;
  /** The request's source address, when the change came over the network. */
  readonly sourceIp?: string;
  /** Dotted verb: `policy.create`, `certificate.revoke`, `tenant.delete`, ... */
  readonly action: string;
  readonly tenant?: string;
  /** What was changed: `policy/agent`, `certificate/<id>`, `tenant/acme`. */
  readonly target: string;
  /** What the change was, never a secret or a private key. */
  readonly details: { readonly [key: string]: AuditValue };
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  readonly tenant?: string;
  /** Only entries with `at >= since` (epoch ms). */
  readonly since?: number;
  /** Page size, 1 to 1000. */
  readonly limit: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface AuditPage {
  /** Newest first (by id). */
  readonly items: readonly AuditEntry[];
  readonly nextCursor?: string;
}

/**
 * @example
 * await identity.appendAudit({ at: Date.now(), actor: 'admin-api', sourceIp: '10.0.0.7', action: 'policy.create', tenant: 'acme', target: 'policy/agent', details: { versionId: 1 } });
 * const { items } = await identity.listAudit({ tenant: 'acme', limit: 50 });
 */
export interface AuditStore {
  /** Appends one entry and returns it with its id. */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** A RangeError for a cursor that is not one `listAudit` gave. */
  listAudit(query: AuditQuery): Promise<AuditPage>;
}

/** The id a cursor stands for; a RangeError unless it is a whole number as `listAudit` writes them. */
export function auditCursorId(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw new RangeError(`Cannot list the audit log: cursor "${cursor}" is not one a previous page gave`);
  return Number(cursor);
}
