/**
 * The IoT policy engine: parse AWS IoT policy documents, compile the set that applies to a
 * principal, bind it to a connection, and authorize actions on resources. Pure: no I/O, no clock.
 */
export { parsePolicy, maxPolicyDocumentChars } from './parse-policy.js';
export type { ParsePolicyOptions, ParsedPolicy, ParsedStatement, PolicyEffect, PolicyVersion } from './parse-policy.js';
export { allPolicyActions, expandActionPattern, policyActions } from './policy-actions.js';
export type { PolicyAction, ResourceType } from './policy-actions.js';
export { alternativeNameKinds, distinguishedNameAttributes } from './policy-context.js';
export type {
  AlternativeNameKind, CertificateNameFields, DistinguishedNameAttribute, PolicyCertificate, PolicyContext, PolicyRequestContext,
} from './policy-context.js';
export { compilePolicies } from './compile-policies.js';
export type { CompiledPolicySet, DecidedBy } from './compile-policies.js';
export { bindPolicySet } from './bind-policy-set.js';
export type { AuthorizationResult, BoundPolicySet } from './bind-policy-set.js';
export { authorize, implicitDeny } from './authorize.js';
