/**
 * The per-check decision: IAM's evaluation over a bound policy set. An explicit Deny that applies
 * wins; otherwise an Allow that applies grants; otherwise the answer is the implicit deny.
 * Runs on the hot path: no allocation, no string building, no variable substitution.
 */
import type { AuthorizationResult, BoundPolicySet, BoundStatement } from './bind-policy-set.js';
import { evaluateCondition } from './condition-eval.js';
import type { PolicyAction } from './policy-actions.js';
import type { PolicyRequestContext } from './policy-context.js';
import { resolveRequestKey } from './policy-variables.js';

/** The answer when no statement allows: denied, by nobody in particular. */
export const implicitDeny: AuthorizationResult = Object.freeze({ allowed: false });

/**
 * Decides one action on one resource. `resource` is the bare name the action's resource type
 * prefixes: the topic for Publish/Receive/RetainPublish, the topic filter as text for Subscribe,
 * the client id for Connect, `thing` or `thing/shadow` for shadow and job actions, the role alias
 * for AssumeRoleWithCertificate, and `*` for ListRetainedMessages. The result object is shared:
 * do not mutate it.
 *
 * @example
 * authorize(bound, 'iot:Subscribe', 'customer-1/agent-7/#');
 * // { allowed: true, decidedBy: { policy: 'agent', statementIndex: 1, effect: 'Allow' } }
 * authorize(bound, 'iot:Connect', 'agent-7', { now: Date.now() });
 */
export function authorize(
  bound: BoundPolicySet, action: PolicyAction, resource: string, request?: PolicyRequestContext,
): AuthorizationResult {
  const rules = bound.actions[action];
  // An unknown action from untyped callers finds nothing, or an Object.prototype member (`toString`).
  if (rules?.deny === undefined) return implicitDeny;
  const now = bound.context.now;
  for (const statement of rules.deny) {
    if (applies(statement, resource, request, now)) return statement.result;
  }
  for (const statement of rules.allow) {
    if (applies(statement, resource, request, now)) return statement.result;
  }
  return implicitDeny;
}

function applies(statement: BoundStatement, resource: string, request: PolicyRequestContext | undefined, now: number): boolean {
  let matched = false;
  for (const matcher of statement.matchers) {
    if (matcher.matches(resource)) {
      matched = true;
      break;
    }
  }
  if (matched === statement.notResource) return false;
  for (const condition of statement.conditions) {
    if (!evaluateCondition(condition, resolveRequestKey(condition.key, request, now))) return false;
  }
  return true;
}
