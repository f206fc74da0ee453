/**
 * Carries out a ProvisioningPlan in the identity store: the thing (per its OverrideSettings), the
 * certificate's registration, status and thing, and the policies attached to it.
 */
import { randomUUID } from 'node:crypto';
import { GatehouseError } from '../../core/index.js';
import type { CertificateRecord, CertificateStatus, IdentityStore, ThingRecord } from '../../store/index.js';
import type { PolicyPlan, ProvisioningPlan, ThingPlan } from './plan.js';

export interface ApplyPlanOptions {
  readonly tenant: string;
  /** The certificate being provisioned: registered by this call when the store has no record of it. */
  readonly certificate: CertificateRecord;
  /** Epoch ms. */
  readonly now: number;
}

/** What the registry holds once the plan is applied. */
export interface AppliedPlan {
  readonly certificate: CertificateRecord;
  readonly thing?: ThingRecord;
  /** Names of the policies attached to the certificate by the plan. */
  readonly policies: readonly string[];
}

/**
 * Applies a plan. Wrap it in `identity.transaction` so that a failure part-way (a FAIL override, a
 * missing policy) leaves nothing behind: this function writes as it goes. Throws GatehouseError
 * CONFLICT (409) for a FAIL override on something that exists, a revoked certificate or a
 * certificate of another tenant, and PROVISIONING_FAILED (400) for a missing named policy or a
 * template that names another certificate.
 *
 * @example
 * const applied = await identity.transaction((tx) => applyProvisioningPlan(tx, plan, { tenant: 'acme', certificate: record, now: Date.now() }));
 * applied.certificate.status; // 'ACTIVE'
 */
export async function applyProvisioningPlan(tx: IdentityStore, plan: ProvisioningPlan, options: ApplyPlanOptions): Promise<AppliedPlan> {
  const { tenant, certificate, now } = options;
  if (certificate.tenant !== tenant) throw new TypeError(`Cannot provision certificate "${certificate.id}" for tenant "${tenant}": its record says tenant "${certificate.tenant}"`);
  if (plan.certificate.id !== undefined && plan.certificate.id !== certificate.id) {
    throw new GatehouseError('PROVISIONING_FAILED', { reason: `the template names certificate "${plan.certificate.id}", but certificate "${certificate.id}" is being provisioned` });
  }
  const thing = plan.thing === undefined ? undefined : await putPlannedThing(tx, tenant, plan.thing, now);
  const registered = await putPlannedCertificate(tx, plan, options, thing?.name);
  const policies: string[] = [];
  for (const policy of plan.policies) {
    await ensurePolicy(tx, tenant, policy, now);
    await tx.attachPolicy(tenant, policy.name, { kind: 'certificate', id: certificate.id });
    policies.push(policy.name);
  }
  return { certificate: registered, ...(thing === undefined ? {} : { thing }), policies };
}

async function putPlannedThing(tx: IdentityStore, tenant: string, plan: ThingPlan, now: number): Promise<ThingRecord> {
  const existing = await tx.getThing(tenant, plan.name);
  if (existing === undefined) {
    const created: ThingRecord = {
      tenant,
      name: plan.name,
      thingId: randomUUID(),
      ...(plan.thingType === undefined ? {} : { thingType: plan.thingType }),
      attributes: { ...plan.attributes },
      groups: plan.groups,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    await tx.putThing(created);
    return created;
  }
  const refuse = (property: string): never => {
    throw new GatehouseError('CONFLICT', { reason: `Cannot provision thing "${plan.name}": it exists and the template's ${property} override is FAIL` });
  };
  const { overrides } = plan;
  if (overrides.attributes === 'FAIL') refuse('AttributePayload');
  if (overrides.thingType === 'FAIL') refuse('ThingTypeName');
  if (overrides.groups === 'FAIL') refuse('ThingGroups');

  const attributes = overrides.attributes === 'REPLACE' ? { ...plan.attributes }
    : overrides.attributes === 'MERGE' ? { ...existing.attributes, ...plan.attributes }
    : existing.attributes;
  const groups = overrides.groups === 'REPLACE' ? plan.groups
    : overrides.groups === 'MERGE' ? [...new Set([...existing.groups, ...plan.groups])].sort()
    : existing.groups;
  const thingType = overrides.thingType === 'REPLACE' ? plan.thingType : existing.thingType;
  const changed = !sameRecord(attributes, existing.attributes) || groups.join('\n') !== existing.groups.join('\n') || thingType !== existing.thingType;
  if (!changed) return existing;
  const { thingType: _previousType, ...rest } = existing;
  const updated: ThingRecord = {
    ...rest,
    ...(thingType === undefined ? {} : { thingType }),
    attributes,
    groups,
    version: existing.version + 1,
    updatedAt: now,
  };
  await tx.putThing(updated);
  return updated;
}

async function putPlannedCertificate(tx: IdentityStore, plan: ProvisioningPlan, options: ApplyPlanOptions, thing: string | undefined): Promise<CertificateRecord> {
  const { certificate, now } = options;
  const existing = await tx.getCertificate(certificate.id);
  if (existing === undefined) {
    const record: CertificateRecord = {
      ...certificate,
      ...(thing === undefined ? {} : { thing }),
      status: plan.certificate.status,
      updatedAt: now,
    };
    await tx.putCertificate(record);
    return record;
  }
  if (existing.tenant !== options.tenant) {
    throw new GatehouseError('CONFLICT', { reason: `Cannot provision certificate "${certificate.id}": it is registered to another tenant` });
  }
  if (existing.status === 'REVOKED') throw new GatehouseError('CONFLICT', { reason: `Cannot provision certificate "${certificate.id}": it is revoked` });
  let record = existing;
  const status = nextStatus(existing.status, plan.certificate);
  if (status !== existing.status) record = (await tx.setCertificateStatus(certificate.id, status, now)) ?? record;
  if (thing !== undefined && record.thing !== thing) record = (await tx.setCertificateThing(certificate.id, thing, now)) ?? record;
  return record;
}

/**
 * A certificate waiting for provisioning (PENDING_ACTIVATION) takes the template's status; one that is
 * already in use keeps its own unless the Status override says REPLACE.
 */
function nextStatus(current: CertificateStatus, plan: ProvisioningPlan['certificate']): CertificateStatus {
  if (current === 'PENDING_ACTIVATION') return plan.status;
  switch (plan.override) {
    case 'DO_NOTHING':
      return current;
    case 'REPLACE':
      return plan.status;
    case 'FAIL':
      throw new GatehouseError('CONFLICT', { reason: `Cannot provision the certificate: it is already registered (${current}) and the template's Status override is FAIL` });
    default:
      return plan.override satisfies never;
  }
}

async function ensurePolicy(tx: IdentityStore, tenant: string, policy: PolicyPlan, now: number): Promise<void> {
  const existing = await tx.getPolicy(tenant, policy.name);
  switch (policy.kind) {
    case 'existing':
      if (existing === undefined) throw new GatehouseError('PROVISIONING_FAILED', { reason: `the template attaches policy "${policy.name}", and tenant "${tenant}" has no policy of that name` });
      return;
    case 'inline':
      if (existing === undefined) {
        await tx.putPolicy({ tenant, name: policy.name, document: policy.document, version: 1, createdAt: now, updatedAt: now });
      } else if (existing.document !== policy.document) {
        throw new GatehouseError('CONFLICT', { reason: `Cannot create policy "${policy.name}" from the template: a policy of that name exists with another document` });
      }
      return;
    default:
      policy satisfies never;
  }
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}
