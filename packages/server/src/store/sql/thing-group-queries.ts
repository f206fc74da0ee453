/**
 * The thing group verbs of SqlIdentityStore (migration 0006's `thing_groups`, grown by 0008) as plain queries on a
 * Kysely or a transaction, with the table's type and row codec. Sorting is done in JavaScript.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { registryChange } from '../policy-ports.js';
import { checkThingGroupPut, thingGroupHasChildren, type ThingGroupRecord } from '../thing-group-ports.js';
import type { IdentityDatabase } from './identity-rows.js';
import { recordChange } from './policy-queries.js';
import { compareText, toNumber } from './row-codec.js';
import { changeThingGroups } from './thing-queries.js';
import type { BigIntColumn, SqlDialectName } from './schema.js';

type Db = Kysely<IdentityDatabase>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface ThingGroupsTable {
  tenant: string;
  name: string;
  parent: string | null;
  description: string | null;
  /** Migration 0008: the attribute map as JSON, the group's id and version. */
  attributes: string | null;
  thing_group_id: string | null;
  version: number | null;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
}

export interface ThingGroupDatabase {
  thing_groups: ThingGroupsTable;
}

function thingGroupFromRow(row: Selectable<ThingGroupsTable>): ThingGroupRecord {
  const group: Mutable<ThingGroupRecord> = { tenant: row.tenant, name: row.name, createdAt: toNumber(row.created_at), updatedAt: toNumber(row.updated_at) };
  if (row.parent !== null) group.parent = row.parent;
  if (row.description !== null) group.description = row.description;
  if (row.attributes !== null) group.attributes = JSON.parse(row.attributes) as Record<string, string>;
  if (row.thing_group_id !== null) group.thingGroupId = row.thing_group_id;
  if (row.version !== null) group.version = row.version;
  return group;
}

/**
 * Reads the tenant's tree, checks, writes: run it in a transaction. On PostgreSQL a transaction-scoped
 * advisory lock per tenant serialises puts, so two concurrent moves cannot close a cycle that neither
 * saw (SQLite has one writer at a time already). A new group or a new parent writes a feed entry (the
 * groups its things inherit from changed); a description or attributes do not.
 */
export async function putThingGroup(db: Db, dialect: SqlDialectName, group: ThingGroupRecord): Promise<void> {
  await lockTenantGroups(db, dialect, group.tenant);
  const rows = await db.selectFrom('thing_groups').select(['name', 'parent']).where('tenant', '=', group.tenant).execute();
  checkThingGroupPut(group, new Map(rows.map((row) => [row.name, row.parent ?? undefined])));
  const row = {
    tenant: group.tenant, name: group.name, parent: group.parent ?? null, description: group.description ?? null,
    attributes: group.attributes === undefined ? null : JSON.stringify(group.attributes), thing_group_id: group.thingGroupId ?? null, version: group.version ?? null,
    created_at: group.createdAt, updated_at: group.updatedAt,
  };
  const { tenant: _tenant, name: _name, ...rest } = row;
  await db.insertInto('thing_groups').values(row).onConflict((oc) => oc.columns(['tenant', 'name']).doUpdateSet(rest)).execute();
  const previous = rows.find((each) => each.name === group.name);
  if (previous === undefined || (previous.parent ?? undefined) !== group.parent) await recordChange(db, registryChange(group.tenant, 'thing-group', group.name, Date.now()));
}

export async function getThingGroup(db: Db, tenant: string, name: string): Promise<ThingGroupRecord | undefined> {
  const row = await db.selectFrom('thing_groups').selectAll().where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : thingGroupFromRow(row);
}

export async function listThingGroups(db: Db, tenant: string): Promise<ThingGroupRecord[]> {
  const rows = await db.selectFrom('thing_groups').selectAll().where('tenant', '=', tenant).execute();
  return rows.map(thingGroupFromRow).sort((a, b) => compareText(a.name, b.name));
}

/** Several statements: run it in a transaction (with putThingGroup's lock on PostgreSQL, so no child slips in). Its things leave it. */
export async function deleteThingGroup(db: Db, dialect: SqlDialectName, tenant: string, name: string): Promise<boolean> {
  await lockTenantGroups(db, dialect, tenant);
  const children = await db.selectFrom('thing_groups').select('name').where('tenant', '=', tenant).where('parent', '=', name).execute();
  if (children.length > 0) throw thingGroupHasChildren(name, children.map((child) => child.name).sort(compareText));
  const result = await db.deleteFrom('thing_groups').where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) return false;
  const members = await db.selectFrom('thing_group_members').select('thing').where('tenant', '=', tenant).where('thing_group', '=', name).execute();
  for (const member of members) await changeThingGroups(db, tenant, member.thing, (groups) => groups.filter((group) => group !== name));
  // One entry for the group, not one per member: a connection's targets name the group either way.
  await recordChange(db, registryChange(tenant, 'thing-group', name, Date.now()));
  return true;
}

/** On PostgreSQL, serialises the tenant's tree changes until the transaction ends (SQLite has one writer already). */
export async function lockTenantGroups(db: Db, dialect: SqlDialectName, tenant: string): Promise<void> {
  if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(hashtext(${`gatehouse thing groups ${tenant}`}))`.execute(db);
}
