/**
 * Binding a condition to one connection (its variables substituted) and evaluating it on a key's
 * value with IAM's rules for absent keys, negated operators, IfExists and ForAnyValue/ForAllValues.
 */
import { compareNumbers, parseDate, parseNumber, type ConditionOperator, type OperatorValues } from './condition-operators.js';
import { compileGlob, type GlobMatcher } from './glob-matcher.js';
import { ipInBlock, parseIpBlock } from './ip-address.js';
import type { ParsedCondition } from './parse-condition.js';
import type { PolicyContext } from './policy-context.js';
import { bindGlob, bindText } from './policy-template.js';
import type { KeyValue, PolicyKey } from './policy-variables.js';

/** Policy values ready to compare: texts (lower-cased for IgnoreCase), globs for Like, or read values. */
export type BoundValues =
  | { readonly family: 'strings'; readonly values: readonly string[] }
  | { readonly family: 'globs'; readonly values: readonly GlobMatcher[] }
  | OperatorValues;

export interface BoundCondition {
  readonly operator: ConditionOperator;
  readonly key: PolicyKey;
  readonly values: BoundValues;
}

/**
 * Substitutes a condition's variables. Undefined when one does not resolve: as in AWS, the
 * condition then does not hold, whatever its operator.
 *
 * @example
 * bindCondition(parsed, { tenant: 'acme', clientId: 'agent-7', now: 0 });
 */
export function bindCondition(condition: ParsedCondition, context: PolicyContext): BoundCondition | undefined {
  const { operator, key, values } = condition;
  if (values.family !== 'string') return { operator, key, values };
  if (operator.test === 'like') {
    const globs: GlobMatcher[] = [];
    for (const template of values.templates) {
      const tokens = bindGlob(template, context);
      if (tokens === undefined) return undefined;
      globs.push(compileGlob(tokens));
    }
    return { operator, key, values: { family: 'globs', values: globs } };
  }
  const texts: string[] = [];
  for (const template of values.templates) {
    const text = bindText(template, context);
    if (text === undefined) return undefined;
    texts.push(operator.test === 'equalsIgnoreCase' ? text.toLowerCase() : text);
  }
  return { operator, key, values: { family: 'strings', values: texts } };
}

/**
 * Evaluates a bound condition on the value of its key (undefined: the key is absent).
 *
 * - Absent key: `...IfExists` and `ForAllValues:` hold, `ForAnyValue:` does not, a negated operator
 *   (`StringNotEquals`, `NotIpAddress`, ...) holds and any other does not. `Null` tests absence.
 * - Negated operators hold for a value that matches none of the policy's values.
 * - Several values without `ForAnyValue:`/`ForAllValues:`: a plain operator holds if any value
 *   matches, a negated one if none does.
 * - A value that cannot be read for the operator (`abc` for `NumericEquals`) never satisfies it.
 *
 * @example
 * evaluateCondition(boundStringEquals, 'agent-7'); // true when the policy lists 'agent-7'
 */
export function evaluateCondition(condition: BoundCondition, value: KeyValue): boolean {
  const { operator } = condition;
  const absent = value === undefined || (typeof value === 'object' && value.length === 0);
  if (condition.values.family === 'null') {
    for (const wantAbsent of condition.values.values) if (wantAbsent === absent) return true;
    return false;
  }
  if (absent) {
    if (operator.ifExists) return true;
    if (operator.set === 'all') return true;
    if (operator.set === 'any') return false;
    return operator.negated;
  }
  if (typeof value !== 'object') return passes(condition, value);
  const every = operator.set === 'all' || (operator.set === 'single' && operator.negated);
  for (const item of value) {
    if (passes(condition, item) !== every) return !every;
  }
  return every;
}

/** One value through the operator, negation included; unreadable values fail either way. */
function passes(condition: BoundCondition, value: string | number): boolean {
  const matched = matchesAny(condition, value);
  if (matched === undefined) return false;
  return condition.operator.negated ? !matched : matched;
}

function matchesAny(condition: BoundCondition, value: string | number): boolean | undefined {
  const { values, key, operator } = condition;
  switch (values.family) {
    case 'strings': {
      let text = typeof value === 'string' ? value : timeText(key, value);
      if (operator.test === 'equalsIgnoreCase') text = text.toLowerCase();
      for (const expected of values.values) if (expected === text) return true;
      return false;
    }
    case 'globs': {
      const text = typeof value === 'string' ? value : timeText(key, value);
      for (const glob of values.values) if (glob.matches(text)) return true;
      return false;
    }
    case 'numeric': case 'date': {
      const actual = values.family === 'numeric' ? numberOf(key, value) : dateOf(value);
      if (actual === undefined) return undefined;
      for (const expected of values.values) if (compareNumbers(operator.test, actual, expected)) return true;
      return false;
    }
    case 'bool': {
      const text = typeof value === 'string' ? value.toLowerCase() : '';
      if (text !== 'true' && text !== 'false') return undefined;
      for (const expected of values.values) if (expected === (text === 'true')) return true;
      return false;
    }
    case 'ip': {
      const address = typeof value === 'string' ? parseIpBlock(value) : undefined;
      if (address === undefined) return undefined;
      for (const block of values.values) if (ipInBlock(address, block)) return true;
      return false;
    }
    case 'null': return undefined;
  }
}

/** Time keys resolve to epoch ms; `aws:EpochTime` compares as seconds, as its name says. */
function numberOf(key: PolicyKey, value: string | number): number | undefined {
  if (typeof value === 'number') return key.kind === 'epochTime' || key.kind === 'currentTime' ? Math.floor(value / 1000) : value;
  return parseNumber(value);
}

function dateOf(value: string | number): number | undefined {
  return typeof value === 'number' ? value : parseDate(value);
}

function timeText(key: PolicyKey, ms: number): string {
  return key.kind === 'epochTime' ? String(Math.floor(ms / 1000)) : new Date(ms).toISOString();
}
