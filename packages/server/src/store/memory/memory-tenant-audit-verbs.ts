/** MemoryIdentityStore's tenant and audit log verbs as synchronous functions on the tables, run under its lock. */
import { auditCursorId, type AuditEntry, type AuditPage, type AuditQuery, type NewAuditEntry } from '../audit-ports.js';
import { checkPageLimit } from '../identity-ports.js';
import { tenantExists, tenantNotEmpty, type TenantPage, type TenantRecord } from '../tenant-ports.js';
import type { MemoryIdentityTables } from './memory-identity-tables.js';

export function createTenant(tables: MemoryIdentityTables, tenant: TenantRecord): void {
  if (tables.tenants.has(tenant.id)) throw tenantExists(tenant.id);
  tables.tenants.set(tenant.id, { ...tenant });
}

export function putTenant(tables: MemoryIdentityTables, tenant: TenantRecord): void {
  tables.tenants.set(tenant.id, { ...tenant });
}

export function getTenant(tables: MemoryIdentityTables, id: string): TenantRecord | undefined {
  const tenant = tables.tenants.get(id);
  return tenant === undefined ? undefined : { ...tenant };
}

export function listTenants(tables: MemoryIdentityTables, query: { readonly limit: number; readonly cursor?: string }): TenantPage {
  checkPageLimit(query.limit, 'tenants');
  const { cursor } = query;
  const matching = [...tables.tenants.values()].filter((tenant) => cursor === undefined || tenant.id > cursor).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const items = matching.slice(0, query.limit).map((tenant) => ({ ...tenant }));
  const last = items.at(-1);
  return matching.length > query.limit && last !== undefined ? { items, nextCursor: last.id } : { items };
}

export function deleteTenant(tables: MemoryIdentityTables, id: string): boolean {
  if (!tables.tenants.has(id)) return false;
  const certificates = [...tables.certificates.values()].filter((record) => record.tenant === id).length;
  const things = [...tables.things.values()].filter((thing) => thing.tenant === id).length;
  if (certificates > 0 || things > 0) throw tenantNotEmpty(id, { certificates, things });
  return tables.tenants.delete(id);
}

export function appendAudit(tables: MemoryIdentityTables, entry: NewAuditEntry): AuditEntry {
  const stored: AuditEntry = { ...structuredClone(entry), id: tables.nextAuditId++ };
  tables.audit.push(stored);
  return structuredClone(stored);
}

export function listAudit(tables: MemoryIdentityTables, query: AuditQuery): AuditPage {
  checkPageLimit(query.limit, 'audit entries');
  const before = query.cursor === undefined ? undefined : auditCursorId(query.cursor);
  const matching = tables.audit.filter(
    (entry) =>
      (query.tenant === undefined || entry.tenant === query.tenant) &&
      (query.since === undefined || entry.at >= query.since) &&
      (before === undefined || entry.id < before),
  );
  const items = matching.reverse().slice(0, query.limit).map((entry) => structuredClone(entry));
  const last = items.at(-1);
  return matching.length > query.limit && last !== undefined ? { items, nextCursor: String(last.id) } : { items };
}
