/**
 * Provisioning at `POST /v1/register`: the thing, certificate and policies a registration token asks
 * for, from the template it names or, without one, a plain thing with the token's attributes and groups.
 */
import { GatehouseError } from '../../core/index.js';
import type { CertificateRecord, IdentityStore } from '../../store/index.js';
import { applyProvisioningPlan, type AppliedPlan } from './apply-plan.js';
import { CERTIFICATE_ID_PARAMETER } from './intrinsics.js';
import type { ProvisioningPlan } from './plan.js';
import { evaluateTemplate } from './template.js';

export interface RegistrationProvisioning {
  readonly tenant: string;
  /** The token's thing: the certificate's CN and the `ThingName` parameter. */
  readonly thing: string;
  /** The token's template; none means a plain thing. */
  readonly template?: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly groups: readonly string[];
  /** The freshly signed certificate, not registered yet. */
  readonly certificate: CertificateRecord;
  /** Epoch ms. */
  readonly now: number;
}

/**
 * Registers a device's certificate and provisions it, inside the caller's transaction.
 *
 * With a template, it is evaluated with the token's attributes as parameters plus `ThingName` (the
 * token's thing) and `AWS::IoT::Certificate::Id`, and applied; the token's groups are not used (the
 * template says which groups). Without one, the thing is created with the token's attributes and
 * groups, or, when it exists, gets them merged in; no policies are attached. A template the tenant
 * lacks or has disabled fails with PROVISIONING_FAILED.
 *
 * @example
 * const provisioned = await store.transaction(async (tx) => {
 *   await tx.consumeToken(claims.jti, at);
 *   return provisionRegisteredDevice(tx, { tenant, thing, attributes, groups, certificate: record, now: at });
 * });
 * provisioned.deviceConfiguration; // {} without a template
 */
export async function provisionRegisteredDevice(tx: IdentityStore, request: RegistrationProvisioning): Promise<AppliedPlan & { readonly deviceConfiguration: Readonly<Record<string, string>> }> {
  const plan = request.template === undefined ? plainThingPlan(request) : await templatePlan(tx, request, request.template);
  const applied = await applyProvisioningPlan(tx, plan, { tenant: request.tenant, certificate: request.certificate, now: request.now });
  return { ...applied, deviceConfiguration: plan.deviceConfiguration };
}

async function templatePlan(tx: IdentityStore, request: RegistrationProvisioning, name: string): Promise<ProvisioningPlan> {
  const template = await tx.getTemplate(request.tenant, name);
  if (template === undefined) throw new GatehouseError('PROVISIONING_FAILED', { reason: `the registration token names provisioning template "${name}", which tenant "${request.tenant}" does not have` });
  if (!template.enabled) throw new GatehouseError('PROVISIONING_FAILED', { reason: `provisioning template "${name}" is disabled` });
  const parameters = { ...request.attributes, ThingName: request.thing, [CERTIFICATE_ID_PARAMETER]: request.certificate.id };
  return evaluateTemplate(template.body, parameters, { certificateId: request.certificate.id });
}

function plainThingPlan(request: RegistrationProvisioning): ProvisioningPlan {
  return {
    thing: {
      name: request.thing,
      attributes: { ...request.attributes },
      groups: [...new Set(request.groups)].sort(),
      overrides: { attributes: 'MERGE', thingType: 'DO_NOTHING', groups: 'MERGE' },
    },
    certificate: { status: 'ACTIVE', override: 'DO_NOTHING' },
    policies: [],
    deviceConfiguration: {},
  };
}
