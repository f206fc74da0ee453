/**
 * Provisioning templates: validate and evaluate AWS-style template bodies, apply the resulting plan to
 * the identity store, provision unknown certificates of auto-registering CAs just in time, and
 * answer fleet provisioning by claim over MQTT.
 */
export { evaluateTemplate, validateTemplate, type TemplateContext } from './template.js';
export { applyProvisioningPlan, type AppliedPlan, type ApplyPlanOptions } from './apply-plan.js';
export type { CertificatePlan, OverrideAction, PolicyPlan, ProvisioningPlan, ThingPlan } from './plan.js';
export { createJitpProvisioner, type JitpProvisioner, type JitpProvisionerOptions } from './jitp.js';
export { subjectParameters } from './subject-parameters.js';
export { provisionRegisteredDevice, type RegistrationProvisioning } from './provision-registration.js';
export { startFleetProvisioning, type FleetProvisioning, type FleetProvisioningOptions } from './fleet-provisioning.js';
