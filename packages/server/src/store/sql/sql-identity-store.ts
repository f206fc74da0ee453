/**
 * The IdentityStore on Kysely, shared by SQLite and PostgreSQL (table types in identity-rows.ts).
 * Single-use tokens and revocation rest on conditional UPDATEs, which both dialects run atomically per row.
 */
import type { Kysely } from 'kysely';
import { GatehouseError } from '../../core/index.js';
import {
  certificateConflict,
  checkPageLimit,
  revokedConflict,
  tokenConflict,
  type CaRecord,
  type CaStatus,
  type CertificateChangesOptions,
  type CertificatePage,
  type CertificateQuery,
  type CertificateRecord,
  type CertificateStatus,
  type IdentityStore,
  type IdentityStoreBackend,
  type PolicyRecord,
  type PolicyTarget,
  type ProvisioningTemplateRecord,
  type RegistrationTokenRecord,
  type RevokedEntry,
  type RoleAliasRecord,
  type TokenConsumption,
} from '../identity-ports.js';
import { caFromRow, certificateFromRow, templateFromRow, type IdentityDatabase } from './identity-rows.js';
import { type AuditEntry, type AuditPage, type AuditQuery, type NewAuditEntry } from '../audit-ports.js';
import { registryChange, type AttachedPolicy, type CreatePolicyVersionOptions, type PolicyChange, type PolicyChangesOptions, type PolicyVersionRecord } from '../policy-ports.js';
import type { TenantPage, TenantRecord } from '../tenant-ports.js';
import type { ThingGroupRecord } from '../thing-group-ports.js';
import * as policies from './policy-queries.js';
import * as registry from './registry-queries.js';
import { SqlRegistryVerbs } from './sql-registry-verbs.js';
import * as tenants from './tenant-audit-queries.js';
import * as thingGroups from './thing-group-queries.js';
import { compareText, toNumber, toOptionalNumber } from './row-codec.js';
import { openSqlStore } from './open-sql-store.js';
import { assertStoreOpen, runStoreQuery } from './run-store-query.js';
import type { SqlDialectName } from './schema.js';

export interface SqlIdentityStoreOptions {
  /** The broker store's database; a Kysely with more tables than these works too. */
  readonly db: Kysely<IdentityDatabase>;
  readonly dialect: SqlDialectName;
  /** PostgreSQL schema holding the tables (the connections' search_path must point at it). */
  readonly schema?: string;
  /** Whether `close()` destroys `db`; default true. False when the broker store owns the connection. */
  readonly ownsDatabase?: boolean;
}

/**
 * An IdentityStore on SQL. Reads that return lists sort in JavaScript, never by database collation;
 * certificate pages are cut in SQL on an id column that compares bytewise on both dialects.
 *
 * @example
 * const identity = new SqlIdentityStore({ db, dialect: 'sqlite' });
 * await identity.open();
 * const page = await identity.listCertificates('default', { status: 'ACTIVE', limit: 100 });
 */
export class SqlIdentityStore extends SqlRegistryVerbs implements IdentityStoreBackend {
  readonly #db: Kysely<IdentityDatabase>;
  readonly #options: SqlIdentityStoreOptions;
  /** True for the store handed to a transaction's function. */
  readonly #inTransaction: boolean;
  #closed = false;

  constructor(options: SqlIdentityStoreOptions, inTransaction = false) {
    super();
    this.#db = options.db;
    this.#options = options;
    this.#inTransaction = inTransaction;
  }

  async open(): Promise<void> {
    assertStoreOpen(this.#closed);
    await openSqlStore(this.#db as Kysely<unknown>, { dialect: this.#options.dialect, schema: this.#options.schema, what: 'identity store' });
  }

  async close(): Promise<void> {
    if (this.#closed || this.#inTransaction) return;
    this.#closed = true;
    if (this.#options.ownsDatabase !== false) await this.#db.destroy();
  }

  putCa(ca: CaRecord): Promise<void> {
    const row = {
      tenant: ca.tenant,
      id: ca.id,
      certificate_pem: ca.certificatePem,
      kind: ca.kind,
      status: ca.status,
      auto_registration: ca.autoRegistration ? 1 : 0,
      provisioning_template: ca.provisioningTemplate ?? null,
      created_at: ca.createdAt,
      subject: ca.subject,
      not_after: ca.notAfter,
    };
    return this.#query('register CA', async (db) => {
      const { tenant: _tenant, id: _id, ...rest } = row;
      await db.insertInto('ca_certificates').values(row).onConflict((oc) => oc.columns(['tenant', 'id']).doUpdateSet(rest)).execute();
    });
  }

  getCa(tenant: string, id: string): Promise<CaRecord | undefined> {
    return this.#query('read CA', async (db) => {
      const row = await db.selectFrom('ca_certificates').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : caFromRow(row);
    });
  }

