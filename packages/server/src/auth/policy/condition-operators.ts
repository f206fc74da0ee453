/**
 * IAM condition operators: parsing their names (`ForAllValues:StringLikeIfExists`), reading the
 * policy's values for each operator family, and the positive test of one request value.
 */
import { parseIpBlock, type IpBlock } from './ip-address.js';

export type OperatorFamily = 'string' | 'numeric' | 'date' | 'bool' | 'ip' | 'null';
/** The comparison, before negation: `StringNotLike` is `like`, negated. */
export type OperatorTest = 'equals' | 'equalsIgnoreCase' | 'like' | 'lessThan' | 'lessThanEquals' | 'greaterThan' | 'greaterThanEquals' | 'inBlock' | 'isNull';

/** A parsed operator name. */
export interface ConditionOperator {
  /** As written in the policy. */
  readonly name: string;
  readonly family: OperatorFamily;
  readonly test: OperatorTest;
  /** `...Not...` operators: true when no policy value matches (and when the key is absent). */
  readonly negated: boolean;
  /** `...IfExists`: true when the key is absent. */
  readonly ifExists: boolean;
  /** `ForAnyValue:` / `ForAllValues:` for keys with many values. */
  readonly set: 'single' | 'any' | 'all';
}

const baseOperators: Readonly<Record<string, Pick<ConditionOperator, 'family' | 'test' | 'negated'>>> = {
  stringequals: { family: 'string', test: 'equals', negated: false },
  stringnotequals: { family: 'string', test: 'equals', negated: true },
  stringequalsignorecase: { family: 'string', test: 'equalsIgnoreCase', negated: false },
  stringnotequalsignorecase: { family: 'string', test: 'equalsIgnoreCase', negated: true },
  stringlike: { family: 'string', test: 'like', negated: false },
  stringnotlike: { family: 'string', test: 'like', negated: true },
  ...comparisons('numeric'),
  ...comparisons('date'),
  bool: { family: 'bool', test: 'equals', negated: false },
  ipaddress: { family: 'ip', test: 'inBlock', negated: false },
  notipaddress: { family: 'ip', test: 'inBlock', negated: true },
  null: { family: 'null', test: 'isNull', negated: false },
};

function comparisons(family: 'numeric' | 'date'): Record<string, Pick<ConditionOperator, 'family' | 'test' | 'negated'>> {
  return {
    [`${family}equals`]: { family, test: 'equals', negated: false },
    [`${family}notequals`]: { family, test: 'equals', negated: true },
    [`${family}lessthan`]: { family, test: 'lessThan', negated: false },
    [`${family}lessthanequals`]: { family, test: 'lessThanEquals', negated: false },
    [`${family}greaterthan`]: { family, test: 'greaterThan', negated: false },
    [`${family}greaterthanequals`]: { family, test: 'greaterThanEquals', negated: false },
  };
}

/**
 * Parses an operator name (case-insensitive), or returns why it is not one.
 *
 * @example
 * parseConditionOperator('ForAnyValue:StringLikeIfExists');
 * // { name: ..., family: 'string', test: 'like', negated: false, ifExists: true, set: 'any' }
 * parseConditionOperator('StringMatches'); // 'unknown condition operator "StringMatches"'
 */
export function parseConditionOperator(name: string): ConditionOperator | string {
  let rest = name;
  let set: ConditionOperator['set'] = 'single';
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const qualifier = rest.slice(0, colon).toLowerCase();
    if (qualifier === 'foranyvalue') set = 'any';
    else if (qualifier === 'forallvalues') set = 'all';
    else return `unknown set operator "${rest.slice(0, colon)}" in "${name}" (expected ForAnyValue or ForAllValues)`;
    rest = rest.slice(colon + 1);
  }
  let lower = rest.toLowerCase();
  const ifExists = lower.endsWith('ifexists');
  if (ifExists) lower = lower.slice(0, -'ifexists'.length);
  const base = baseOperators[lower];
  if (base === undefined) return `unknown condition operator "${name}"`;
  if (base.family === 'null' && (ifExists || set !== 'single')) return `"${name}": Null takes neither IfExists nor ForAnyValue/ForAllValues`;
  return { name, ...base, ifExists, set };
}

/** The policy's values for one key of a non-string operator (strings stay templates until bound). */
export type OperatorValues =
  | { readonly family: 'numeric' | 'date'; readonly values: readonly number[] }
  | { readonly family: 'bool' | 'null'; readonly values: readonly boolean[] }
  | { readonly family: 'ip'; readonly values: readonly IpBlock[] };

/**
 * Reads the texts of a condition's values for a non-string family. Dates are ISO 8601 or epoch
 * seconds, as in IAM; returned as epoch ms. Returns why a value does not fit.
 *
 * @example
 * readOperatorValues('date', ['2030-01-01T00:00:00Z']); // { family: 'date', values: [1893456000000] }
 */
export function readOperatorValues(family: Exclude<OperatorFamily, 'string'>, texts: readonly string[]): OperatorValues | string {
  switch (family) {
    case 'numeric': case 'date': {
      const values = texts.map((text) => (family === 'numeric' ? parseNumber(text) : parseDate(text)));
      const bad = values.findIndex((value) => value === undefined);
      return bad >= 0 ? `"${texts[bad]}" is not a ${family === 'numeric' ? 'number' : 'date (ISO 8601 or epoch seconds)'}` : { family, values: values as number[] };
    }
    case 'bool': case 'null': {
      const bad = texts.find((text) => !/^(true|false)$/i.test(text));
      return bad !== undefined ? `"${bad}" is neither "true" nor "false"` : { family, values: texts.map((text) => text.toLowerCase() === 'true') };
    }
    case 'ip': {
      const blocks = texts.map(parseIpBlock);
      const bad = blocks.findIndex((block) => block === undefined);
      return bad >= 0 ? `"${texts[bad]}" is not an IP address or CIDR block` : { family, values: blocks as IpBlock[] };
    }
  }
}

/**
 * An IAM number: an integer or a decimal, optionally negative.
 *
 * @example
 * parseNumber('-1.5'); // -1.5
 * parseNumber('1e3');  // undefined
 */
export function parseNumber(text: string): number | undefined {
  return /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : undefined;
}

/**
 * An IAM date: epoch seconds or ISO 8601 text; epoch ms, or undefined.
 *
 * @example
 * parseDate('1700000000');           // 1700000000000
 * parseDate('2025-01-01T00:00:00Z'); // 1735689600000
 */
export function parseDate(text: string): number | undefined {
  if (/^-?[0-9]+$/.test(text)) return Number(text) * 1000;
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The ordering tests shared by Numeric* and Date*.
 *
 * @example
 * compareNumbers('lessThanEquals', 3, 3); // true
 */
export function compareNumbers(test: OperatorTest, actual: number, expected: number): boolean {
  switch (test) {
    case 'equals': return actual === expected;
    case 'lessThan': return actual < expected;
    case 'lessThanEquals': return actual <= expected;
    case 'greaterThan': return actual > expected;
    case 'greaterThanEquals': return actual >= expected;
    default: return false;
  }
}
