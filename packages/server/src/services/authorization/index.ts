/**
 * Authorization glue: resolves each connection's IoT policies from the identity store, binds them,
 * keeps live connections' bindings up to date from the policy change feed, and explains decisions.
 */
export { createPolicyAuthorizer, type PolicyAuthorizer, type PolicyAuthorizerOptions } from './connection-policies.js';
export { PolicyResolver, refusingResolution, unattachedPolicyName, type UnattachedPolicies } from './policy-resolver.js';
export type {
  AnonymousPolicies, AppliedPolicy, BoundResolution, PolicyResolution, PolicyResolverOptions, ResolutionFacts, ResolveOptions,
} from './policy-resolver.js';
export { PolicySetCache, type PolicyDocument } from './policy-set-cache.js';
export { LiveConnectionPolicy } from './live-connection-policy.js';
export { explainDecision, explanationText, policyResourcePrefix } from './explain-decision.js';
export type { DecidingStatement, DecisionKind, ExplainedDecision } from './explain-decision.js';
export { DenialLog, type Denial, type DenialLogOptions } from './denial-log.js';
export { policyCertificate } from './certificate-fields.js';
export { StoreReads } from './store-reads.js';
export { testAuthorization, type TestAuthorizationRequest, type TestAuthorizationResult } from './test-authorization.js';
