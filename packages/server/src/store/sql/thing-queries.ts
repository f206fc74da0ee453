/**
 * The thing verbs of SqlIdentityStore as plain queries on a Kysely or a transaction. A thing's row
 * keeps its attributes and groups as JSON (the record's own copy); `thing_attributes` and
 * `thing_group_members` (migration 0008) hold the same as rows, written with it, so `listThings`
 * filters with indexes instead of reading every thing.
 */
import type { Kysely } from 'kysely';
import type { ThingRecord } from '../identity-ports.js';
import {
  billingGroupNotFound, checkThingQuery, groupAndDescendants, MAX_THING_GROUPS_PER_THING, thingGroupNotFound, thingNotFound, tooManyThingGroups,
  type ThingPage, type ThingQuery,
} from '../registry-ports.js';
import { registryChange } from '../policy-ports.js';
import type { IdentityDatabase } from './identity-rows.js';
import { recordChange } from './policy-queries.js';
import { thingFromRow, thingToRow } from './registry-rows.js';
import { GatehouseError } from '../../core/index.js';

type Db = Kysely<IdentityDatabase>;

/** Bigger than any code point, so `value < prefix + MAX_CHAR` bounds the values that start with `prefix` (bytewise). */
const MAX_CHAR = '\u{10FFFF}';

/** Several statements: run it in a transaction. */
export async function putThing(db: Db, thing: ThingRecord): Promise<void> {
  const row = thingToRow(thing);
  const { tenant: _tenant, name: _name, ...rest } = row;
  await db.insertInto('things').values(row).onConflict((oc) => oc.columns(['tenant', 'name']).doUpdateSet(rest)).execute();
  await writeAttributeRows(db, thing);
  await writeMemberRows(db, thing.tenant, thing.name, thing.groups);
  await thingChanged(db, thing.tenant, thing.name);
}

/** The feed entry that makes live connections of the thing resolve their policies again. */
function thingChanged(db: Db, tenant: string, name: string): Promise<void> {
  return recordChange(db, registryChange(tenant, 'thing', name, Date.now()));
}

export async function getThing(db: Db, tenant: string, name: string): Promise<ThingRecord | undefined> {
  const row = await db.selectFrom('things').selectAll().where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : thingFromRow(row);
}

/** Several statements: run it in a transaction. */
export async function createThing(db: Db, thing: ThingRecord): Promise<boolean> {
  // DO NOTHING rather than catching a unique violation, which would abort a PostgreSQL transaction.
  const result = await db.insertInto('things').values(thingToRow(thing)).onConflict((oc) => oc.columns(['tenant', 'name']).doNothing()).executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) return false;
  await writeAttributeRows(db, thing);
  await writeMemberRows(db, thing.tenant, thing.name, thing.groups);
  await thingChanged(db, thing.tenant, thing.name);
  return true;
}

/**
 * The version test sits in the UPDATE, so of two writers from the same version one wins on either
 * dialect. Groups and billing group are left as stored: only the membership verbs change them.
 * Several statements: run it in a transaction.
 */
export async function replaceThing(db: Db, thing: ThingRecord, expectedVersion: number): Promise<boolean> {
  const { tenant, name, thing_groups: _groups, billing_group: _billing, ...rest } = thingToRow(thing);
  const result = await db.updateTable('things').set(rest).where('tenant', '=', tenant).where('name', '=', name).where('version', '=', expectedVersion).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return false;
  await writeAttributeRows(db, thing);
  await thingChanged(db, tenant, name);
  return true;
}

/** Several statements: run it in a transaction. */
export async function deleteThing(db: Db, tenant: string, name: string, expectedVersion?: number): Promise<boolean> {
  let remove = db.deleteFrom('things').where('tenant', '=', tenant).where('name', '=', name);
  if (expectedVersion !== undefined) remove = remove.where('version', '=', expectedVersion);
  const result = await remove.executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) return false;
  // The foreign keys cascade too; deleting here keeps the outcome the same where they are off.
  await db.deleteFrom('thing_attributes').where('tenant', '=', tenant).where('thing', '=', name).execute();
  await db.deleteFrom('thing_group_members').where('tenant', '=', tenant).where('thing', '=', name).execute();
  await db.updateTable('device_certificates').set({ thing: null }).where('tenant', '=', tenant).where('thing', '=', name).execute();
  await thingChanged(db, tenant, name);
  return true;
}

/** Cut in SQL on `name` (bytewise on both dialects); every filter is a condition on an indexed column. The caller checks `limit`. */
export async function listThings(db: Db, tenant: string, query: ThingQuery): Promise<ThingPage> {
  checkThingQuery(query);
  let select = db.selectFrom('things').selectAll().where('things.tenant', '=', tenant);
  if (query.cursor !== undefined) select = select.where('things.name', '>', query.cursor);
  if (query.thingType !== undefined) select = select.where('things.thing_type', '=', query.thingType);
  if (query.billingGroup !== undefined) select = select.where('things.billing_group', '=', query.billingGroup);
  const { attributeName, attributeValue } = query;
  if (attributeName !== undefined) {
    let attributes = db.selectFrom('thing_attributes').select('thing_attributes.thing').where('thing_attributes.tenant', '=', tenant).where('thing_attributes.name', '=', attributeName);
    if (attributeValue !== undefined && query.usePrefixAttributeValue === true) {
      // The range walks the index; the substring test makes it exact. substr counts characters on both dialects.
      attributes = attributes
        .where('thing_attributes.value', '>=', attributeValue)
        .where('thing_attributes.value', '<', `${attributeValue}${MAX_CHAR}`)
        .where((eb) => eb(eb.fn('substr', ['thing_attributes.value', eb.val(1), eb.val([...attributeValue].length)]), '=', attributeValue));
    } else if (attributeValue !== undefined) {
      attributes = attributes.where('thing_attributes.value', '=', attributeValue);
    }
    select = select.where('things.name', 'in', attributes);
  }
  if (query.thingGroup !== undefined) {
    const groups = query.recursive === true ? groupAndDescendants(query.thingGroup, await tenantTree(db, tenant)) : [query.thingGroup];
    select = select.where('things.name', 'in', db.selectFrom('thing_group_members').select('thing_group_members.thing').where('thing_group_members.tenant', '=', tenant).where('thing_group_members.thing_group', 'in', groups));
  }
  // One row more than asked tells whether another page follows.
  const rows = await select.orderBy('things.name').limit(query.limit + 1).execute();
  const items = rows.slice(0, query.limit).map(thingFromRow);
  const last = items.at(-1);
  return rows.length > query.limit && last !== undefined ? { items, nextCursor: last.name } : { items };
}

