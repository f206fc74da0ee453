/**
 * The IdentityStore in process memory, for tests and `store.kind: memory`. Transactions are serialised
 * and undone by restoring a snapshot; values are copied in and out so callers never reach stored state.
 */
import { GatehouseError } from '../../core/index.js';
import type {
  CaRecord,
  CaStatus,
  CertificateChangesOptions,
  CertificatePage,
  CertificateQuery,
  CertificateRecord,
  CertificateStatus,
  IdentityStore,
  IdentityStoreBackend,
  PolicyRecord,
  PolicyTarget,
  ProvisioningTemplateRecord,
  RegistrationTokenRecord,
  RevokedEntry,
  RoleAliasRecord,
  TokenConsumption,
} from '../identity-ports.js';
import { certificateConflict, checkPageLimit, revokedConflict, tokenConflict } from '../identity-ports.js';
import type { AuditEntry, AuditPage, AuditQuery, NewAuditEntry } from '../audit-ports.js';
import { registryChange, type AttachedPolicy, type CreatePolicyVersionOptions, type PolicyChange, type PolicyChangesOptions, type PolicyVersionRecord } from '../policy-ports.js';
import type { TenantPage, TenantRecord } from '../tenant-ports.js';
import type { ThingGroupRecord } from '../thing-group-ports.js';
import { key, MemoryIdentityTables } from './memory-identity-tables.js';
import * as policies from './memory-policy-verbs.js';
import { MemoryRegistryVerbs } from './memory-registry-verbs.js';
import * as tenants from './memory-tenant-audit-verbs.js';
import * as thingGroups from './memory-thing-group-verbs.js';

export { MemoryIdentityTables } from './memory-identity-tables.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface MemoryIdentityStoreOptions {
  /** Existing tables to open; default: new, empty ones. */
  readonly tables?: MemoryIdentityTables;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function copyTemplate(source: ProvisioningTemplateRecord): ProvisioningTemplateRecord {
  return structuredClone(source);
}

/** The tenant's records of one map, copied and ordered by `name`. */
function listByName<T extends { readonly tenant: string }>(records: Map<string, T>, tenant: string, name: (record: T) => string, copy: (record: T) => T): T[] {
  return [...records.values()].filter((record) => record.tenant === tenant).map(copy).sort((a, b) => compareText(name(a), name(b)));
}

/**
 * An IdentityStore in memory. Every verb takes the tables' lock, so a transaction's half-done state is
 * never seen by another caller and its rollback never erases someone else's write.
 *
 * @example
 * const identity = new MemoryIdentityStore();
 * await identity.open();
 * await identity.recordToken({ jti: 'j1', tenant: 'default', thing: 'agent-7', expiresAt: Date.now() + 900_000, createdAt: Date.now() });
 * await identity.consumeToken('j1', Date.now()); // 'consumed'
 */
export class MemoryIdentityStore extends MemoryRegistryVerbs implements IdentityStoreBackend {
  readonly tables: MemoryIdentityTables;
  /** True for the store handed to a transaction's function: it already holds the lock. */
  readonly #inTransaction: boolean;
  #closed = false;

  constructor(options: MemoryIdentityStoreOptions = {}, inTransaction = false) {
    super();
    this.tables = options.tables ?? new MemoryIdentityTables();
    this.#inTransaction = inTransaction;
  }

