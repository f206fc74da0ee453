/** The tenant and audit log verbs of SqlIdentityStore as plain queries on a Kysely or a transaction. */
import type { Kysely } from 'kysely';
import { auditCursorId, type AuditEntry, type AuditPage, type AuditQuery, type NewAuditEntry } from '../audit-ports.js';
import { tenantExists, tenantNotEmpty, type TenantPage, type TenantRecord } from '../tenant-ports.js';
import type { IdentityDatabase } from './identity-rows.js';
import { auditFromRow, tenantFromRow } from './policy-rows.js';

type Db = Kysely<IdentityDatabase>;

function tenantRow(tenant: TenantRecord) {
  return { id: tenant.id, name: tenant.name ?? null, status: tenant.status, created_at: tenant.createdAt, updated_at: tenant.updatedAt };
}

export async function createTenant(db: Db, tenant: TenantRecord): Promise<void> {
  // DO NOTHING rather than catching a unique violation, which would abort a PostgreSQL transaction.
  const result = await db.insertInto('tenants').values(tenantRow(tenant)).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) throw tenantExists(tenant.id);
}

export async function putTenant(db: Db, tenant: TenantRecord): Promise<void> {
  const { id: _id, ...rest } = tenantRow(tenant);
  await db.insertInto('tenants').values(tenantRow(tenant)).onConflict((oc) => oc.column('id').doUpdateSet(rest)).execute();
}

export async function getTenant(db: Db, id: string): Promise<TenantRecord | undefined> {
  const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : tenantFromRow(row);
}

/** Cut in SQL on `id`, which migration 0005 makes compare bytewise on both dialects; the caller checks `limit`. */
export async function listTenants(db: Db, query: { readonly limit: number; readonly cursor?: string }): Promise<TenantPage> {
  let select = db.selectFrom('tenants').selectAll();
  if (query.cursor !== undefined) select = select.where('id', '>', query.cursor);
  // One row more than asked tells whether another page follows.
  const rows = await select.orderBy('id').limit(query.limit + 1).execute();
  const items = rows.slice(0, query.limit).map(tenantFromRow);
  const last = items.at(-1);
  return rows.length > query.limit && last !== undefined ? { items, nextCursor: last.id } : { items };
}

/**
 * Several statements: run it in a transaction. The row is deleted first, then the tenant's devices
 * are counted, and a refusal throws, which undoes the delete; on PostgreSQL the deleted row stays
 * locked meanwhile, so a concurrent delete of the same tenant waits and then finds nothing.
 */
export async function deleteTenant(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) return false;
  const count = async (table: 'device_certificates' | 'things'): Promise<number> => {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('tenant', '=', id).executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const certificates = await count('device_certificates');
  const things = await count('things');
  if (certificates > 0 || things > 0) throw tenantNotEmpty(id, { certificates, things });
  return true;
}

export async function appendAudit(db: Db, entry: NewAuditEntry): Promise<AuditEntry> {
  const row = await db
    .insertInto('audit_log')
    .values({
      at: entry.at,
      actor: entry.actor,
      source_ip: entry.sourceIp ?? null,
      action: entry.action,
      tenant: entry.tenant ?? null,
      target: entry.target,
      details: JSON.stringify(entry.details),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return auditFromRow(row);
}

/** Newest first, cut in SQL on the primary key; the caller checks `limit`. */
export async function listAudit(db: Db, query: AuditQuery): Promise<AuditPage> {
  let select = db.selectFrom('audit_log').selectAll();
  if (query.tenant !== undefined) select = select.where('tenant', '=', query.tenant);
  if (query.since !== undefined) select = select.where('at', '>=', query.since);
  if (query.cursor !== undefined) select = select.where('id', '<', auditCursorId(query.cursor));
  const rows = await select.orderBy('id', 'desc').limit(query.limit + 1).execute();
  const items = rows.slice(0, query.limit).map(auditFromRow);
  const last = items.at(-1);
  return rows.length > query.limit && last !== undefined ? { items, nextCursor: String(last.id) } : { items };
}
