/**
 * The registry tables' Kysely types (migration 0003: things, policies, policy attachments, role
 * aliases; 0008 grew things) and the functions that turn their rows into records; JSON columns hold maps and lists.
 */
import type { Insertable, Selectable } from 'kysely';
import type { PolicyRecord, PolicyTarget, RoleAliasRecord, ThingRecord } from '../identity-ports.js';
import { oneOf } from './identity-rows.js';
import { toNumber } from './row-codec.js';
import type { BigIntColumn } from './schema.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface ThingsTable {
  tenant: string;
  name: string;
  thing_type: string | null;
  /** Attribute name → value as a JSON object. */
  attributes: string;
  /** The sorted group names as a JSON array (thing_group_members holds the same, for filtering). */
  thing_groups: string;
  version: number;
  /** Migration 0008. */
  thing_id: string | null;
  billing_group: string | null;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
}

/** One row per policy, holding its default version's document and id (migration 0005 added the versions). */
export interface PoliciesTable {
  tenant: string;
  name: string;
  document: string;
  version: number;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
  /** The highest version id the policy ever had (migration 0005). */
  last_version_id: number;
}

export interface PolicyAttachmentsTable {
  tenant: string;
  policy_name: string;
  /** A PolicyTarget kind. */
  target_kind: string;
  target_id: string;
}

export interface RoleAliasesTable {
  tenant: string;
  alias: string;
  role_arn: string;
  credential_duration_seconds: number;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
}

export interface RegistryDatabase {
  things: ThingsTable;
  policies: PoliciesTable;
  policy_attachments: PolicyAttachmentsTable;
  role_aliases: RoleAliasesTable;
}

export const TARGET_KINDS = ['certificate', 'thing-group', 'tenant'] as const;

export function thingToRow(thing: ThingRecord): Insertable<ThingsTable> {
  return {
    tenant: thing.tenant,
    name: thing.name,
    thing_type: thing.thingType ?? null,
    attributes: JSON.stringify(thing.attributes),
    thing_groups: JSON.stringify(thing.groups),
    version: thing.version,
    thing_id: thing.thingId ?? null,
    billing_group: thing.billingGroup ?? null,
    created_at: thing.createdAt,
    updated_at: thing.updatedAt,
  };
}

export function thingFromRow(row: Selectable<ThingsTable>): ThingRecord {
  const thing: Mutable<ThingRecord> = {
    tenant: row.tenant,
    name: row.name,
    attributes: JSON.parse(row.attributes) as Record<string, string>,
    groups: JSON.parse(row.thing_groups) as string[],
    version: row.version,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
  if (row.thing_type !== null) thing.thingType = row.thing_type;
  if (row.thing_id !== null) thing.thingId = row.thing_id;
  if (row.billing_group !== null) thing.billingGroup = row.billing_group;
  return thing;
}

export function policyFromRow(row: Selectable<PoliciesTable>): PolicyRecord {
  return {
    tenant: row.tenant,
    name: row.name,
    document: row.document,
    version: row.version,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}

export function targetFromRow(row: Pick<Selectable<PolicyAttachmentsTable>, 'target_kind' | 'target_id'>): PolicyTarget {
  return { kind: oneOf(row.target_kind, TARGET_KINDS, 'policy target kind'), id: row.target_id };
}

export function roleAliasFromRow(row: Selectable<RoleAliasesTable>): RoleAliasRecord {
  return {
    tenant: row.tenant,
    alias: row.alias,
    roleArn: row.role_arn,
    credentialDurationSeconds: row.credential_duration_seconds,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}
