/**
 * The identity tables' Kysely types (migration 0002) and the functions that turn their rows into
 * records; like schema.ts, booleans are 0/1 and times BIGINT epoch ms (a string from pg).
 */
import type { Selectable } from 'kysely';
import type { CaRecord, CertificateRecord, PreProvisioningHook, ProvisioningTemplateBody, ProvisioningTemplateRecord } from '../identity-ports.js';
import { toNumber, toOptionalNumber } from './row-codec.js';
import type { RegistryDatabase } from './registry-rows.js';
import type { PolicyTenantAuditDatabase } from './policy-rows.js';
import type { ThingGroupDatabase } from './thing-group-queries.js';
import type { RegistryTypesDatabase } from './registry-type-rows.js';
import type { BigIntColumn, NullableBigIntColumn } from './schema.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface CaCertificatesTable {
  tenant: string;
  id: string;
  certificate_pem: string;
  kind: string;
  status: string;
  auto_registration: number;
  provisioning_template: string | null;
  created_at: BigIntColumn;
  subject: string;
  not_after: BigIntColumn;
}

export interface DeviceCertificatesTable {
  id: string;
  tenant: string;
  thing: string | null;
  status: string;
  certificate_pem: string;
  ca_id: string;
  serial_number: string;
  subject: string;
  not_before: BigIntColumn;
  not_after: BigIntColumn;
  issued_by: string;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
  revoked_at: NullableBigIntColumn;
}

export interface RegistrationTokensTable {
  jti: string;
  tenant: string;
  thing: string;
  expires_at: BigIntColumn;
  created_at: BigIntColumn;
  consumed_at: NullableBigIntColumn;
}

export interface ProvisioningTemplatesTable {
  tenant: string;
  name: string;
  /** The template as JSON text. */
  body: string;
  enabled: number;
  /** PreProvisioningHook as JSON text. */
  pre_provisioning_hook: string | null;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
}

/** The identity tables (migrations 0002, 0003, 0005, 0006 and 0008); they live beside the broker's in the same database. */
export interface IdentityDatabase extends RegistryDatabase, PolicyTenantAuditDatabase, ThingGroupDatabase, RegistryTypesDatabase {
  ca_certificates: CaCertificatesTable;
  device_certificates: DeviceCertificatesTable;
  registration_tokens: RegistrationTokensTable;
  provisioning_templates: ProvisioningTemplatesTable;
}

/** Reads a stored enum value; a value outside `allowed` is a TypeError (the row was not written by us). */
export function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new TypeError(`Cannot read stored ${what} "${value}"`);
}

const CA_KINDS = ['gatehouse', 'customer'] as const;
const CA_STATUSES = ['ACTIVE', 'INACTIVE'] as const;
const CERTIFICATE_STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_ACTIVATION'] as const;
const ORIGINS = ['gatehouse', 'customer-ca', 'jitp', 'fleet-provisioning', 'register'] as const;

export function caFromRow(row: Selectable<CaCertificatesTable>): CaRecord {
  const ca: Mutable<CaRecord> = {
    id: row.id,
    tenant: row.tenant,
    certificatePem: row.certificate_pem,
    kind: oneOf(row.kind, CA_KINDS, 'CA kind'),
    status: oneOf(row.status, CA_STATUSES, 'CA status'),
    autoRegistration: row.auto_registration !== 0,
    createdAt: toNumber(row.created_at),
    subject: row.subject,
    notAfter: toNumber(row.not_after),
  };
  if (row.provisioning_template !== null) ca.provisioningTemplate = row.provisioning_template;
  return ca;
}

export function certificateFromRow(row: Selectable<DeviceCertificatesTable>): CertificateRecord {
  const record: Mutable<CertificateRecord> = {
    id: row.id,
    tenant: row.tenant,
    status: oneOf(row.status, CERTIFICATE_STATUSES, 'certificate status'),
    certificatePem: row.certificate_pem,
    caId: row.ca_id,
    serialNumber: row.serial_number,
    subject: row.subject,
    notBefore: toNumber(row.not_before),
    notAfter: toNumber(row.not_after),
    issuedBy: oneOf(row.issued_by, ORIGINS, 'certificate origin'),
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
  if (row.thing !== null) record.thing = row.thing;
  const revokedAt = toOptionalNumber(row.revoked_at);
  if (revokedAt !== undefined) record.revokedAt = revokedAt;
  return record;
}

export function templateFromRow(row: Selectable<ProvisioningTemplatesTable>): ProvisioningTemplateRecord {
  const template: Mutable<ProvisioningTemplateRecord> = {
    tenant: row.tenant,
    name: row.name,
    body: JSON.parse(row.body) as ProvisioningTemplateBody,
    enabled: row.enabled !== 0,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
  if (row.pre_provisioning_hook !== null) template.preProvisioningHook = JSON.parse(row.pre_provisioning_hook) as PreProvisioningHook;
  return template;
}
