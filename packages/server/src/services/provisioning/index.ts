/**
 * Provisioning templates: validate and evaluate AWS-style template bodies, apply the resulting plan to
 * the identity store, and provision unknown certificates of auto-registering CAs just in time.
 */
export { evaluateTemplate, validateTemplate, type TemplateContext } from './template.js';
export { applyProvisioningPlan, type AppliedPlan, type ApplyPlanOptions } from './apply-plan.js';
export type { CertificatePlan, OverrideAction, PolicyPlan, ProvisioningPlan, ThingPlan } from './plan.js';
export { createJitpProvisioner, type JitpProvisioner, type JitpProvisionerOptions } from './jitp.js';
export { subjectParameters } from './subject-parameters.js';
