/**
 * Binds a compiled policy set to one connection: variables resolved, connection conditions decided
 * and statements that can never apply dropped, once per connection, so that per-message checks
 * (`authorize`) only run prepared matchers.
 */
import { bindCondition, evaluateCondition, type BoundCondition } from './condition-eval.js';
import { nameMatchers, type CompiledPolicySet, type CompiledStatement, type DecidedBy } from './compile-policies.js';
import type { GlobMatcher } from './glob-matcher.js';
import { allPolicyActions, policyActions, type PolicyAction, type ResourceType } from './policy-actions.js';
import type { PolicyContext } from './policy-context.js';
import { bindGlob } from './policy-template.js';
import { isRequestKey, resolveConnectionKey } from './policy-variables.js';

/** The answer to one check. */
export interface AuthorizationResult {
  readonly allowed: boolean;
  /** The statement that decided; absent for the implicit deny (nothing allowed it). */
  readonly decidedBy?: DecidedBy;
}

/** A statement ready for one connection and one action's resource type. */
export interface BoundStatement {
  /** Matchers for the bare resource name; any one matching is a match. */
  readonly matchers: readonly GlobMatcher[];
  /** `NotResource`: the statement applies when no matcher matches. */
  readonly notResource: boolean;
  /** Conditions on request keys (time, CONNECT details), evaluated per check. */
  readonly conditions: readonly BoundCondition[];
  /** The answer when this statement decides; shared, so checks allocate nothing. */
  readonly result: AuthorizationResult;
}

export interface BoundActionRules {
  readonly deny: readonly BoundStatement[];
  readonly allow: readonly BoundStatement[];
}

/** A policy set bound to one connection. Rebind when the policies or the context change. */
export interface BoundPolicySet {
  readonly context: PolicyContext;
  readonly actions: Readonly<Record<PolicyAction, BoundActionRules>>;
}

/**
 * Resolves every variable and connection condition of a compiled set for one connection.
 *
 * A resource whose variable does not resolve matches nothing (so an Allow built on a missing
 * thing name grants nothing, and a Deny built on it denies nothing, as in AWS); a condition whose
 * value has an unresolved variable does not hold; an ARN whose account field does not match
 * `context.tenant` matches nothing.
 *
 * @example
 * const bound = bindPolicySet(compiled, { tenant: 'acme', clientId: 'agent-7', thingName: 'agent-7', now: Date.now() });
 * authorize(bound, 'iot:Publish', 'customer-1/agent-7/telemetry').allowed;
 */
export function bindPolicySet(compiled: CompiledPolicySet, context: PolicyContext): BoundPolicySet {
  const conditionsOf = new Map<CompiledStatement, BoundCondition[] | null>();
  const boundOf = new Map<string, BoundStatement | null>();
  const statementIds = new Map<CompiledStatement, number>();
  const bindFor = (statement: CompiledStatement, type: ResourceType): BoundStatement | null => {
    let id = statementIds.get(statement);
    if (id === undefined) statementIds.set(statement, (id = statementIds.size));
    const memoKey = `${id}:${type}`;
    let bound = boundOf.get(memoKey);
    if (bound === undefined) {
      let conditions = conditionsOf.get(statement);
      if (conditions === undefined) conditionsOf.set(statement, (conditions = bindConditions(statement, context)));
      bound = conditions === null ? null : bindStatement(statement, type, conditions, context);
      boundOf.set(memoKey, bound);
    }
    return bound;
  };
  const actions = {} as Record<PolicyAction, BoundActionRules>;
  for (const action of allPolicyActions) {
    const rules = compiled.actions[action];
    const type = policyActions[action];
    actions[action] = {
      deny: rules.deny.map((statement) => bindFor(statement, type)).filter((statement) => statement !== null),
      allow: rules.allow.map((statement) => bindFor(statement, type)).filter((statement) => statement !== null),
    };
  }
  return { context, actions };
}

/** The request conditions left to check, or null when a connection condition already fails. */
function bindConditions(compiled: CompiledStatement, context: PolicyContext): BoundCondition[] | null {
  const residual: BoundCondition[] = [];
  for (const condition of compiled.statement.conditions) {
    const bound = bindCondition(condition, context);
    if (bound === undefined) return null;
    if (isRequestKey(condition.key)) residual.push(bound);
    else if (!evaluateCondition(bound, resolveConnectionKey(condition.key, context))) return null;
  }
  return residual;
}

function bindStatement(compiled: CompiledStatement, type: ResourceType, conditions: BoundCondition[], context: PolicyContext): BoundStatement | null {
  let matchers: GlobMatcher[] = [];
  for (const resource of compiled.resources) {
    if (resource.pattern.account !== undefined && !resource.pattern.account.matches(context.tenant)) continue;
    if (resource.matchersByType !== undefined) {
      matchers.push(...(resource.matchersByType.get(type) ?? []));
      continue;
    }
    const tokens = bindGlob(resource.pattern.parts, context);
    if (tokens !== undefined) matchers.push(...nameMatchers(tokens, type));
  }
  const everything = matchers.find((matcher) => matcher.matchesEverything);
  if (everything !== undefined) matchers = [everything];
  const { notResource, effect } = compiled.statement;
  if (!notResource && matchers.length === 0) return null;
  if (notResource && everything !== undefined) return null;
  return { matchers, notResource, conditions, result: Object.freeze({ allowed: effect === 'Allow', decidedBy: compiled.decidedBy }) };
}
