/**
 * A statement's `Condition` block: `{ operator: { key: value | [values] } }`, read into one
 * `ParsedCondition` per operator and key. All of them must hold for the statement to apply.
 */
import { parseConditionOperator, readOperatorValues, type ConditionOperator, type OperatorValues } from './condition-operators.js';
import { parseTemplate, type TemplatePart } from './policy-template.js';
import { parsePolicyKey, type PolicyKey } from './policy-variables.js';

/** The policy's values of one condition: string templates, or values read for the operator. */
export type ConditionValues =
  | { readonly family: 'string'; readonly templates: readonly (readonly TemplatePart[])[] }
  | OperatorValues;

/** One operator applied to one key; any of its values may match. */
export interface ParsedCondition {
  readonly operator: ConditionOperator;
  /** The key as written. */
  readonly keyName: string;
  readonly key: PolicyKey;
  readonly values: ConditionValues;
}

/** Where a problem is: the path inside the document, and what is wrong there. */
export interface PolicyProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Reads a `Condition` block; returns the conditions or the first problem found.
 *
 * @example
 * parseConditionBlock({ IpAddress: { 'aws:SourceIp': ['203.0.113.0/24'] } }, 'Statement[0].Condition', { variables: true });
 */
export function parseConditionBlock(block: unknown, path: string, options: { readonly variables: boolean }): ParsedCondition[] | PolicyProblem {
  if (!isPlainObject(block)) return { path, message: 'must be an object of operators' };
  const conditions: ParsedCondition[] = [];
  for (const [operatorName, keys] of Object.entries(block)) {
    const operatorPath = `${path}.${operatorName}`;
    const operator = parseConditionOperator(operatorName);
    if (typeof operator === 'string') return { path: operatorPath, message: operator };
    if (!isPlainObject(keys) || Object.keys(keys).length === 0) return { path: operatorPath, message: 'must be an object of condition keys and values' };
    for (const [keyName, raw] of Object.entries(keys)) {
      const keyPath = `${operatorPath}.${keyName}`;
      const key = parsePolicyKey(keyName);
      if (typeof key === 'string') return { path: keyPath, message: key };
      const texts = valueTexts(raw);
      if (typeof texts === 'string') return { path: keyPath, message: texts };
      const values = readValues(operator, texts, options);
      if (typeof values === 'string') return { path: keyPath, message: values };
      conditions.push({ operator, keyName, key, values });
    }
  }
  return conditions;
}

function readValues(operator: ConditionOperator, texts: readonly string[], options: { readonly variables: boolean }): ConditionValues | string {
  if (operator.family === 'string') {
    const templates: TemplatePart[][] = [];
    for (const text of texts) {
      const parts = parseTemplate(text, options);
      if (typeof parts === 'string') return parts;
      templates.push(parts);
    }
    return { family: 'string', templates };
  }
  if (texts.some((text) => text.includes('${'))) return `policy variables can only be used with String operators, not ${operator.name}`;
  return readOperatorValues(operator.family, texts);
}

/** IAM takes a value or a non-empty list of them; numbers and booleans compare as their text. */
function valueTexts(raw: unknown): string[] | string {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) return 'must have at least one value';
  const texts: string[] = [];
  for (const value of list) {
    if (typeof value === 'string') texts.push(value);
    else if (typeof value === 'number' && Number.isFinite(value)) texts.push(String(value));
    else if (typeof value === 'boolean') texts.push(String(value));
    else return 'values must be strings, numbers or booleans';
  }
  return texts;
}

/**
 * Whether a JSON value is an object (not null, not an array).
 *
 * @example
 * isPlainObject({ a: 1 }); // true
 * isPlainObject([]);       // false
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
