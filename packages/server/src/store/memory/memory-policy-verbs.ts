/**
 * MemoryIdentityStore's policy verbs (records, versions, attachments, the change feed) as synchronous
 * functions on the tables; the store runs each under its lock, so a verb's check and write never interleave.
 */
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
import { attachmentKey, key, type MemoryIdentityTables, type PolicyVersionsRow, type VersionRow } from './memory-identity-tables.js';

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareTargets(a: PolicyTarget, b: PolicyTarget): number {
  return compareText(a.kind, b.kind) || compareText(a.id, b.id);
}

/** Appends a feed entry and drops those older than the retention, counted from this entry's time. */
export function recordChange(tables: MemoryIdentityTables, change: Omit<PolicyChange, 'id'>): void {
  const cutoff = change.at - POLICY_CHANGE_RETENTION_MS;
  if (tables.policyChanges.some((entry) => entry.at < cutoff)) tables.policyChanges = tables.policyChanges.filter((entry) => entry.at >= cutoff);
  tables.policyChanges.push({ id: tables.nextPolicyChangeId++, ...change });
}

function versionRecord(policy: PolicyRecord, version: VersionRow): PolicyVersionRecord {
  return { tenant: policy.tenant, name: policy.name, versionId: version.versionId, document: version.document, isDefault: version.versionId === policy.version, createdAt: version.createdAt };
}

function existing(tables: MemoryIdentityTables, tenant: string, name: string): { policy: PolicyRecord; row: PolicyVersionsRow } {
  const policy = tables.policies.get(key(tenant, name));
  if (policy === undefined) throw policyNotFound(tenant, name);
  // A policy always has its row; the fallback only guards tables filled by hand.
  const row = tables.policyVersions.get(key(tenant, name)) ?? { lastVersionId: policy.version, versions: [{ versionId: policy.version, document: policy.document, createdAt: policy.createdAt }] };
  return { policy, row };
}

export function putPolicy(tables: MemoryIdentityTables, policy: PolicyRecord): void {
  const id = key(policy.tenant, policy.name);
  const lastVersionId = Math.max(tables.policyVersions.get(id)?.lastVersionId ?? 0, policy.version);
  tables.policies.set(id, { ...policy });
  tables.policyVersions.set(id, { lastVersionId, versions: [{ versionId: policy.version, document: policy.document, createdAt: policy.updatedAt }] });
  recordChange(tables, policyChange(policy.tenant, policy.name, policy.updatedAt));
}

export function createPolicy(tables: MemoryIdentityTables, tenant: string, name: string, document: string, at: number): PolicyRecord {
  if (tables.policies.has(key(tenant, name))) throw policyExists(tenant, name);
  const policy: PolicyRecord = { tenant, name, document, version: 1, createdAt: at, updatedAt: at };
  putPolicy(tables, policy);
  return { ...policy };
}

export function createPolicyVersion(
  tables: MemoryIdentityTables, tenant: string, name: string, document: string, options: CreatePolicyVersionOptions, at: number,
): PolicyVersionRecord {
  const { policy, row } = existing(tables, tenant, name);
  if (row.versions.length >= MAX_POLICY_VERSIONS) throw versionsLimitExceeded(name);
  const version = { versionId: row.lastVersionId + 1, document, createdAt: at };
  tables.policyVersions.set(key(tenant, name), { lastVersionId: version.versionId, versions: [...row.versions, version] });
  const updated: PolicyRecord = options.setAsDefault === true ? { ...policy, document, version: version.versionId, updatedAt: at } : { ...policy, updatedAt: at };
  tables.policies.set(key(tenant, name), updated);
  recordChange(tables, policyChange(tenant, name, at));
  return versionRecord(updated, version);
}

export function setDefaultPolicyVersion(tables: MemoryIdentityTables, tenant: string, name: string, versionId: number, at: number): PolicyRecord {
  const { policy, row } = existing(tables, tenant, name);
  const version = row.versions.find((each) => each.versionId === versionId);
  if (version === undefined) throw policyVersionNotFound(name, versionId);
  const updated: PolicyRecord = { ...policy, document: version.document, version: versionId, updatedAt: at };
  tables.policies.set(key(tenant, name), updated);
  recordChange(tables, policyChange(tenant, name, at));
  return { ...updated };
}

