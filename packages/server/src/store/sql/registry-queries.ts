/**
 * The role alias verbs of SqlIdentityStore as plain queries on a Kysely or a transaction;
 * SqlIdentityStore adds error naming. Things are in thing-queries.ts, policies in policy-queries.ts.
 */
import type { Kysely } from 'kysely';
import type { RoleAliasRecord } from '../identity-ports.js';
import type { IdentityDatabase } from './identity-rows.js';
import { roleAliasFromRow } from './registry-rows.js';
import { compareText } from './row-codec.js';

type Db = Kysely<IdentityDatabase>;

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
