/** The maps behind MemoryIdentityStore, the lock that serialises their use, and the snapshot that undoes a transaction. */
import type { AuditEntry } from '../audit-ports.js';
import type {
  CaRecord,
  CertificateRecord,
  PolicyRecord,
  PolicyTarget,
  ProvisioningTemplateRecord,
  RegistrationTokenRecord,
  RoleAliasRecord,
  ThingRecord,
} from '../identity-ports.js';
import type { PolicyChange } from '../policy-ports.js';
import type { BillingGroupRecord, EventConfigurationRecord, ThingTypeRecord } from '../registry-ports.js';
import type { TenantRecord } from '../tenant-ports.js';
import type { ThingGroupRecord } from '../thing-group-ports.js';

export interface TokenRow extends RegistrationTokenRecord {
  readonly consumedAt?: number;
}

/** One policy attached to one target. */
export interface AttachmentRow {
  readonly tenant: string;
  readonly policyName: string;
  readonly target: PolicyTarget;
}

/** One stored version of a policy. */
export interface VersionRow {
  readonly versionId: number;
  readonly document: string;
  readonly createdAt: number;
}

/** A policy's versions, replaced whole on every change like every other row. */
export interface PolicyVersionsRow {
  /** The highest version id the policy ever had; the next version is one past it. */
  readonly lastVersionId: number;
  /** Ordered by versionId. */
  readonly versions: readonly VersionRow[];
}

/**
 * The identity tables and the lock that serialises their transactions. Hand the same instance to a
 * second MemoryIdentityStore to "reopen" the store, as a test would reopen a file. Records are never
 * mutated in place (every write replaces the object), so copying the maps is a full snapshot.
 *
 * @example
 * const tables = new MemoryIdentityTables();
 * const first = new MemoryIdentityStore({ tables });
 * const reopened = new MemoryIdentityStore({ tables });
 */
export class MemoryIdentityTables {
  /** Keyed by `tenant\0id`. */
  cas = new Map<string, CaRecord>();
  certificates = new Map<string, CertificateRecord>();
  tokens = new Map<string, TokenRow>();
  /** Templates, things, policies and role aliases are keyed by `tenant\0name`. */
  templates = new Map<string, ProvisioningTemplateRecord>();
  things = new Map<string, ThingRecord>();
  /** Keyed by `tenant\0name`. */
  thingGroups = new Map<string, ThingGroupRecord>();
  policies = new Map<string, PolicyRecord>();
  /** Keyed by `attachmentKey`. */
  attachments = new Map<string, AttachmentRow>();
  roleAliases = new Map<string, RoleAliasRecord>();
  /** Keyed like `policies`; the default version's document is also in `policies`. */
  policyVersions = new Map<string, PolicyVersionsRow>();
  /** Keyed by id. */
  tenants = new Map<string, TenantRecord>();
  /** Thing types and billing groups are keyed by `tenant\0name`. */
  thingTypes = new Map<string, ThingTypeRecord>();
  billingGroups = new Map<string, BillingGroupRecord>();
  /** Keyed by tenant. */
  eventConfigurations = new Map<string, EventConfigurationRecord>();
  /** Appended in id order; a new array whenever entries are pruned. */
  policyChanges: PolicyChange[] = [];
  nextPolicyChangeId = 1;
  /** Appended in id order. */
  audit: AuditEntry[] = [];
  nextAuditId = 1;
  /** Settles when the running operation or transaction ends; the next one chains on it. */
  lock: Promise<void> = Promise.resolve();

  /** Copies every map; calling the returned function puts the copies back. */
  snapshot(): () => void {
    const saved = {
      cas: new Map(this.cas),
      certificates: new Map(this.certificates),
      tokens: new Map(this.tokens),
      templates: new Map(this.templates),
      things: new Map(this.things),
      thingGroups: new Map(this.thingGroups),
      policies: new Map(this.policies),
      attachments: new Map(this.attachments),
      roleAliases: new Map(this.roleAliases),
      policyVersions: new Map(this.policyVersions),
      tenants: new Map(this.tenants),
      thingTypes: new Map(this.thingTypes),
      billingGroups: new Map(this.billingGroups),
      eventConfigurations: new Map(this.eventConfigurations),
      policyChanges: [...this.policyChanges],
      nextPolicyChangeId: this.nextPolicyChangeId,
      audit: [...this.audit],
      nextAuditId: this.nextAuditId,
    };
    return () => void Object.assign(this, saved);
  }
}

export function key(tenant: string, name: string): string {
  return `${tenant}\0${name}`;
}

export function attachmentKey(tenant: string, policyName: string, target: PolicyTarget): string {
  return `${tenant}\0${policyName}\0${target.kind}\0${target.id}`;
}
