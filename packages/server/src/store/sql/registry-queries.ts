/**
 * The registry verbs of SqlIdentityStore (things, policies and their attachments, role aliases) as
 * plain queries on a Kysely or a transaction; SqlIdentityStore adds error naming and atomicity.
 */
import type { Kysely } from 'kysely';
import { policyNotFound, type PolicyRecord, type PolicyTarget, type RoleAliasRecord, type ThingRecord } from '../identity-ports.js';
import type { IdentityDatabase } from './identity-rows.js';
import { policyFromRow, roleAliasFromRow, targetFromRow, thingFromRow, thingToRow } from './registry-rows.js';
import { compareText } from './row-codec.js';

type Db = Kysely<IdentityDatabase>;

export interface ThingPage {
  readonly items: readonly ThingRecord[];
  readonly nextCursor?: string;
}

export async function putThing(db: Db, thing: ThingRecord): Promise<void> {
  const row = thingToRow(thing);
  const { tenant: _tenant, name: _name, ...rest } = row;
  await db.insertInto('things').values(row).onConflict((oc) => oc.columns(['tenant', 'name']).doUpdateSet(rest)).execute();
}

export async function getThing(db: Db, tenant: string, name: string): Promise<ThingRecord | undefined> {
  const row = await db.selectFrom('things').selectAll().where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : thingFromRow(row);
}

/** Cut in SQL on `name`, which migration 0003 makes compare bytewise on both dialects; the caller checks `limit`. */
export async function listThings(db: Db, tenant: string, query: { readonly limit: number; readonly cursor?: string }): Promise<ThingPage> {
  let select = db.selectFrom('things').selectAll().where('tenant', '=', tenant);
  if (query.cursor !== undefined) select = select.where('name', '>', query.cursor);
  // One row more than asked tells whether another page follows.
  const rows = await select.orderBy('name').limit(query.limit + 1).execute();
  const items = rows.slice(0, query.limit).map(thingFromRow);
  const last = items.at(-1);
  return rows.length > query.limit && last !== undefined ? { items, nextCursor: last.name } : { items };
}

/** Two statements: run it in a transaction. */
export async function deleteThing(db: Db, tenant: string, name: string): Promise<boolean> {
  const result = await db.deleteFrom('things').where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) return false;
  await db.updateTable('device_certificates').set({ thing: null }).where('tenant', '=', tenant).where('thing', '=', name).execute();
  return true;
}

export async function putPolicy(db: Db, policy: PolicyRecord): Promise<void> {
  const row = { tenant: policy.tenant, name: policy.name, document: policy.document, version: policy.version, created_at: policy.createdAt, updated_at: policy.updatedAt };
  const { tenant: _tenant, name: _name, ...rest } = row;
  await db.insertInto('policies').values(row).onConflict((oc) => oc.columns(['tenant', 'name']).doUpdateSet(rest)).execute();
}

export async function getPolicy(db: Db, tenant: string, name: string): Promise<PolicyRecord | undefined> {
  const row = await db.selectFrom('policies').selectAll().where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : policyFromRow(row);
}

export async function listPolicies(db: Db, tenant: string): Promise<PolicyRecord[]> {
  const rows = await db.selectFrom('policies').selectAll().where('tenant', '=', tenant).execute();
  return rows.map(policyFromRow).sort((a, b) => compareText(a.name, b.name));
}

/** Two statements: run it in a transaction. */
export async function deletePolicy(db: Db, tenant: string, name: string): Promise<boolean> {
  // The foreign key would cascade too; deleting the attachments first does not depend on SQLite's pragma.
  await db.deleteFrom('policy_attachments').where('tenant', '=', tenant).where('policy_name', '=', name).execute();
  const result = await db.deleteFrom('policies').where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function attachPolicy(db: Db, tenant: string, policyName: string, target: PolicyTarget): Promise<void> {
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
  if (inserted > 0) return;
  const policy = await db.selectFrom('policies').select('name').where('tenant', '=', tenant).where('name', '=', policyName).executeTakeFirst();
  if (policy === undefined) throw policyNotFound(tenant, policyName);
}

export async function detachPolicy(db: Db, tenant: string, policyName: string, target: PolicyTarget): Promise<boolean> {
  const result = await db
    .deleteFrom('policy_attachments')
    .where('tenant', '=', tenant)
    .where('policy_name', '=', policyName)
    .where('target_kind', '=', target.kind)
    .where('target_id', '=', target.id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
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
  return rows.map(targetFromRow).sort((a, b) => compareText(a.kind, b.kind) || compareText(a.id, b.id));
}

export async function putRoleAlias(db: Db, alias: RoleAliasRecord): Promise<void> {
  const row = {
    tenant: alias.tenant,
    alias: alias.alias,
    role_arn: alias.roleArn,
    credential_duration_seconds: alias.credentialDurationSeconds,
    created_at: alias.createdAt,
    updated_at: alias.updatedAt,
  };
  const { tenant: _tenant, alias: _alias, ...rest } = row;
  await db.insertInto('role_aliases').values(row).onConflict((oc) => oc.columns(['tenant', 'alias']).doUpdateSet(rest)).execute();
}

export async function getRoleAlias(db: Db, tenant: string, alias: string): Promise<RoleAliasRecord | undefined> {
  const row = await db.selectFrom('role_aliases').selectAll().where('tenant', '=', tenant).where('alias', '=', alias).executeTakeFirst();
  return row === undefined ? undefined : roleAliasFromRow(row);
}

export async function listRoleAliases(db: Db, tenant: string): Promise<RoleAliasRecord[]> {
  const rows = await db.selectFrom('role_aliases').selectAll().where('tenant', '=', tenant).execute();
  return rows.map(roleAliasFromRow).sort((a, b) => compareText(a.alias, b.alias));
}

export async function deleteRoleAlias(db: Db, tenant: string, alias: string): Promise<boolean> {
  const result = await db.deleteFrom('role_aliases').where('tenant', '=', tenant).where('alias', '=', alias).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** PostgreSQL's SQLSTATE 23503, or better-sqlite3's extended code. */
function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