export function deletePolicyVersion(tables: MemoryIdentityTables, tenant: string, name: string, versionId: number, at: number): boolean {
  if (!tables.policies.has(key(tenant, name))) return false;
  const { policy, row } = existing(tables, tenant, name);
  if (!row.versions.some((each) => each.versionId === versionId)) return false;
  if (policy.version === versionId) throw defaultVersionConflict(name, versionId);
  tables.policyVersions.set(key(tenant, name), { ...row, versions: row.versions.filter((each) => each.versionId !== versionId) });
  tables.policies.set(key(tenant, name), { ...policy, updatedAt: at });
  recordChange(tables, policyChange(tenant, name, at));
  return true;
}

export function getPolicyVersion(tables: MemoryIdentityTables, tenant: string, name: string, versionId: number): PolicyVersionRecord | undefined {
  if (!tables.policies.has(key(tenant, name))) return undefined;
  const { policy, row } = existing(tables, tenant, name);
  const version = row.versions.find((each) => each.versionId === versionId);
  return version === undefined ? undefined : versionRecord(policy, version);
}

export function listPolicyVersions(tables: MemoryIdentityTables, tenant: string, name: string): PolicyVersionRecord[] {
  if (!tables.policies.has(key(tenant, name))) return [];
  const { policy, row } = existing(tables, tenant, name);
  return row.versions.map((version) => versionRecord(policy, version));
}

export function deletePolicy(tables: MemoryIdentityTables, tenant: string, name: string, at: number): boolean {
  if (!tables.policies.delete(key(tenant, name))) return false;
  tables.policyVersions.delete(key(tenant, name));
  for (const [each, row] of tables.attachments) if (row.tenant === tenant && row.policyName === name) tables.attachments.delete(each);
  recordChange(tables, policyChange(tenant, name, at));
  return true;
}

export function attachPolicy(tables: MemoryIdentityTables, tenant: string, name: string, target: PolicyTarget, at: number): void {
  if (!tables.policies.has(key(tenant, name))) throw policyNotFound(tenant, name);
  const id = attachmentKey(tenant, name, target);
  // A second attach changes nothing, so it writes no feed entry.
  if (tables.attachments.has(id)) return;
  tables.attachments.set(id, { tenant, policyName: name, target: { kind: target.kind, id: target.id } });
  recordChange(tables, policyChange(tenant, name, at, target));
}

export function detachPolicy(tables: MemoryIdentityTables, tenant: string, name: string, target: PolicyTarget, at: number): boolean {
  if (!tables.attachments.delete(attachmentKey(tenant, name, target))) return false;
  recordChange(tables, policyChange(tenant, name, at, target));
  return true;
}

export function listAttachedPolicies(tables: MemoryIdentityTables, tenant: string, target: PolicyTarget): string[] {
  return [...tables.attachments.values()]
    .filter((row) => row.tenant === tenant && row.target.kind === target.kind && row.target.id === target.id)
    .map((row) => row.policyName)
    .sort(compareText);
}

export function listPolicyTargets(tables: MemoryIdentityTables, tenant: string, name: string): PolicyTarget[] {
  return [...tables.attachments.values()]
    .filter((row) => row.tenant === tenant && row.policyName === name)
    .map((row) => ({ ...row.target }))
    .sort(compareTargets);
}

export function listPoliciesAttachedTo(tables: MemoryIdentityTables, tenant: string, targets: readonly PolicyTarget[]): AttachedPolicy[] {
  const wanted = new Set(targets.map((target) => `${target.kind}\0${target.id}`));
  const byName = new Map<string, PolicyTarget[]>();
  for (const row of tables.attachments.values()) {
    if (row.tenant !== tenant || !wanted.has(`${row.target.kind}\0${row.target.id}`)) continue;
    byName.set(row.policyName, [...(byName.get(row.policyName) ?? []), { ...row.target }]);
  }
  const found: AttachedPolicy[] = [];
  for (const [name, attachedTo] of byName) {
    const policy = tables.policies.get(key(tenant, name));
    if (policy !== undefined) found.push({ ...policy, attachedTo: attachedTo.sort(compareTargets) });
  }
  return found.sort((a, b) => compareText(a.name, b.name));
}

export function listPolicyChanges(tables: MemoryIdentityTables, since: number, limit: number, afterId: number | undefined): PolicyChange[] {
  return tables.policyChanges
    .filter((entry) => entry.at > since || (entry.at === since && (afterId === undefined || entry.id > afterId)))
    .sort((a, b) => a.at - b.at || a.id - b.id)
    .slice(0, limit)
    .map((entry) => (entry.target === undefined ? { ...entry } : { ...entry, target: { ...entry.target } }));
}