async function tenantTree(db: Db, tenant: string): Promise<Map<string, string | undefined>> {
  const rows = await db.selectFrom('thing_groups').select(['name', 'parent']).where('tenant', '=', tenant).execute();
  return new Map(rows.map((row) => [row.name, row.parent ?? undefined]));
}

/** Several statements: run it in a transaction. */
export async function addThingToThingGroup(db: Db, tenant: string, group: string, thing: string): Promise<boolean> {
  const found = await db.selectFrom('thing_groups').select('name').where('tenant', '=', tenant).where('name', '=', group).executeTakeFirst();
  if (found === undefined) throw thingGroupNotFound(tenant, group);
  let added = false;
  await changeThingGroups(db, tenant, thing, (groups) => {
    if (groups.includes(group)) return groups;
    if (groups.length >= MAX_THING_GROUPS_PER_THING) throw tooManyThingGroups(thing, group);
    added = true;
    return [...groups, group];
  }, { required: true });
  if (added) await thingChanged(db, tenant, thing);
  return added;
}

/** Several statements: run it in a transaction. */
export async function removeThingFromThingGroup(db: Db, tenant: string, group: string, thing: string): Promise<boolean> {
  let removed = false;
  await changeThingGroups(db, tenant, thing, (groups) => {
    removed = groups.includes(group);
    return groups.filter((each) => each !== group);
  });
  if (removed) await thingChanged(db, tenant, thing);
  return removed;
}

/**
 * Rewrites a thing's groups with `change`, as a compare-and-set on the stored JSON: a writer that
 * changed them meanwhile (in another process) makes this read again and retry, so no membership is
 * lost. Then the membership rows follow. No thing: NOT_FOUND with `required`, else nothing happens.
 */
export async function changeThingGroups(db: Db, tenant: string, thing: string, change: (groups: readonly string[]) => readonly string[], options: { readonly required?: boolean } = {}): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const row = await db.selectFrom('things').select('thing_groups').where('tenant', '=', tenant).where('name', '=', thing).executeTakeFirst();
    if (row === undefined) {
      if (options.required === true) throw thingNotFound(tenant, thing);
      return;
    }
    const current = JSON.parse(row.thing_groups) as string[];
    const next = [...new Set(change(current))].sort();
    if (next.join('\n') === current.join('\n')) return;
    const result = await db.updateTable('things').set({ thing_groups: JSON.stringify(next) })
      .where('tenant', '=', tenant).where('name', '=', thing).where('thing_groups', '=', row.thing_groups).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) {
      await writeMemberRows(db, tenant, thing, next);
      return;
    }
  }
  throw new GatehouseError('CONFLICT', { reason: `Cannot change the groups of thing "${thing}": it is being changed by others at the same time; try again` });
}

/** Several statements: run it in a transaction. */
export async function setThingBillingGroup(db: Db, tenant: string, thing: string, billingGroup: string | undefined): Promise<string | undefined> {
  if (billingGroup !== undefined) {
    const found = await db.selectFrom('billing_groups').select('name').where('tenant', '=', tenant).where('name', '=', billingGroup).executeTakeFirst();
    if (found === undefined) throw billingGroupNotFound(tenant, billingGroup);
  }
  const row = await db.selectFrom('things').select('billing_group').where('tenant', '=', tenant).where('name', '=', thing).executeTakeFirst();
  if (row === undefined) throw thingNotFound(tenant, thing);
  await db.updateTable('things').set({ billing_group: billingGroup ?? null }).where('tenant', '=', tenant).where('name', '=', thing).execute();
  return row.billing_group ?? undefined;
}

async function writeAttributeRows(db: Db, thing: ThingRecord): Promise<void> {
  await db.deleteFrom('thing_attributes').where('tenant', '=', thing.tenant).where('thing', '=', thing.name).execute();
  const rows = Object.entries(thing.attributes).map(([name, value]) => ({ tenant: thing.tenant, thing: thing.name, name, value }));
  if (rows.length > 0) await db.insertInto('thing_attributes').values(rows).execute();
}

async function writeMemberRows(db: Db, tenant: string, thing: string, groups: readonly string[]): Promise<void> {
  await db.deleteFrom('thing_group_members').where('tenant', '=', tenant).where('thing', '=', thing).execute();
  const rows = [...new Set(groups)].map((group) => ({ tenant, thing_group: group, thing }));
  if (rows.length > 0) await db.insertInto('thing_group_members').values(rows).execute();
}
