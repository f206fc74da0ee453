/**
 * The policy verbs of SqlIdentityStore (records, versions, attachments, the change feed) as plain
 * queries on a Kysely or a transaction; SqlIdentityStore adds error naming and runs every verb that
 * writes in a transaction, so a change and its feed entry commit together.
 */
import type { Kysely } from 'kysely';
import { policyNotFound, type PolicyRecord, type PolicyTarget } from '../identity-ports.js';
import {
  defaultVersionConflict,
  MAX_POLICY_VERSIONS,
  POLICY_CHANGE_RETENTION_MS,
  policyChange,
  policyExists,
  policyVersionNotFound,
  versionsLimitExceeded,
  type AttachedPolicy,
  type CreatePolicyVersionOptions,
  type PolicyChange,
  type PolicyVersionRecord,
} from '../policy-ports.js';
import type { IdentityDatabase } from './identity-rows.js';
import { policyChangeFromRow, policyVersionFromRow } from './policy-rows.js';
import { policyFromRow, targetFromRow } from './registry-rows.js';
import { compareText } from './row-codec.js';

type Db = Kysely<IdentityDatabase>;

const compareTargets = (a: PolicyTarget, b: PolicyTarget): number => compareText(a.kind, b.kind) || compareText(a.id, b.id);

/** Appends a feed entry and prunes those older than the retention, counted from this entry's time. Run it in the change's transaction. */
export async function recordChange(db: Db, change: Omit<PolicyChange, 'id'>): Promise<void> {
  await db.deleteFrom('policy_changes').where('at', '<', change.at - POLICY_CHANGE_RETENTION_MS).execute();
  await db
    .insertInto('policy_changes')
    .values({ tenant: change.tenant, kind: change.kind, name: change.name, target_kind: change.target?.kind ?? null, target_id: change.target?.id ?? null, at: change.at })
    .execute();
}

/**
 * Locks the policy's row for the rest of the transaction with an UPDATE that changes nothing, and
 * returns it. Every verb that changes versions starts here: on PostgreSQL a concurrent one waits for
 * the lock instead of numbering the same version or checking the limit against a stale count; on
 * SQLite the UPDATE takes the write lock at once.
 */
async function lockPolicy(db: Db, tenant: string, name: string): Promise<PolicyRecord & { lastVersionId: number } | undefined> {
  const row = await db
    .updateTable('policies')
    .set((eb) => ({ last_version_id: eb.ref('last_version_id') }))
    .where('tenant', '=', tenant)
    .where('name', '=', name)
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? undefined : { ...policyFromRow(row), lastVersionId: row.last_version_id };
}

async function insertVersion(db: Db, tenant: string, name: string, versionId: number, document: string, at: number): Promise<void> {
  await db.insertInto('policy_versions').values({ tenant, policy_name: name, version_id: versionId, document, created_at: at }).execute();
}

/** Several statements: run it in a transaction. */
export async function putPolicy(db: Db, policy: PolicyRecord): Promise<void> {
  const before = await lockPolicy(db, policy.tenant, policy.name);
  const row = {
    tenant: policy.tenant,
    name: policy.name,
    document: policy.document,
    version: policy.version,
    created_at: policy.createdAt,
    updated_at: policy.updatedAt,
    last_version_id: Math.max(before?.lastVersionId ?? 0, policy.version),
  };
  const { tenant: _tenant, name: _name, ...rest } = row;
  await db.insertInto('policies').values(row).onConflict((oc) => oc.columns(['tenant', 'name']).doUpdateSet(rest)).execute();
  await db.deleteFrom('policy_versions').where('tenant', '=', policy.tenant).where('policy_name', '=', policy.name).execute();
  await insertVersion(db, policy.tenant, policy.name, policy.version, policy.document, policy.updatedAt);
  await recordChange(db, policyChange(policy.tenant, policy.name, policy.updatedAt));
}

export async function getPolicy(db: Db, tenant: string, name: string): Promise<PolicyRecord | undefined> {
  const row = await db.selectFrom('policies').selectAll().where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : policyFromRow(row);
}

export async function listPolicies(db: Db, tenant: string): Promise<PolicyRecord[]> {
  const rows = await db.selectFrom('policies').selectAll().where('tenant', '=', tenant).execute();
  return rows.map(policyFromRow).sort((a, b) => compareText(a.name, b.name));
}

/** Several statements: run it in a transaction. */
export async function createPolicy(db: Db, tenant: string, name: string, document: string, at: number): Promise<PolicyRecord> {
  // DO NOTHING rather than catching a unique violation, which would abort a PostgreSQL transaction.
  const result = await db
    .insertInto('policies')
    .values({ tenant, name, document, version: 1, created_at: at, updated_at: at, last_version_id: 1 })
    .onConflict((oc) => oc.columns(['tenant', 'name']).doNothing())
    .executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) throw policyExists(tenant, name);
  await insertVersion(db, tenant, name, 1, document, at);
  await recordChange(db, policyChange(tenant, name, at));
  return { tenant, name, document, version: 1, createdAt: at, updatedAt: at };
}

