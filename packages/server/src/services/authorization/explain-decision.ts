/** Decisions in words and in AWS TestAuthorization's terms, for logs, the admin API and the CLI. */
import { authorize, policyActions, type AuthorizationResult, type PolicyAction, type PolicyRequestContext } from '../../auth/index.js';
import type { AppliedPolicy, PolicyResolution } from './policy-resolver.js';

/** AWS TestAuthorization's three answers. */
export type DecisionKind = 'ALLOW' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';

/** The statement that decided, with the version of its policy. */
export interface DecidingStatement {
  readonly policy: string;
  readonly version: number;
  readonly statementIndex: number;
  readonly effect: 'Allow' | 'Deny';
}

export interface ExplainedDecision {
  readonly decision: DecisionKind;
  readonly decidedBy?: DecidingStatement;
  /** The resource as a policy names it: `topic/a/b`, `client/agent-7`. */
  readonly resource: string;
}

/**
 * The prefix `action`'s resources carry in policies.
 *
 * @example
 * policyResourcePrefix('iot:Subscribe'); // 'topicfilter/'
 */
export function policyResourcePrefix(action: PolicyAction): string {
  const type = policyActions[action];
  return type === 'any' ? '' : `${type}/`;
}

/**
 * Decides `action` on the bare `name` and says which statement decided. `iot:RetainPublish` needs
 * `iot:Publish` too, as in AWS: a Publish that does not allow decides a retained publish.
 *
 * @example
 * explainDecision(resolution, 'iot:Publish', 'customer-1/agent-7/status');
 * // { decision: 'ALLOW', decidedBy: { policy: 'agent', version: 2, statementIndex: 0, effect: 'Allow' }, resource: 'topic/customer-1/agent-7/status' }
 */
export function explainDecision(resolution: PolicyResolution, action: PolicyAction, name: string, request?: PolicyRequestContext): ExplainedDecision {
  const resource = `${policyResourcePrefix(action)}${name}`;
  if (resolution.kind === 'unrestricted') return { decision: 'ALLOW', resource };
  if (action === 'iot:RetainPublish') {
    const publish = authorize(resolution.bound, 'iot:Publish', name, request);
    if (!publish.allowed) return describe(publish, resolution.policies, resource);
  }
  return describe(authorize(resolution.bound, action, name, request), resolution.policies, resource);
}

/**
 * One line for logs: who decided, or why nobody did.
 *
 * @example
 * explanationText(explainDecision(resolution, 'iot:Publish', 'x'), 'iot:Publish', resolution);
 * // 'iot:Publish on topic/x: no statement allows it (policies: agent v2, tenant-default v1)'
 */
export function explanationText(explained: ExplainedDecision, action: PolicyAction, resolution: PolicyResolution): string {
  const subject = `${action} on ${explained.resource}`;
  if (resolution.kind === 'unrestricted') return `${subject}: allowed, ${resolution.reason}`;
  if (resolution.problem !== undefined) return `${subject}: denied, ${resolution.problem}`;
  const by = explained.decidedBy;
  if (by !== undefined) {
    const verb = by.effect === 'Allow' ? 'allowed' : 'denied';
    return `${subject}: ${verb} by policy "${by.policy}" v${by.version} statement ${by.statementIndex}`;
  }
  if (resolution.policies.length === 0) return `${subject}: no statement allows it (no policies are attached to the certificate, its thing groups or the tenant)`;
  return `${subject}: no statement allows it (policies: ${resolution.policies.map((policy) => `${policy.name} v${policy.version}`).join(', ')})`;
}

function describe(result: AuthorizationResult, policies: readonly AppliedPolicy[], resource: string): ExplainedDecision {
  const by = result.decidedBy;
  if (by === undefined) return { decision: 'IMPLICIT_DENY', resource };
  const version = policies.find((policy) => policy.name === by.policy)?.version ?? 0;
  return {
    decision: by.effect === 'Allow' ? 'ALLOW' : 'EXPLICIT_DENY',
    decidedBy: { policy: by.policy, version, statementIndex: by.statementIndex, effect: by.effect },
    resource,
  };
}
