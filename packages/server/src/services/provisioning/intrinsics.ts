/**
 * The CloudFormation-style functions of provisioning templates (`Ref`, `Fn::Join`, `Fn::Select`,
 * `Fn::Split`, `Fn::Sub`, `Fn::FindInMap`, `Fn::If`) and the conditions they test (`Fn::Equals`,
 * `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`): checked without values, then resolved with them.
 *
 * A function is an object with exactly one key, `Ref` or `Fn::…`; any other object is data whose
 * values are resolved in turn. `{"Ref": "AWS::NoValue"}` removes the property or list item it stands in.
 */
import { GatehouseError } from '../../core/index.js';

/** A value of a resolved template. */
export type Resolved = string | number | boolean | null | readonly Resolved[] | { readonly [key: string]: Resolved };

/** What a parameter resolves to: text, or a list for the list types. */
export type ParameterValue = string | readonly string[];

/** Drops the property or list item it is the value of. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** The parameter every template may reference without declaring it: the provisioned certificate's id. */
export const CERTIFICATE_ID_PARAMETER = 'AWS::IoT::Certificate::Id';

/** What the static checks know of a template. */
export interface TemplateScope {
  /** Declared parameters and pseudo parameters. */
  readonly parameters: ReadonlySet<string>;
  readonly mappings: Readonly<Record<string, unknown>>;
  readonly conditions: ReadonlySet<string>;
}

/** What resolving needs: parameter values, mappings and condition outcomes. */
export interface ResolveEnv {
  readonly values: ReadonlyMap<string, ParameterValue>;
  readonly mappings: Readonly<Record<string, unknown>>;
  readonly condition: (name: string, path: string) => boolean;
}

const FUNCTIONS = new Set(['Ref', 'Fn::Join', 'Fn::Select', 'Fn::Split', 'Fn::Sub', 'Fn::FindInMap', 'Fn::If']);
const CONDITION_FUNCTIONS = new Set(['Fn::Equals', 'Fn::Not', 'Fn::And', 'Fn::Or', 'Condition']);
const SUB_VARIABLE = /\$\{([^}]*)\}/g;

export function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The function an object calls, when it is a one-key `Ref`/`Fn::` object. */
export function functionOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const key = keys[0]!;
  return key === 'Ref' || key.startsWith('Fn::') ? key : undefined;
}

/** Appends `${path}: ${message}` for every misuse of a function inside `value`. */
export function checkValue(value: unknown, path: string, scope: TemplateScope, problems: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkValue(item, `${path}[${index}]`, scope, problems));
    return;
  }
  if (!isObject(value)) return;
  const fn = functionOf(value);
  if (fn === undefined) {
    for (const [key, item] of Object.entries(value)) checkValue(item, `${path}.${key}`, scope, problems);
    return;
  }
  const arg = value[fn];
  const at = `${path}.${fn}`;
  const problem = (message: string) => problems.push(`${at}: ${message}`);
  switch (fn) {
    case 'Ref':
      if (typeof arg !== 'string') problem('takes a parameter name');
      else if (arg !== 'AWS::NoValue' && !scope.parameters.has(arg)) problems.push(`${path}: Ref to unknown parameter "${arg}"`);
      return;
    case 'Fn::Join':
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') return void problem('takes [delimiter, [values...]]');
      if (!Array.isArray(arg[1]) && functionOf(arg[1]) === undefined) return void problem('the second item must be a list of values');
      return checkValue(arg[1], `${at}[1]`, scope, problems);
    case 'Fn::Select':
      if (!Array.isArray(arg) || arg.length !== 2) return void problem('takes [index, [values...]]');
      if (!isIndex(arg[0]) && functionOf(arg[0]) === undefined) problem(`index ${JSON.stringify(arg[0])} is not a whole number from 0`);
      if (!Array.isArray(arg[1]) && functionOf(arg[1]) === undefined) return void problem('the second item must be a list of values');
      checkValue(arg[0], `${at}[0]`, scope, problems);
      return checkValue(arg[1], `${at}[1]`, scope, problems);
    case 'Fn::Split':
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string' || arg[0] === '') return void problem('takes [delimiter, text]');
      return checkValue(arg[1], `${at}[1]`, scope, problems);
    case 'Fn::Sub':
      return checkSub(arg, at, scope, problems);
    case 'Fn::FindInMap':
      if (!Array.isArray(arg) || arg.length !== 3) return void problem('takes [map name, top-level key, second-level key]');
      if (typeof arg[0] === 'string' && !(arg[0] in scope.mappings)) problem(`unknown mapping "${arg[0]}"`);
      arg.forEach((item, index) => checkValue(item, `${at}[${index}]`, scope, problems));
      return;
    case 'Fn::If':
      if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') return void problem('takes [condition name, value if true, value if false]');
      if (!scope.conditions.has(arg[0])) problem(`unknown condition "${arg[0]}"`);
      checkValue(arg[1], `${at}[1]`, scope, problems);
      return checkValue(arg[2], `${at}[2]`, scope, problems);
    default:
      problems.push(`${path}: unknown function "${fn}" (supported: ${[...FUNCTIONS].join(', ')})`);
  }
}

