/**
 * The registry verbs of SqlIdentityStore (things, role aliases) as plain queries on a Kysely or a
 * transaction; SqlIdentityStore adds error naming and atomicity. Policies are in policy-queries.ts.
 */
import type { Kysely } from 'kysely';
import type { RoleAliasRecord, ThingRecord } from '../identity-ports.js';
import type { IdentityDatabase } from './identity-rows.js';
import { roleAliasFromRow, thingFromRow, thingToRow } from './registry-rows.js';
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
