/**
 * The Kysely types of migration 0008's tables (thing types, billing groups, registry event settings,
 * and the attribute and membership rows `listThings` filters on) and their row codecs.
 */
import type { Selectable } from 'kysely';
import { REGISTRY_EVENT_TYPES, type BillingGroupRecord, type EventConfigurationRecord, type RegistryEventType, type ThingTypeRecord } from '../registry-ports.js';
import { toNumber, toOptionalNumber } from './row-codec.js';
import type { BigIntColumn, NullableBigIntColumn } from './schema.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface ThingAttributesTable {
  tenant: string;
  thing: string;
  name: string;
  value: string;
}

export interface ThingGroupMembersTable {
  tenant: string;
  thing_group: string;
  thing: string;
}

export interface ThingTypesTable {
  tenant: string;
  name: string;
  thing_type_id: string;
  description: string | null;
  /** JSON array of attribute names. */
  searchable_attributes: string;
  deprecated: number;
  deprecated_at: NullableBigIntColumn;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
}

export interface BillingGroupsTable {
  tenant: string;
  name: string;
  billing_group_id: string;
  description: string | null;
  version: number;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
}

export interface RegistryEventConfigurationsTable {
  tenant: string;
  /** JSON array of the enabled event types. */
  enabled: string;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
}

export interface RegistryTypesDatabase {
  thing_attributes: ThingAttributesTable;
  thing_group_members: ThingGroupMembersTable;
  thing_types: ThingTypesTable;
  billing_groups: BillingGroupsTable;
  registry_event_configurations: RegistryEventConfigurationsTable;
}

export function thingTypeToRow(type: ThingTypeRecord) {
  return {
    tenant: type.tenant,
    name: type.name,
    thing_type_id: type.thingTypeId,
    description: type.description ?? null,
    searchable_attributes: JSON.stringify(type.searchableAttributes),
    deprecated: type.deprecated ? 1 : 0,
    deprecated_at: type.deprecatedAt ?? null,
    created_at: type.createdAt,
    updated_at: type.updatedAt,
  };
}

export function thingTypeFromRow(row: Selectable<ThingTypesTable>): ThingTypeRecord {
  const type: Mutable<ThingTypeRecord> = {
    tenant: row.tenant,
    name: row.name,
    thingTypeId: row.thing_type_id,
    searchableAttributes: JSON.parse(row.searchable_attributes) as string[],
    deprecated: row.deprecated !== 0,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
  if (row.description !== null) type.description = row.description;
  const deprecatedAt = toOptionalNumber(row.deprecated_at);
  if (deprecatedAt !== undefined) type.deprecatedAt = deprecatedAt;
  return type;
}

export function billingGroupToRow(group: BillingGroupRecord) {
  return {
    tenant: group.tenant,
    name: group.name,
    billing_group_id: group.billingGroupId,
    description: group.description ?? null,
    version: group.version,
    created_at: group.createdAt,
    updated_at: group.updatedAt,
  };
}

export function billingGroupFromRow(row: Selectable<BillingGroupsTable>): BillingGroupRecord {
  const group: Mutable<BillingGroupRecord> = {
    tenant: row.tenant,
    name: row.name,
    billingGroupId: row.billing_group_id,
    version: row.version,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
  if (row.description !== null) group.description = row.description;
  return group;
}

export function eventConfigurationFromRow(row: Selectable<RegistryEventConfigurationsTable>): EventConfigurationRecord {
  const stored = JSON.parse(row.enabled) as string[];
  // Kept in REGISTRY_EVENT_TYPES order; a type this version does not know is dropped.
  const enabled = REGISTRY_EVENT_TYPES.filter((type: RegistryEventType) => stored.includes(type));
  return { tenant: row.tenant, enabled, createdAt: toNumber(row.created_at), updatedAt: toNumber(row.updated_at) };
}
