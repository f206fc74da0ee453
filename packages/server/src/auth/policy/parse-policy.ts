/**
 * Parses and validates an AWS IoT policy document (the JSON text of a policy version) into
 * `ParsedPolicy`, refusing anything AWS would refuse or that could never match, with the path.
 */
import { GatehouseError } from '../../core/index.js';
import { allPolicyActions, expandActionPattern, type PolicyAction } from './policy-actions.js';
import { isPlainObject, parseConditionBlock, type ParsedCondition, type PolicyProblem } from './parse-condition.js';
import { parseResourcePattern, type ResourcePattern } from './resource-pattern.js';

/** AWS's limit: 2048 characters, white space not counted. */
export const maxPolicyDocumentChars = 2048;

export type PolicyEffect = 'Allow' | 'Deny';
export type PolicyVersion = '2012-10-17' | '2008-10-17';

/** One statement, with `Action`/`NotAction` already expanded into the actions it covers. */
export interface ParsedStatement {
  readonly sid?: string;
  readonly effect: PolicyEffect;
  readonly actions: readonly PolicyAction[];
  /** The `Resource` entries, or the `NotResource` entries when `notResource` is true. */
  readonly resources: readonly ResourcePattern[];
  readonly notResource: boolean;
  /** All must hold. */
  readonly conditions: readonly ParsedCondition[];
}

export interface ParsedPolicy {
  /** Names the policy in decisions (`decidedBy.policy`). */
  readonly name: string;
  readonly version: PolicyVersion;
  readonly statements: readonly ParsedStatement[];
}

export interface ParsePolicyOptions {
  /** The policy's name, for decisions; default ''. */
  readonly name?: string;
  /** The owning tenant: ARNs whose account field cannot match it are refused. */
  readonly tenant?: string;
  /** Default `maxPolicyDocumentChars`. */
  readonly maxDocumentChars?: number;
}

const topLevelKeys = new Set(['Version', 'Id', 'Statement']);
const statementKeys = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

/**
 * Parses a policy document. Throws `GatehouseError` `POLICY_INVALID` whose reason starts with the
 * path of the fault: `Statement[1].Action[0]: unknown action "iot:Publsh"`.
 *
 * A missing `Version` means 2008-10-17, as in IAM; that version has no policy variables, so a
 * `${...}` in such a policy is refused rather than compared as text.
 *
 * @example
 * const policy = parsePolicy(JSON.stringify({
 *   Version: '2012-10-17',
 *   Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/${iot:ClientId}/*' }],
 * }), { name: 'agent', tenant: 'acme' });
 */
export function parsePolicy(text: string, options: ParsePolicyOptions = {}): ParsedPolicy {
  const limit = options.maxDocumentChars ?? maxPolicyDocumentChars;
  const size = countNonWhitespace(text);
  if (size === 0) throw policyInvalid({ path: '', message: 'the document is empty' });
  if (size > limit) throw policyInvalid({ path: '', message: `the document has ${size} characters besides white space, over the limit of ${limit}` });
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw policyInvalid({ path: '', message: `not valid JSON (${(error as Error).message})` });
  }
  const policy = readPolicy(document, options);
  if ('message' in policy) throw policyInvalid(policy);
  return policy;
}

function readPolicy(document: unknown, options: ParsePolicyOptions): ParsedPolicy | PolicyProblem {
  if (!isPlainObject(document)) return { path: '', message: 'the document must be a JSON object' };
  const unknown = Object.keys(document).find((key) => !topLevelKeys.has(key));
  if (unknown !== undefined) return { path: unknown, message: 'is not a policy element (expected Version, Id, Statement)' };
  const version = document['Version'] ?? '2008-10-17';
  if (version !== '2012-10-17' && version !== '2008-10-17') return { path: 'Version', message: `must be "2012-10-17" or "2008-10-17", not ${JSON.stringify(version)}` };
  const raw = document['Statement'];
  if (raw === undefined) return { path: 'Statement', message: 'is missing' };
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) return { path: 'Statement', message: 'must have at least one statement' };
  const statements: ParsedStatement[] = [];
  for (let i = 0; i < list.length; i++) {
    const statement = readStatement(list[i], Array.isArray(raw) ? `Statement[${i}]` : 'Statement', version, options);
    if ('message' in statement) return statement;
    statements.push(statement);
  }
  return { name: options.name ?? '', version, statements };
}