/** Several statements: run it in a transaction (a throw undoes the lock's UPDATE with it). */
export async function createPolicyVersion(
  db: Db, tenant: string, name: string, document: string, options: CreatePolicyVersionOptions, at: number,
): Promise<PolicyVersionRecord> {
  const policy = await lockPolicy(db, tenant, name);
  if (policy === undefined) throw policyNotFound(tenant, name);
  const counted = await db.selectFrom('policy_versions').select((eb) => eb.fn.countAll().as('n')).where('tenant', '=', tenant).where('policy_name', '=', name).executeTakeFirstOrThrow();
  if (Number(counted.n) >= MAX_POLICY_VERSIONS) throw versionsLimitExceeded(name);
  const versionId = policy.lastVersionId + 1;
  await insertVersion(db, tenant, name, versionId, document, at);
  const isDefault = options.setAsDefault === true;
  await db
    .updateTable('policies')
    .set({ last_version_id: versionId, updated_at: at, ...(isDefault ? { document, version: versionId } : {}) })
    .where('tenant', '=', tenant)
    .where('name', '=', name)
    .execute();
  await recordChange(db, policyChange(tenant, name, at));
  return { tenant, name, versionId, document, isDefault, createdAt: at };
}

/** Several statements: run it in a transaction. */
export async function setDefaultPolicyVersion(db: Db, tenant: string, name: string, versionId: number, at: number): Promise<PolicyRecord> {
  if ((await lockPolicy(db, tenant, name)) === undefined) throw policyNotFound(tenant, name);
  const version = await db.selectFrom('policy_versions').select('document').where('tenant', '=', tenant).where('policy_name', '=', name).where('version_id', '=', versionId).executeTakeFirst();
  if (version === undefined) throw policyVersionNotFound(name, versionId);
  const row = await db
    .updateTable('policies')
    .set({ document: version.document, version: versionId, updated_at: at })
    .where('tenant', '=', tenant)
    .where('name', '=', name)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordChange(db, policyChange(tenant, name, at));
  return policyFromRow(row);
}

/** Several statements: run it in a transaction. */
export async function deletePolicyVersion(db: Db, tenant: string, name: string, versionId: number, at: number): Promise<boolean> {
  const policy = await lockPolicy(db, tenant, name);
  if (policy === undefined) return false;
  const exists = await db.selectFrom('policy_versions').select('version_id').where('tenant', '=', tenant).where('policy_name', '=', name).where('version_id', '=', versionId).executeTakeFirst();
  if (exists === undefined) return false;
  if (policy.version === versionId) throw defaultVersionConflict(name, versionId);
  await db.deleteFrom('policy_versions').where('tenant', '=', tenant).where('policy_name', '=', name).where('version_id', '=', versionId).execute();
  await db.updateTable('policies').set({ updated_at: at }).where('tenant', '=', tenant).where('name', '=', name).execute();
  await recordChange(db, policyChange(tenant, name, at));
  return true;
}

/** The policy's versions joined with its default version id; `versionId` narrows to one. */
function selectVersions(db: Db, tenant: string, name: string) {
  return db
    .selectFrom('policy_versions')
    .innerJoin('policies', (join) => join.onRef('policies.tenant', '=', 'policy_versions.tenant').onRef('policies.name', '=', 'policy_versions.policy_name'))
    .selectAll('policy_versions')
    .select('policies.version as default_version')
    .where('policy_versions.tenant', '=', tenant)
    .where('policy_versions.policy_name', '=', name);
}

export async function getPolicyVersion(db: Db, tenant: string, name: string, versionId: number): Promise<PolicyVersionRecord | undefined> {
  const row = await selectVersions(db, tenant, name).where('policy_versions.version_id', '=', versionId).executeTakeFirst();
  return row === undefined ? undefined : policyVersionFromRow(row);
}

export async function listPolicyVersions(db: Db, tenant: string, name: string): Promise<PolicyVersionRecord[]> {
  const rows = await selectVersions(db, tenant, name).orderBy('policy_versions.version_id').execute();
  return rows.map(policyVersionFromRow);
}

/** Several statements: run it in a transaction. */
export async function deletePolicy(db: Db, tenant: string, name: string, at: number): Promise<boolean> {
  // The foreign keys would cascade too; deleting the dependents first does not depend on SQLite's pragma.
  await db.deleteFrom('policy_attachments').where('tenant', '=', tenant).where('policy_name', '=', name).execute();
  await db.deleteFrom('policy_versions').where('tenant', '=', tenant).where('policy_name', '=', name).execute();
  const result = await db.deleteFrom('policies').where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) return false;
  await recordChange(db, policyChange(tenant, name, at));
  return true;
}