  listCas(tenant: string): Promise<CaRecord[]> {
    return this.#query('list CAs', async (db) => {
      const rows = await db.selectFrom('ca_certificates').selectAll().where('tenant', '=', tenant).execute();
      return rows.map(caFromRow).sort((a, b) => compareText(a.id, b.id));
    });
  }

  findCasBySubject(subject: string): Promise<CaRecord[]> {
    return this.#query('find CAs by subject', async (db) => {
      const rows = await db.selectFrom('ca_certificates').selectAll().where('subject', '=', subject).execute();
      return rows.map(caFromRow).sort((a, b) => compareText(a.tenant, b.tenant) || compareText(a.id, b.id));
    });
  }

  setCaStatus(tenant: string, id: string, status: CaStatus): Promise<CaRecord> {
    return this.#query('change CA status', async (db) => {
      const row = await db
        .updateTable('ca_certificates')
        .set({ status })
        .where('tenant', '=', tenant)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) throw new GatehouseError('NOT_FOUND', { what: 'CA certificate', id });
      return caFromRow(row);
    });
  }

  putCertificate(record: CertificateRecord): Promise<void> {
    return this.#query('register certificate', async (db) => {
      // DO NOTHING rather than catching a unique violation: on PostgreSQL a failed statement would
      // abort the surrounding transaction, and the caller may want to carry on after a CONFLICT.
      const result = await db
        .insertInto('device_certificates')
        .values({
          id: record.id,
          tenant: record.tenant,
          thing: record.thing ?? null,
          status: record.status,
          certificate_pem: record.certificatePem,
          ca_id: record.caId,
          serial_number: record.serialNumber,
          subject: record.subject,
          not_before: record.notBefore,
          not_after: record.notAfter,
          issued_by: record.issuedBy,
          created_at: record.createdAt,
          updated_at: record.updatedAt,
          revoked_at: record.revokedAt ?? null,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) throw certificateConflict(record.id);
    });
  }

  getCertificate(id: string): Promise<CertificateRecord | undefined> {
    return this.#query('read certificate', async (db) => {
      const row = await db.selectFrom('device_certificates').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : certificateFromRow(row);
    });
  }

  setCertificateStatus(id: string, status: CertificateStatus, at: number): Promise<CertificateRecord | undefined> {
    return this.#query('change certificate status', async (db) => {
      // The status test sits in the UPDATE itself, so a concurrent revoke can never be overwritten.
      const row = await db
        .updateTable('device_certificates')
        .set({ status, updated_at: at, revoked_at: status === 'REVOKED' ? at : null })
        .where('id', '=', id)
        .where('status', '<>', 'REVOKED')
        .returningAll()
        .executeTakeFirst();
      if (row !== undefined) return certificateFromRow(row);
      const current = await db.selectFrom('device_certificates').selectAll().where('id', '=', id).executeTakeFirst();
      if (current === undefined) return undefined;
      if (status === 'REVOKED') return certificateFromRow(current);
      throw revokedConflict(id, status);
    });
  }

  async listCertificates(tenant: string, query: CertificateQuery): Promise<CertificatePage> {
    checkPageLimit(query.limit);
    return this.#query('list certificates', async (db) => {
      let select = db.selectFrom('device_certificates').selectAll().where('tenant', '=', tenant);
      if (query.thing !== undefined) select = select.where('thing', '=', query.thing);
      if (query.status !== undefined) select = select.where('status', '=', query.status);
      if (query.caId !== undefined) select = select.where('ca_id', '=', query.caId);
      if (query.cursor !== undefined) select = select.where('id', '>', query.cursor);
      // One row more than asked tells whether another page follows.
      const rows = await select.orderBy('id').limit(query.limit + 1).execute();
      const items = rows.slice(0, query.limit).map(certificateFromRow);
      const last = items.at(-1);
      return rows.length > query.limit && last !== undefined ? { items, nextCursor: last.id } : { items };
    });
  }

  async listCertificateChanges(since: number, limit: number, options: CertificateChangesOptions = {}): Promise<CertificateRecord[]> {
    checkPageLimit(limit);
    const { afterId } = options;
    return this.#query('list certificate changes', async (db) => {
      // The plain range bound walks the (updated_at, id) index of migration 0004 on both dialects; the
      // cursor test only filters within it. The index's order is the page's order: ids are bytewise.
      let select = db.selectFrom('device_certificates').selectAll().where('updated_at', '>=', since);
      if (afterId !== undefined) select = select.where((eb) => eb.or([eb('updated_at', '>', since), eb('id', '>', afterId)]));
      const rows = await select.orderBy('updated_at').orderBy('id').limit(limit).execute();
      return rows.map(certificateFromRow);
    });
  }

  listRevoked(tenant: string, caId: string): Promise<RevokedEntry[]> {
    return this.#query('list revoked certificates', async (db) => {
      const rows = await db
        .selectFrom('device_certificates')
        .select(['serial_number', 'revoked_at', 'updated_at'])
        .where('tenant', '=', tenant)
        .where('ca_id', '=', caId)
        .where('status', '=', 'REVOKED')
        .execute();
      return rows
        .map((row) => ({ serialNumber: row.serial_number, revokedAt: toOptionalNumber(row.revoked_at) ?? toNumber(row.updated_at) }))
        .sort((a, b) => compareText(a.serialNumber, b.serialNumber));
    });
  }

  recordToken(token: RegistrationTokenRecord): Promise<void> {
    return this.#query('record registration token', async (db) => {
      const result = await db
        .insertInto('registration_tokens')
        .values({ jti: token.jti, tenant: token.tenant, thing: token.thing, expires_at: token.expiresAt, created_at: token.createdAt, consumed_at: null })
        .onConflict((oc) => oc.column('jti').doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) throw tokenConflict(token.jti);
    });
  }

  consumeToken(jti: string, at: number): Promise<TokenConsumption> {
    return this.#query('consume registration token', async (db) => {
      // One conditional UPDATE decides: PostgreSQL makes a concurrent second updater wait for the row
      // lock and re-check `consumed_at IS NULL` (then 0 rows); SQLite runs one writer at a time.
      const result = await db
        .updateTable('registration_tokens')
        .set({ consumed_at: at })
        .where('jti', '=', jti)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return 'consumed';
      const row = await db.selectFrom('registration_tokens').select(['consumed_at']).where('jti', '=', jti).executeTakeFirst();
      if (row === undefined) return 'unknown';
      return row.consumed_at !== null ? 'already-used' : 'expired';
    });
  }

  putTemplate(template: ProvisioningTemplateRecord): Promise<void> {
    const row = {
      tenant: template.tenant,
      name: template.name,
      body: JSON.stringify(template.body),
      enabled: template.enabled ? 1 : 0,
      pre_provisioning_hook: template.preProvisioningHook === undefined ? null : JSON.stringify(template.preProvisioningHook),
      created_at: template.createdAt,
      updated_at: template.updatedAt,
    };
    return this.#query('save provisioning template', async (db) => {
      const { tenant: _tenant, name: _name, ...rest } = row;
      await db.insertInto('provisioning_templates').values(row).onConflict((oc) => oc.columns(['tenant', 'name']).doUpdateSet(rest)).execute();
    });
  }

  getTemplate(tenant: string, name: string): Promise<ProvisioningTemplateRecord | undefined> {
    return this.#query('read provisioning template', async (db) => {
      const row = await db.selectFrom('provisioning_templates').selectAll().where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
      return row === undefined ? undefined : templateFromRow(row);
    });
  }

  listTemplates(tenant: string): Promise<ProvisioningTemplateRecord[]> {
    return this.#query('list provisioning templates', async (db) => {
      const rows = await db.selectFrom('provisioning_templates').selectAll().where('tenant', '=', tenant).execute();
      return rows.map(templateFromRow).sort((a, b) => compareText(a.name, b.name));
    });
  }

  deleteTemplate(tenant: string, name: string): Promise<boolean> {
    return this.#query('delete provisioning template', async (db) => {
      const result = await db.deleteFrom('provisioning_templates').where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  deleteCertificate(id: string): Promise<boolean> {
    return this.#query('delete certificate', async (db) => {
      const result = await db.deleteFrom('device_certificates').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  setCertificateThing(id: string, thing: string | undefined, at: number): Promise<CertificateRecord | undefined> {
    return this.#atomically('attach certificate to thing', async (db) => {
      const row = await db.updateTable('device_certificates').set({ thing: thing ?? null, updated_at: at }).where('id', '=', id).returningAll().executeTakeFirst();
      if (row === undefined) return undefined;
      await policies.recordChange(db, registryChange(row.tenant, 'certificate-thing', id, at));
      return certificateFromRow(row);
    });
  }

  putThingGroup(group: ThingGroupRecord): Promise<void> {
    return this.#atomically('save thing group', (db) => thingGroups.putThingGroup(db, this.#options.dialect, group));
  }

  getThingGroup(tenant: string, name: string): Promise<ThingGroupRecord | undefined> {
    return this.#query('read thing group', (db) => thingGroups.getThingGroup(db, tenant, name));
  }

  listThingGroups(tenant: string): Promise<ThingGroupRecord[]> {
    return this.#query('list thing groups', (db) => thingGroups.listThingGroups(db, tenant));
  }

  deleteThingGroup(tenant: string, name: string): Promise<boolean> {
    return this.#atomically('delete thing group', (db) => thingGroups.deleteThingGroup(db, this.#options.dialect, tenant, name));
  }

  putPolicy(policy: PolicyRecord): Promise<void> {
    return this.#atomically('save policy', (db) => policies.putPolicy(db, policy));
  }

  getPolicy(tenant: string, name: string): Promise<PolicyRecord | undefined> {
    return this.#query('read policy', (db) => policies.getPolicy(db, tenant, name));
  }

  listPolicies(tenant: string): Promise<PolicyRecord[]> {
    return this.#query('list policies', (db) => policies.listPolicies(db, tenant));
  }

  deletePolicy(tenant: string, name: string, at = Date.now()): Promise<boolean> {
    return this.#atomically('delete policy', (db) => policies.deletePolicy(db, tenant, name, at));
  }

  attachPolicy(tenant: string, policyName: string, target: PolicyTarget, at = Date.now()): Promise<void> {
    return this.#atomically('attach policy', (db) => policies.attachPolicy(db, tenant, policyName, target, at));
  }

  detachPolicy(tenant: string, policyName: string, target: PolicyTarget, at = Date.now()): Promise<boolean> {
    return this.#atomically('detach policy', (db) => policies.detachPolicy(db, tenant, policyName, target, at));
  }

  listAttachedPolicies(tenant: string, target: PolicyTarget): Promise<string[]> {
    return this.#query('list attached policies', (db) => policies.listAttachedPolicies(db, tenant, target));
  }

  listPolicyTargets(tenant: string, policyName: string): Promise<PolicyTarget[]> {
    return this.#query('list policy targets', (db) => policies.listPolicyTargets(db, tenant, policyName));
  }

  createPolicy(tenant: string, name: string, document: string, at: number): Promise<PolicyRecord> {
    return this.#atomically('create policy', (db) => policies.createPolicy(db, tenant, name, document, at));
  }

  createPolicyVersion(tenant: string, name: string, document: string, options: CreatePolicyVersionOptions, at: number): Promise<PolicyVersionRecord> {
    return this.#atomically('create policy version', (db) => policies.createPolicyVersion(db, tenant, name, document, options, at));
  }

  setDefaultPolicyVersion(tenant: string, name: string, versionId: number, at: number): Promise<PolicyRecord> {
    return this.#atomically('set default policy version', (db) => policies.setDefaultPolicyVersion(db, tenant, name, versionId, at));
  }

  deletePolicyVersion(tenant: string, name: string, versionId: number, at: number): Promise<boolean> {
    return this.#atomically('delete policy version', (db) => policies.deletePolicyVersion(db, tenant, name, versionId, at));
  }

  getPolicyVersion(tenant: string, name: string, versionId: number): Promise<PolicyVersionRecord | undefined> {
    return this.#query('read policy version', (db) => policies.getPolicyVersion(db, tenant, name, versionId));
  }

  listPolicyVersions(tenant: string, name: string): Promise<PolicyVersionRecord[]> {
    return this.#query('list policy versions', (db) => policies.listPolicyVersions(db, tenant, name));
  }

  listPoliciesAttachedTo(tenant: string, targets: readonly PolicyTarget[]): Promise<AttachedPolicy[]> {
    return this.#query('list attached policies', (db) => policies.listPoliciesAttachedTo(db, tenant, targets));
  }

  async listPolicyChanges(since: number, limit: number, options: PolicyChangesOptions = {}): Promise<PolicyChange[]> {
    checkPageLimit(limit, 'policy changes');
    return this.#query('list policy changes', (db) => policies.listPolicyChanges(db, since, limit, options.afterId));
  }

  createTenant(tenant: TenantRecord): Promise<void> {
    return this.#query('create tenant', (db) => tenants.createTenant(db, tenant));
  }

  putTenant(tenant: TenantRecord): Promise<void> {
    return this.#query('save tenant', (db) => tenants.putTenant(db, tenant));
  }

  getTenant(id: string): Promise<TenantRecord | undefined> {
    return this.#query('read tenant', (db) => tenants.getTenant(db, id));
  }

  async listTenants(query: { readonly limit: number; readonly cursor?: string }): Promise<TenantPage> {
    checkPageLimit(query.limit, 'tenants');
    return this.#query('list tenants', (db) => tenants.listTenants(db, query));
  }

  deleteTenant(id: string): Promise<boolean> {
    return this.#atomically('delete tenant', (db) => tenants.deleteTenant(db, id));
  }

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.#query('append to the audit log', (db) => tenants.appendAudit(db, entry));
  }

  async listAudit(query: AuditQuery): Promise<AuditPage> {
    checkPageLimit(query.limit, 'audit entries');
    return this.#query('list the audit log', (db) => tenants.listAudit(db, query));
  }

  putRoleAlias(alias: RoleAliasRecord): Promise<void> {
    return this.#query('save role alias', (db) => registry.putRoleAlias(db, alias));
  }

  getRoleAlias(tenant: string, alias: string): Promise<RoleAliasRecord | undefined> {
    return this.#query('read role alias', (db) => registry.getRoleAlias(db, tenant, alias));
  }

  listRoleAliases(tenant: string): Promise<RoleAliasRecord[]> {
    return this.#query('list role aliases', (db) => registry.listRoleAliases(db, tenant));
  }

  deleteRoleAlias(tenant: string, alias: string): Promise<boolean> {
    return this.#query('delete role alias', (db) => registry.deleteRoleAlias(db, tenant, alias));
  }

  async transaction<T>(fn: (tx: IdentityStore) => Promise<T>): Promise<T> {
    assertStoreOpen(this.#closed);
    if (this.#inTransaction) return fn(this);
    return this.#db.transaction().execute((trx) => fn(new SqlIdentityStore({ ...this.#options, db: trx }, true)));
  }

  protected runRegistryVerb<T>(action: string, body: (db: Kysely<IdentityDatabase>, dialect: SqlDialectName) => Promise<T>, atomic: boolean): Promise<T> {
    const dialect = this.#options.dialect;
    return atomic ? this.#atomically(action, (db) => body(db, dialect)) : this.#query(action, (db) => body(db, dialect));
  }

  async #query<T>(action: string, body: (db: Kysely<IdentityDatabase>) => Promise<T>): Promise<T> {
    assertStoreOpen(this.#closed);
    return runStoreQuery(action, () => body(this.#db));
  }

  /** Like #query, for a verb of several statements: in a transaction of its own unless already in one. */
  #atomically<T>(action: string, body: (db: Kysely<IdentityDatabase>) => Promise<T>): Promise<T> {
    return this.#query(action, (db) => (this.#inTransaction ? body(db) : db.transaction().execute(body)));
  }
}