function readStatement(raw: unknown, path: string, version: PolicyVersion, options: ParsePolicyOptions): ParsedStatement | PolicyProblem {
  if (!isPlainObject(raw)) return { path, message: 'must be an object' };
  for (const key of Object.keys(raw)) {
    if (key === 'Principal' || key === 'NotPrincipal') return { path: `${path}.${key}`, message: 'is not used in IoT policies: a policy applies to what it is attached to' };
    if (!statementKeys.has(key)) return { path: `${path}.${key}`, message: 'is not a statement element (expected Sid, Effect, Action, NotAction, Resource, NotResource, Condition)' };
  }
  const sid = raw['Sid'];
  if (sid !== undefined && typeof sid !== 'string') return { path: `${path}.Sid`, message: 'must be a string' };
  const effect = raw['Effect'];
  if (effect !== 'Allow' && effect !== 'Deny') return { path: `${path}.Effect`, message: `must be "Allow" or "Deny", not ${JSON.stringify(effect)}` };
  const actions = readActions(raw, path);
  if ('message' in actions) return actions;
  const resources = readResources(raw, path, { variables: version === '2012-10-17', ...(options.tenant === undefined ? {} : { tenant: options.tenant }) });
  if ('message' in resources) return resources;
  let conditions: ParsedCondition[] = [];
  if (raw['Condition'] !== undefined) {
    const parsed = parseConditionBlock(raw['Condition'], `${path}.Condition`, { variables: version === '2012-10-17' });
    if ('message' in parsed) return parsed;
    conditions = parsed;
  }
  return { ...(sid === undefined ? {} : { sid }), effect, actions: actions.actions, resources: resources.resources, notResource: resources.notResource, conditions };
}

function readActions(raw: Record<string, unknown>, path: string): { actions: PolicyAction[] } | PolicyProblem {
  const element = pickElement(raw, path, 'Action', 'NotAction');
  if ('message' in element) return element;
  const texts = stringList(element.value, element.path);
  if ('message' in texts) return texts;
  const named = new Set<PolicyAction>();
  for (const [i, text] of texts.entries()) {
    const expanded = expandActionPattern(text);
    if (expanded.length === 0) {
      const message = /[*?]/.test(text) ? `"${text}" matches no action` : `unknown action "${text}"`;
      return { path: Array.isArray(element.value) ? `${element.path}[${i}]` : element.path, message };
    }
    for (const action of expanded) named.add(action);
  }
  const actions = element.name === 'Action' ? [...named] : allPolicyActions.filter((action) => !named.has(action));
  return { actions };
}

function readResources(
  raw: Record<string, unknown>, path: string, options: { readonly variables: boolean; readonly tenant?: string },
): { resources: ResourcePattern[]; notResource: boolean } | PolicyProblem {
  const element = pickElement(raw, path, 'Resource', 'NotResource');
  if ('message' in element) return element;
  const texts = stringList(element.value, element.path);
  if ('message' in texts) return texts;
  const resources: ResourcePattern[] = [];
  for (const [i, text] of texts.entries()) {
    const pattern = parseResourcePattern(text, options);
    if (typeof pattern === 'string') return { path: Array.isArray(element.value) ? `${element.path}[${i}]` : element.path, message: pattern };
    resources.push(pattern);
  }
  return { resources, notResource: element.name === 'NotResource' };
}

/** Exactly one of an element and its `Not` form must be present. */
function pickElement(raw: Record<string, unknown>, path: string, name: string, notName: string): { name: string; path: string; value: unknown } | PolicyProblem {
  const has = raw[name] !== undefined;
  const hasNot = raw[notName] !== undefined;
  if (has && hasNot) return { path, message: `has both ${name} and ${notName}; use one` };
  if (!has && !hasNot) return { path, message: `needs ${name} or ${notName}` };
  const chosen = has ? name : notName;
  return { name: chosen, path: `${path}.${chosen}`, value: raw[chosen] };
}

function stringList(value: unknown, path: string): string[] | PolicyProblem {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) return { path, message: 'must not be empty' };
  for (const [i, item] of list.entries()) {
    if (typeof item !== 'string') return { path: Array.isArray(value) ? `${path}[${i}]` : path, message: 'must be a string' };
  }
  return list as string[];
}

function countNonWhitespace(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) count++;
  }
  return count;
}

function policyInvalid(problem: PolicyProblem): GatehouseError {
  return new GatehouseError('POLICY_INVALID', { reason: problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`, path: problem.path });
}