/** Several statements: run it in a transaction. */
export async function attachPolicy(db: Db, tenant: string, policyName: string, target: PolicyTarget, at: number): Promise<void> {
  // INSERT ... SELECT from the policy row: no row is written unless the policy exists, in one statement.
  // DO NOTHING makes a second attach a no-op without an error that would abort a PostgreSQL transaction.
  let inserted: number;
  try {
    const result = await db
      .insertInto('policy_attachments')
      .columns(['tenant', 'policy_name', 'target_kind', 'target_id'])
      .expression((eb) =>
        eb
          .selectFrom('policies')
          .select((sb) => ['tenant', 'name', sb.val(target.kind).as('target_kind'), sb.val(target.id).as('target_id')])
          .where('tenant', '=', tenant)
          .where('name', '=', policyName),
      )
      .onConflict((oc) => oc.columns(['tenant', 'policy_name', 'target_kind', 'target_id']).doNothing())
      .executeTakeFirst();
    inserted = Number(result.numInsertedOrUpdatedRows ?? 0);
  } catch (error) {
    // A delete of the policy committed between our read of it and the foreign key check (PostgreSQL).
    if (isForeignKeyViolation(error)) throw policyNotFound(tenant, policyName);
    throw error;
  }
  if (inserted > 0) return recordChange(db, policyChange(tenant, policyName, at, target));
  const policy = await db.selectFrom('policies').select('name').where('tenant', '=', tenant).where('name', '=', policyName).executeTakeFirst();
  if (policy === undefined) throw policyNotFound(tenant, policyName);
}

/** Two statements: run it in a transaction. */
export async function detachPolicy(db: Db, tenant: string, policyName: string, target: PolicyTarget, at: number): Promise<boolean> {
  const result = await db
    .deleteFrom('policy_attachments')
    .where('tenant', '=', tenant)
    .where('policy_name', '=', policyName)
    .where('target_kind', '=', target.kind)
    .where('target_id', '=', target.id)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) return false;
  await recordChange(db, policyChange(tenant, policyName, at, target));
  return true;
}

export async function listAttachedPolicies(db: Db, tenant: string, target: PolicyTarget): Promise<string[]> {
  const rows = await db
    .selectFrom('policy_attachments')
    .select('policy_name')
    .where('tenant', '=', tenant)
    .where('target_kind', '=', target.kind)
    .where('target_id', '=', target.id)
    .execute();
  return rows.map((row) => row.policy_name).sort(compareText);
}

export async function listPolicyTargets(db: Db, tenant: string, policyName: string): Promise<PolicyTarget[]> {
  const rows = await db.selectFrom('policy_attachments').select(['target_kind', 'target_id']).where('tenant', '=', tenant).where('policy_name', '=', policyName).execute();
  return rows.map(targetFromRow).sort(compareTargets);
}

/** One join over the attachment index (tenant, target_kind, target_id) of migration 0003. */
export async function listPoliciesAttachedTo(db: Db, tenant: string, targets: readonly PolicyTarget[]): Promise<AttachedPolicy[]> {
  if (targets.length === 0) return [];
  const rows = await db
    .selectFrom('policy_attachments')
    .innerJoin('policies', (join) => join.onRef('policies.tenant', '=', 'policy_attachments.tenant').onRef('policies.name', '=', 'policy_attachments.policy_name'))
    .selectAll('policies')
    .select(['policy_attachments.target_kind', 'policy_attachments.target_id'])
    .where('policy_attachments.tenant', '=', tenant)
    .where((eb) => eb.or(targets.map((target) => eb.and([eb('policy_attachments.target_kind', '=', target.kind), eb('policy_attachments.target_id', '=', target.id)]))))
    .execute();
  const byName = new Map<string, { policy: PolicyRecord; attachedTo: PolicyTarget[] }>();
  for (const row of rows) {
    const entry = byName.get(row.name) ?? { policy: policyFromRow(row), attachedTo: [] };
    entry.attachedTo.push(targetFromRow(row));
    byName.set(row.name, entry);
  }
  return [...byName.values()]
    .map(({ policy, attachedTo }) => ({ ...policy, attachedTo: attachedTo.sort(compareTargets) }))
    .sort((a, b) => compareText(a.name, b.name));
}

/** The caller checks `limit`. The plain range bound walks the (at, id) index of migration 0005. */
export async function listPolicyChanges(db: Db, since: number, limit: number, afterId: number | undefined): Promise<PolicyChange[]> {
  let select = db.selectFrom('policy_changes').selectAll().where('at', '>=', since);
  if (afterId !== undefined) select = select.where((eb) => eb.or([eb('at', '>', since), eb('id', '>', afterId)]));
  const rows = await select.orderBy('at').orderBy('id').limit(limit).execute();
  return rows.map(policyChangeFromRow);
}

/** PostgreSQL's SQLSTATE 23503, or better-sqlite3's extended code. */
function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