function checkSub(arg: unknown, at: string, scope: TemplateScope, problems: string[]): void {
  let text: unknown = arg;
  let variables: Readonly<Record<string, unknown>> = {};
  if (Array.isArray(arg)) {
    if (arg.length !== 2 || !isObject(arg[1])) return void problems.push(`${at}: takes text or [text, {name: value}]`);
    text = arg[0];
    variables = arg[1];
    for (const [name, item] of Object.entries(variables)) checkValue(item, `${at}[1].${name}`, scope, problems);
  }
  if (typeof text !== 'string') return void problems.push(`${at}: takes text or [text, {name: value}]`);
  for (const match of text.matchAll(SUB_VARIABLE)) {
    const name = match[1]!.trim();
    if (name.startsWith('!')) continue;
    if (!(name in variables) && !scope.parameters.has(name)) {
      problems.push(`${at}: \${${name}} names no parameter or variable (write \${!${name}} for the literal text)`);
    }
  }
}

/** Checks a `Conditions` entry or a condition inside one. */
export function checkCondition(expr: unknown, path: string, scope: TemplateScope, problems: string[]): void {
  const key = isObject(expr) && Object.keys(expr).length === 1 ? Object.keys(expr)[0]! : undefined;
  if (key === undefined || !CONDITION_FUNCTIONS.has(key)) {
    return void problems.push(`${path}: a condition is one of ${[...CONDITION_FUNCTIONS].join(', ')}`);
  }
  const arg = (expr as Record<string, unknown>)[key];
  const at = `${path}.${key}`;
  switch (key) {
    case 'Condition':
      if (typeof arg !== 'string' || !scope.conditions.has(arg)) problems.push(`${at}: unknown condition ${JSON.stringify(arg)}`);
      return;
    case 'Fn::Equals':
      if (!Array.isArray(arg) || arg.length !== 2) return void problems.push(`${at}: takes [value, value]`);
      arg.forEach((item, index) => checkValue(item, `${at}[${index}]`, scope, problems));
      return;
    case 'Fn::Not':
      if (!Array.isArray(arg) || arg.length !== 1) return void problems.push(`${at}: takes [condition]`);
      return checkCondition(arg[0], `${at}[0]`, scope, problems);
    default:
      if (!Array.isArray(arg) || arg.length < 2 || arg.length > 10) return void problems.push(`${at}: takes 2 to 10 conditions`);
      arg.forEach((item, index) => checkCondition(item, `${at}[${index}]`, scope, problems));
  }
}

/** Names of the other conditions a condition refers to, for the cycle check. */
export function conditionReferences(expr: unknown): string[] {
  if (Array.isArray(expr)) return expr.flatMap(conditionReferences);
  if (!isObject(expr)) return [];
  return Object.entries(expr).flatMap(([key, item]) => {
    if (key === 'Condition' && typeof item === 'string') return [item];
    if (key === 'Fn::If' && Array.isArray(item) && typeof item[0] === 'string') return [item[0], ...conditionReferences(item.slice(1))];
    return conditionReferences(item);
  });
}

/** Resolves every function inside `value`. Throws PROVISIONING_FAILED naming the path. */
export function resolveValue(value: unknown, path: string, env: ResolveEnv): Resolved | typeof NO_VALUE {
  if (Array.isArray(value)) {
    const items: Resolved[] = [];
    value.forEach((item, index) => {
      const resolved = resolveValue(item, `${path}[${index}]`, env);
      if (resolved !== NO_VALUE) items.push(resolved);
    });
    return items;
  }
  if (!isObject(value)) return value as Resolved;
  const fn = functionOf(value);
  if (fn === undefined) {
    const out: Record<string, Resolved> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = resolveValue(item, `${path}.${key}`, env);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }
  return resolveFunction(fn, value[fn], `${path}.${fn}`, env);
}

