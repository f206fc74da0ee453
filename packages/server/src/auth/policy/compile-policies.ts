/**
 * Compiles the policies that apply to one principal (its certificate's, its thing groups', its
 * tenant's default) into per-action lists of deny and allow statements. Resources without
 * variables are turned into matchers here, once; the rest wait for `bindPolicySet`.
 */
import { anyChar, anyRun, compileGlob, globAfterPrefix, type GlobMatcher, type GlobToken } from './glob-matcher.js';
import { allPolicyActions, policyActions, resourcePrefix, type PolicyAction, type ResourceType } from './policy-actions.js';
import { hasVariables } from './policy-template.js';
import type { ParsedPolicy, ParsedStatement, PolicyEffect } from './parse-policy.js';
import type { ResourcePattern } from './resource-pattern.js';

/** The statement that decided a check. */
export interface DecidedBy {
  /** The policy's name. */
  readonly policy: string;
  /** Index of the statement in the policy's `Statement` list. */
  readonly statementIndex: number;
  readonly effect: PolicyEffect;
}

/** A resource entry, with its matchers per resource type when it has no variables. */
export interface CompiledResource {
  readonly pattern: ResourcePattern;
  /** Matchers for the bare resource name, by resource type; undefined when variables need binding. */
  readonly matchersByType: ReadonlyMap<ResourceType, readonly GlobMatcher[]> | undefined;
}

export interface CompiledStatement {
  readonly decidedBy: DecidedBy;
  readonly statement: ParsedStatement;
  readonly resources: readonly CompiledResource[];
}

/** Statements that name one action, deny first as evaluation wants them. */
export interface CompiledActionRules {
  readonly deny: readonly CompiledStatement[];
  readonly allow: readonly CompiledStatement[];
}

/**
 * Policies compiled once (when they change), to be bound to each connection that they apply to.
 *
 * @example
 * const compiled = compilePolicies([parsePolicy(text, { name: 'agent' })]);
 * const bound = bindPolicySet(compiled, context);
 */
export interface CompiledPolicySet {
  readonly policies: readonly ParsedPolicy[];
  readonly actions: Readonly<Record<PolicyAction, CompiledActionRules>>;
}

/**
 * Compiles parsed policies. Order does not change any decision (explicit deny wins, then allow);
 * it only decides which statement `decidedBy` names when several match.
 *
 * @example
 * const compiled = compilePolicies([certificatePolicy, groupPolicy, tenantDefault]);
 */
export function compilePolicies(policies: readonly ParsedPolicy[]): CompiledPolicySet {
  const lists = {} as Record<PolicyAction, { deny: CompiledStatement[]; allow: CompiledStatement[] }>;
  for (const action of allPolicyActions) lists[action] = { deny: [], allow: [] };
  for (const policy of policies) {
    policy.statements.forEach((statement, statementIndex) => {
      const types = new Set(statement.actions.map((action) => policyActions[action]));
      const compiled: CompiledStatement = {
        decidedBy: Object.freeze({ policy: policy.name, statementIndex, effect: statement.effect }),
        statement,
        resources: statement.resources.map((pattern) => compileResource(pattern, types)),
      };
      for (const action of statement.actions) {
        const rules = lists[action];
        (statement.effect === 'Deny' ? rules.deny : rules.allow).push(compiled);
      }
    });
  }
  return { policies, actions: lists };
}

function compileResource(pattern: ResourcePattern, types: ReadonlySet<ResourceType>): CompiledResource {
  if (hasVariables(pattern.parts)) return { pattern, matchersByType: undefined };
  const tokens: GlobToken[] = pattern.parts.map((part) => (part.kind === 'text' ? part.text : part.kind === 'star' ? anyRun : anyChar));
  const matchersByType = new Map<ResourceType, GlobMatcher[]>();
  for (const type of types) matchersByType.set(type, nameMatchers(tokens, type));
  return { pattern, matchersByType };
}

/**
 * Matchers for the names a resource glob covers for one resource type: `topic/a/*` gives `a/*`
 * for topics and nothing for client ids.
 *
 * @example
 * nameMatchers(['topic/a/', anyRun], 'topic')[0]?.matches('a/b'); // true
 */
export function nameMatchers(tokens: readonly GlobToken[], type: ResourceType): GlobMatcher[] {
  return globAfterPrefix(tokens, resourcePrefix(type)).map(compileGlob);
}