  async open(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  putCa(ca: CaRecord): Promise<void> {
    return this.#run(() => void this.tables.cas.set(key(ca.tenant, ca.id), { ...ca }));
  }

  getCa(tenant: string, id: string): Promise<CaRecord | undefined> {
    return this.#run(() => {
      const ca = this.tables.cas.get(key(tenant, id));
      return ca === undefined ? undefined : { ...ca };
    });
  }

  listCas(tenant: string): Promise<CaRecord[]> {
    return this.#run(() => listByName(this.tables.cas, tenant, (ca) => ca.id, (ca) => ({ ...ca })));
  }

  findCasBySubject(subject: string): Promise<CaRecord[]> {
    return this.#run(() =>
      [...this.tables.cas.values()]
        .filter((ca) => ca.subject === subject)
        .map((ca) => ({ ...ca }))
        .sort((a, b) => compareText(a.tenant, b.tenant) || compareText(a.id, b.id)),
    );
  }

  setCaStatus(tenant: string, id: string, status: CaStatus): Promise<CaRecord> {
    return this.#run(() => {
      const ca = this.tables.cas.get(key(tenant, id));
      if (ca === undefined) throw new GatehouseError('NOT_FOUND', { what: 'CA certificate', id });
      const updated = { ...ca, status };
      this.tables.cas.set(key(tenant, id), updated);
      return { ...updated };
    });
  }

  putCertificate(record: CertificateRecord): Promise<void> {
    return this.#run(() => {
      if (this.tables.certificates.has(record.id)) throw certificateConflict(record.id);
      this.tables.certificates.set(record.id, { ...record });
    });
  }

  getCertificate(id: string): Promise<CertificateRecord | undefined> {
    return this.#run(() => {
      const record = this.tables.certificates.get(id);
      return record === undefined ? undefined : { ...record };
    });
  }

  setCertificateStatus(id: string, status: CertificateStatus, at: number): Promise<CertificateRecord | undefined> {
    return this.#run(() => {
      const record = this.tables.certificates.get(id);
      if (record === undefined) return undefined;
      if (record.status === 'REVOKED') {
        if (status === 'REVOKED') return { ...record };
        throw revokedConflict(id, status);
      }
      const updated: Mutable<CertificateRecord> = { ...record, status, updatedAt: at };
      if (status === 'REVOKED') updated.revokedAt = at;
      this.tables.certificates.set(id, updated);
      return { ...updated };
    });
  }

  async listCertificates(tenant: string, query: CertificateQuery): Promise<CertificatePage> {
    checkPageLimit(query.limit);
    return this.#run(() => {
      const { cursor } = query;
      const matching = [...this.tables.certificates.values()]
        .filter(
          (record) =>
            record.tenant === tenant &&
            (query.thing === undefined || record.thing === query.thing) &&
            (query.status === undefined || record.status === query.status) &&
            (query.caId === undefined || record.caId === query.caId) &&
            (cursor === undefined || record.id > cursor),
        )
        .sort((a, b) => compareText(a.id, b.id));
      const items = matching.slice(0, query.limit).map((record) => ({ ...record }));
      const last = items.at(-1);
      return matching.length > query.limit && last !== undefined ? { items, nextCursor: last.id } : { items };
    });
  }

  listRevoked(tenant: string, caId: string): Promise<RevokedEntry[]> {
    return this.#run(() =>
      [...this.tables.certificates.values()]
        .filter((record) => record.tenant === tenant && record.caId === caId && record.status === 'REVOKED')
        .map((record) => ({ serialNumber: record.serialNumber, revokedAt: record.revokedAt ?? record.updatedAt }))
        .sort((a, b) => compareText(a.serialNumber, b.serialNumber)),
    );
  }

  /** Scans every record (this backend keeps no index on `updatedAt`), then sorts only the changed ones. */
  async listCertificateChanges(since: number, limit: number, options: CertificateChangesOptions = {}): Promise<CertificateRecord[]> {
    checkPageLimit(limit);
    const { afterId } = options;
    return this.#run(() =>
      [...this.tables.certificates.values()]
        .filter((record) => record.updatedAt > since || (record.updatedAt === since && (afterId === undefined || record.id > afterId)))
        .sort((a, b) => a.updatedAt - b.updatedAt || compareText(a.id, b.id))
        .slice(0, limit)
        .map((record) => ({ ...record })),
    );
  }

  recordToken(token: RegistrationTokenRecord): Promise<void> {
    return this.#run(() => {
      if (this.tables.tokens.has(token.jti)) throw tokenConflict(token.jti);
      this.tables.tokens.set(token.jti, { ...token });
    });
  }

  consumeToken(jti: string, at: number): Promise<TokenConsumption> {
    // Check and write happen in one synchronous step under the lock: no await between them.
    return this.#run(() => {
      const token = this.tables.tokens.get(jti);
      if (token === undefined) return 'unknown';
      if (token.consumedAt !== undefined) return 'already-used';
      if (token.expiresAt <= at) return 'expired';
      this.tables.tokens.set(jti, { ...token, consumedAt: at });
      return 'consumed';
    });
  }

  putTemplate(template: ProvisioningTemplateRecord): Promise<void> {
    return this.#run(() => void this.tables.templates.set(key(template.tenant, template.name), copyTemplate(template)));
  }

  getTemplate(tenant: string, name: string): Promise<ProvisioningTemplateRecord | undefined> {
    return this.#run(() => {
      const template = this.tables.templates.get(key(tenant, name));
      return template === undefined ? undefined : copyTemplate(template);
    });
  }

  listTemplates(tenant: string): Promise<ProvisioningTemplateRecord[]> {
    return this.#run(() => listByName(this.tables.templates, tenant, (template) => template.name, copyTemplate));
  }

  deleteTemplate(tenant: string, name: string): Promise<boolean> {
    return this.#run(() => this.tables.templates.delete(key(tenant, name)));
  }

  deleteCertificate(id: string): Promise<boolean> {
    return this.#run(() => this.tables.certificates.delete(id));
  }

  setCertificateThing(id: string, thing: string | undefined, at: number): Promise<CertificateRecord | undefined> {
    return this.#run(() => {
      const record = this.tables.certificates.get(id);
      if (record === undefined) return undefined;
      const { thing: _previous, ...rest } = record;
      const updated: CertificateRecord = thing === undefined ? { ...rest, updatedAt: at } : { ...rest, thing, updatedAt: at };
      this.tables.certificates.set(id, updated);
      policies.recordChange(this.tables, registryChange(record.tenant, 'certificate-thing', id, at));
      return { ...updated };
    });
  }

  putThingGroup(group: ThingGroupRecord): Promise<void> {
    return this.#run(() => thingGroups.putThingGroup(this.tables, group));
  }

  getThingGroup(tenant: string, name: string): Promise<ThingGroupRecord | undefined> {
    return this.#run(() => thingGroups.getThingGroup(this.tables, tenant, name));
  }

  listThingGroups(tenant: string): Promise<ThingGroupRecord[]> {
    return this.#run(() => thingGroups.listThingGroups(this.tables, tenant));
  }

  deleteThingGroup(tenant: string, name: string): Promise<boolean> {
    return this.#run(() => thingGroups.deleteThingGroup(this.tables, tenant, name));
  }

  putPolicy(policy: PolicyRecord): Promise<void> {
    return this.#run(() => policies.putPolicy(this.tables, policy));
  }

  getPolicy(tenant: string, name: string): Promise<PolicyRecord | undefined> {
    return this.#run(() => {
      const policy = this.tables.policies.get(key(tenant, name));
      return policy === undefined ? undefined : { ...policy };
    });
  }

  listPolicies(tenant: string): Promise<PolicyRecord[]> {
    return this.#run(() => listByName(this.tables.policies, tenant, (policy) => policy.name, (policy) => ({ ...policy })));
  }

  deletePolicy(tenant: string, name: string, at = Date.now()): Promise<boolean> {
    return this.#run(() => policies.deletePolicy(this.tables, tenant, name, at));
  }

  attachPolicy(tenant: string, policyName: string, target: PolicyTarget, at = Date.now()): Promise<void> {
    return this.#run(() => policies.attachPolicy(this.tables, tenant, policyName, target, at));
  }

  detachPolicy(tenant: string, policyName: string, target: PolicyTarget, at = Date.now()): Promise<boolean> {
    return this.#run(() => policies.detachPolicy(this.tables, tenant, policyName, target, at));
  }

  listAttachedPolicies(tenant: string, target: PolicyTarget): Promise<string[]> {
    return this.#run(() => policies.listAttachedPolicies(this.tables, tenant, target));
  }

  listPolicyTargets(tenant: string, policyName: string): Promise<PolicyTarget[]> {
    return this.#run(() => policies.listPolicyTargets(this.tables, tenant, policyName));
  }

  createPolicy(tenant: string, name: string, document: string, at: number): Promise<PolicyRecord> {
    return this.#run(() => policies.createPolicy(this.tables, tenant, name, document, at));
  }

  createPolicyVersion(tenant: string, name: string, document: string, options: CreatePolicyVersionOptions, at: number): Promise<PolicyVersionRecord> {
    return this.#run(() => policies.createPolicyVersion(this.tables, tenant, name, document, options, at));
  }

  setDefaultPolicyVersion(tenant: string, name: string, versionId: number, at: number): Promise<PolicyRecord> {
    return this.#run(() => policies.setDefaultPolicyVersion(this.tables, tenant, name, versionId, at));
  }

  deletePolicyVersion(tenant: string, name: string, versionId: number, at: number): Promise<boolean> {
    return this.#run(() => policies.deletePolicyVersion(this.tables, tenant, name, versionId, at));
  }

  getPolicyVersion(tenant: string, name: string, versionId: number): Promise<PolicyVersionRecord | undefined> {
    return this.#run(() => policies.getPolicyVersion(this.tables, tenant, name, versionId));
  }

  listPolicyVersions(tenant: string, name: string): Promise<PolicyVersionRecord[]> {
    return this.#run(() => policies.listPolicyVersions(this.tables, tenant, name));
  }

  listPoliciesAttachedTo(tenant: string, targets: readonly PolicyTarget[]): Promise<AttachedPolicy[]> {
    return this.#run(() => policies.listPoliciesAttachedTo(this.tables, tenant, targets));
  }

  async listPolicyChanges(since: number, limit: number, options: PolicyChangesOptions = {}): Promise<PolicyChange[]> {
    checkPageLimit(limit, 'policy changes');
    return this.#run(() => policies.listPolicyChanges(this.tables, since, limit, options.afterId));
  }

  createTenant(tenant: TenantRecord): Promise<void> {
    return this.#run(() => tenants.createTenant(this.tables, tenant));
  }

  putTenant(tenant: TenantRecord): Promise<void> {
    return this.#run(() => tenants.putTenant(this.tables, tenant));
  }

  getTenant(id: string): Promise<TenantRecord | undefined> {
    return this.#run(() => tenants.getTenant(this.tables, id));
  }

  listTenants(query: { readonly limit: number; readonly cursor?: string }): Promise<TenantPage> {
    return this.#run(() => tenants.listTenants(this.tables, query));
  }

  deleteTenant(id: string): Promise<boolean> {
    return this.#run(() => tenants.deleteTenant(this.tables, id));
  }

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.#run(() => tenants.appendAudit(this.tables, entry));
  }

  listAudit(query: AuditQuery): Promise<AuditPage> {
    return this.#run(() => tenants.listAudit(this.tables, query));
  }

  putRoleAlias(alias: RoleAliasRecord): Promise<void> {
    return this.#run(() => void this.tables.roleAliases.set(key(alias.tenant, alias.alias), { ...alias }));
  }

  getRoleAlias(tenant: string, alias: string): Promise<RoleAliasRecord | undefined> {
    return this.#run(() => {
      const record = this.tables.roleAliases.get(key(tenant, alias));
      return record === undefined ? undefined : { ...record };
    });
  }

  listRoleAliases(tenant: string): Promise<RoleAliasRecord[]> {
    return this.#run(() => listByName(this.tables.roleAliases, tenant, (record) => record.alias, (record) => ({ ...record })));
  }

  deleteRoleAlias(tenant: string, alias: string): Promise<boolean> {
    return this.#run(() => this.tables.roleAliases.delete(key(tenant, alias)));
  }

  async transaction<T>(fn: (tx: IdentityStore) => Promise<T>): Promise<T> {
    this.#assertOpen();
    if (this.#inTransaction) return fn(this);
    return this.#exclusive(async () => {
      const restore = this.tables.snapshot();
      try {
        return await fn(new MemoryIdentityStore({ tables: this.tables }, true));
      } catch (error) {
        restore();
        throw error;
      }
    });
  }

  protected runOnTables<T>(body: (tables: MemoryIdentityTables) => T): Promise<T> {
    return this.#run(() => body(this.tables));
  }

  /** Runs one verb's synchronous body under the lock (or directly inside a transaction, which holds it). */
  async #run<T>(body: () => T): Promise<T> {
    this.#assertOpen();
    if (this.#inTransaction) return body();
    return this.#exclusive(async () => body());
  }

  async #exclusive<T>(body: () => Promise<T>): Promise<T> {
    const previous = this.tables.lock;
    let release!: () => void;
    this.tables.lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await body();
    } finally {
      release();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new GatehouseError('STORE_UNAVAILABLE', { reason: 'the store is closed' });
  }
}