function resolveFunction(fn: string, arg: unknown, at: string, env: ResolveEnv): Resolved | typeof NO_VALUE {
  const args = arg as readonly unknown[];
  switch (fn) {
    case 'Ref':
      return arg === 'AWS::NoValue' ? NO_VALUE : parameter(String(arg), at, env);
    case 'Fn::Join':
      return resolveList(args[1], `${at}[1]`, env).map((item, index) => text(item, `${at}[1][${index}]`)).join(args[0] as string);
    case 'Fn::Select': {
      const index = Number(text(resolveValue(args[0], `${at}[0]`, env), `${at}[0]`));
      const list = resolveList(args[1], `${at}[1]`, env);
      if (!Number.isInteger(index) || index < 0 || index >= list.length) throw failed(at, `index ${index} is outside the ${list.length}-item list`);
      const picked = list[index];
      if (picked === null || picked === undefined) throw failed(at, `item ${index} is null`);
      return picked;
    }
    case 'Fn::Split':
      return text(resolveValue(args[1], `${at}[1]`, env), `${at}[1]`).split(args[0] as string);
    case 'Fn::Sub':
      return substitute(arg, at, env);
    case 'Fn::FindInMap': {
      const [map, top, second] = args.map((item, index) => text(resolveValue(item, `${at}[${index}]`, env), `${at}[${index}]`));
      const found = lookup(env.mappings, [map!, top!, second!]);
      if (found === undefined) throw failed(at, `mapping "${map}" has no "${top}" → "${second}"`);
      return found as Resolved;
    }
    case 'Fn::If':
      return env.condition(args[0] as string, at) ? resolveValue(args[1], `${at}[1]`, env) : resolveValue(args[2], `${at}[2]`, env);
    default:
      throw failed(at, `unknown function "${fn}"`);
  }
}

function substitute(arg: unknown, at: string, env: ResolveEnv): string {
  const [template, variables] = Array.isArray(arg) ? [arg[0] as string, arg[1] as Record<string, unknown>] : [arg as string, {}];
  return template.replace(SUB_VARIABLE, (whole, inner: string) => {
    const name = inner.trim();
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (name in variables) return text(resolveValue(variables[name], `${at}[1].${name}`, env), `${at}[1].${name}`);
    const value = parameter(name, at, env);
    return typeof value === 'string' ? value : value.join(',');
  });
}

/** Evaluates a condition expression to true or false. */
export function resolveCondition(expr: unknown, path: string, env: ResolveEnv): boolean {
  const [key, arg] = Object.entries(expr as Record<string, unknown>)[0]!;
  const at = `${path}.${key}`;
  const args = arg as readonly unknown[];
  switch (key) {
    case 'Condition':
      return env.condition(arg as string, at);
    case 'Fn::Equals': {
      const [a, b] = args.map((item, index) => comparable(resolveValue(item, `${at}[${index}]`, env)));
      return a === b;
    }
    case 'Fn::Not':
      return !resolveCondition(args[0], `${at}[0]`, env);
    case 'Fn::And':
      return args.every((item, index) => resolveCondition(item, `${at}[${index}]`, env));
    case 'Fn::Or':
      return args.some((item, index) => resolveCondition(item, `${at}[${index}]`, env));
    default:
      throw failed(at, `unknown condition function "${key}"`);
  }
}

function comparable(value: Resolved | typeof NO_VALUE): string {
  if (value === NO_VALUE) return '';
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function parameter(name: string, at: string, env: ResolveEnv): ParameterValue {
  const value = env.values.get(name);
  if (value === undefined) throw failed(at, `parameter "${name}" has no value`);
  return value;
}

function resolveList(value: unknown, at: string, env: ResolveEnv): readonly Resolved[] {
  const resolved = resolveValue(value, at, env);
  if (!Array.isArray(resolved)) throw failed(at, 'is not a list');
  return resolved as readonly Resolved[];
}

/** A resolved value as text: strings as they are, numbers and booleans written out, anything else refused. */
export function text(value: Resolved | typeof NO_VALUE, at: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw failed(at, `expected text, got ${value === NO_VALUE ? 'no value' : Array.isArray(value) ? 'a list' : value === null ? 'null' : 'an object'}`);
}

function lookup(root: unknown, keys: readonly string[]): unknown {
  let node = root;
  for (const key of keys) {
    if (!isObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

function isIndex(value: unknown): boolean {
  return (typeof value === 'number' && Number.isInteger(value) && value >= 0) || (typeof value === 'string' && /^\d+$/.test(value));
}

export function failed(at: string, reason: string): GatehouseError {
  return new GatehouseError('PROVISIONING_FAILED', { reason: `${at}: ${reason}` });
}
