/**
 * AWS IoT provisioning templates: `validateTemplate` lists what is wrong with a body, and
 * `evaluateTemplate` turns a valid body and its parameter values into a ProvisioningPlan. Pure: no
 * store, no clock. The sections are AWS's: Parameters, Mappings, Conditions, Resources
 * (`AWS::IoT::Thing`, `AWS::IoT::Certificate`, `AWS::IoT::Policy`) and DeviceConfiguration.
 */
import { createHash } from 'node:crypto';
import { GatehouseError } from '../../core/index.js';
import {
  CERTIFICATE_ID_PARAMETER, checkCondition, checkValue, conditionReferences, failed, functionOf, isObject, NO_VALUE, resolveCondition,
  resolveValue, text, type ParameterValue, type Resolved, type ResolveEnv, type TemplateScope,
} from './intrinsics.js';
import type { CertificatePlan, OverrideAction, PolicyPlan, ProvisioningPlan, ThingPlan } from './plan.js';

/** What evaluation knows besides the parameters. */
export interface TemplateContext {
  /** Id of the certificate being provisioned: the value of `AWS::IoT::Certificate::Id`. */
  readonly certificateId?: string;
}

const SECTIONS = new Set(['AWSTemplateFormatVersion', 'Version', 'Description', 'Metadata', 'Parameters', 'Mappings', 'Conditions', 'Resources', 'DeviceConfiguration']);
const PARAMETER_TYPES = new Set(['String', 'Number', 'List<String>', 'List<Number>', 'CommaDelimitedList']);
const PARAMETER_KEYS = new Set(['Type', 'Default', 'Description', 'AllowedValues', 'AllowedPattern']);
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'OverrideSettings', 'Condition']);
const THING_TYPE = 'AWS::IoT::Thing';
const CERTIFICATE_TYPE = 'AWS::IoT::Certificate';
const POLICY_TYPE = 'AWS::IoT::Policy';
const PROPERTIES: Readonly<Record<string, ReadonlySet<string>>> = {
  [THING_TYPE]: new Set(['ThingName', 'AttributePayload', 'ThingTypeName', 'ThingGroups', 'BillingGroup', 'PackageVersions']),
  [CERTIFICATE_TYPE]: new Set(['CertificateId', 'Status']),
  [POLICY_TYPE]: new Set(['PolicyName', 'PolicyDocument']),
};
/** Thing OverrideSettings keys: the property names, and the upper-case spelling AWS's prose uses. */
const THING_OVERRIDE_KEYS: Readonly<Record<string, keyof ThingPlan['overrides']>> = {
  AttributePayload: 'attributes', ATTRIBUTE_PAYLOAD: 'attributes',
  ThingTypeName: 'thingType', THING_TYPE_NAME: 'thingType',
  ThingGroups: 'groups', THING_GROUPS: 'groups',
};
const OVERRIDE_ACTIONS = new Set<string>(['DO_NOTHING', 'REPLACE', 'FAIL', 'MERGE']);
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

/**
 * Lists what is wrong with a template body, each as `path: problem`; empty when it is valid. Only
 * what can be known without parameter values is checked (a `Fn::Select` index past the end of a
 * parameter's list shows at evaluation).
 *
 * @example
 * validateTemplate({ Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'Serial' } } } } });
 * // ['Resources.thing.Properties.ThingName: Ref to unknown parameter "Serial"']
 */
export function validateTemplate(body: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(body)) return ['template: must be a JSON object'];
  for (const key of Object.keys(body)) {
    if (!SECTIONS.has(key)) problems.push(`${key}: unknown section (known: ${[...SECTIONS].join(', ')})`);
  }
  const parameters = checkParameters(body['Parameters'], problems);
  const mappings = checkMappings(body['Mappings'], problems);
  const conditionBodies = section(body, 'Conditions', problems);
  const scope: TemplateScope = { parameters, mappings, conditions: new Set(Object.keys(conditionBodies)) };
  for (const [name, expr] of Object.entries(conditionBodies)) checkCondition(expr, `Conditions.${name}`, scope, problems);
  checkConditionCycles(conditionBodies, problems);
  if (body['Resources'] === undefined) problems.push('Resources: is required');
  checkResources(section(body, 'Resources', problems), scope, problems);
  const configuration = section(body, 'DeviceConfiguration', problems);
  for (const [key, value] of Object.entries(configuration)) {
    const path = `DeviceConfiguration.${key}`;
    if (Array.isArray(value) || (isObject(value) && functionOf(value) === undefined)) problems.push(`${path}: must be text (DeviceConfiguration is flat)`);
    else checkValue(value, path, scope, problems);
  }
  return problems;
}

/**
 * Evaluates a template with the given parameter values. A declared parameter without a value or a
 * Default fails (as JITP fails for a subject field the certificate lacks); undeclared values are
 * ignored. `AWS::IoT::Certificate::Id` is `context.certificateId` unless a value is given.
 * Throws GatehouseError `TEMPLATE_INVALID` when `validateTemplate` finds problems, and
 * `PROVISIONING_FAILED` (naming the path) when the values do not fit.
 *
 * @example
 * const plan = evaluateTemplate(body, { SerialNumber: '42' }, { certificateId: record.id });
 * plan.thing?.name; // 'ThingPrefix_42'
 */
export function evaluateTemplate(body: unknown, parameters: Readonly<Record<string, string>>, context: TemplateContext = {}): ProvisioningPlan {
  const problems = validateTemplate(body);
  if (problems.length > 0) throw new GatehouseError('TEMPLATE_INVALID', { reason: problems.join('; ') });
  const template = body as Readonly<Record<string, unknown>>;
  const env = resolveEnv(template, parameterValues(template, parameters, context));

  let thing: ThingPlan | undefined;
  let certificate: CertificatePlan = { status: 'ACTIVE', override: 'DO_NOTHING' };
  const policies: PolicyPlan[] = [];
  for (const [name, resource] of Object.entries(objectOr(template['Resources']))) {
    const path = `Resources.${name}`;
    const { Type: type, Condition: condition, OverrideSettings: overrides } = resource as Record<string, unknown>;
    if (typeof condition === 'string' && !env.condition(condition, `${path}.Condition`)) continue;
    const resolved = resolveValue(objectOr((resource as Record<string, unknown>)['Properties']), `${path}.Properties`, env);
    const properties = resolved as Readonly<Record<string, Resolved>>;
    if (type === THING_TYPE) thing = thingPlan(properties, objectOr(overrides), `${path}.Properties`);
    else if (type === CERTIFICATE_TYPE) certificate = certificatePlan(properties, objectOr(overrides), `${path}.Properties`);
    else policies.push(policyPlan(properties, `${path}.Properties`));
  }
  const deviceConfiguration: Record<string, string> = {};
  for (const [key, value] of Object.entries(objectOr(template['DeviceConfiguration']))) {
    const path = `DeviceConfiguration.${key}`;
    const resolved = resolveValue(value, path, env);
    if (resolved !== NO_VALUE) deviceConfiguration[key] = text(resolved, path);
  }
  return { ...(thing === undefined ? {} : { thing }), certificate, policies, deviceConfiguration };
}

function checkParameters(value: unknown, problems: string[]): Set<string> {
  const names = new Set<string>([CERTIFICATE_ID_PARAMETER]);
  for (const [name, definition] of Object.entries(section({ Parameters: value }, 'Parameters', problems))) {
    const path = `Parameters.${name}`;
    names.add(name);
    if (!isObject(definition)) {
      problems.push(`${path}: must be an object with a Type`);
      continue;
    }
    for (const key of Object.keys(definition)) if (!PARAMETER_KEYS.has(key)) problems.push(`${path}.${key}: unknown parameter setting`);
    const type = definition['Type'];
    if (typeof type !== 'string' || !PARAMETER_TYPES.has(type)) problems.push(`${path}.Type: must be one of ${[...PARAMETER_TYPES].join(', ')}`);
    const fallback = definition['Default'];
    if (fallback !== undefined && typeof fallback !== 'string' && typeof fallback !== 'number') problems.push(`${path}.Default: must be text or a number`);
    const allowed = definition['AllowedValues'];
    if (allowed !== undefined && (!Array.isArray(allowed) || !allowed.every((item) => typeof item === 'string'))) problems.push(`${path}.AllowedValues: must be a list of text`);
    const pattern = definition['AllowedPattern'];
    if (pattern !== undefined && (typeof pattern !== 'string' || !compiles(pattern))) problems.push(`${path}.AllowedPattern: must be a regular expression`);
  }
  return names;
}

function checkMappings(value: unknown, problems: string[]): Readonly<Record<string, unknown>> {
  const mappings = section({ Mappings: value }, 'Mappings', problems);
  for (const [map, top] of Object.entries(mappings)) {
    if (!isObject(top)) {
      problems.push(`Mappings.${map}: must map keys to objects of values`);
      continue;
    }
    for (const [key, second] of Object.entries(top)) {
      if (!isObject(second)) {
        problems.push(`Mappings.${map}.${key}: must be an object of values`);
        continue;
      }
      for (const [name, item] of Object.entries(second)) {
        const plain = typeof item === 'string' || typeof item === 'number' || (Array.isArray(item) && item.every((x) => typeof x === 'string'));
        if (!plain) problems.push(`Mappings.${map}.${key}.${name}: must be text, a number or a list of text (no functions in Mappings)`);
      }
    }
  }
  return mappings;
}

function checkConditionCycles(conditions: Readonly<Record<string, unknown>>, problems: string[]): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: readonly string[]): void => {
    if (state.get(name) === 'done' || !(name in conditions)) return;
    if (state.get(name) === 'visiting') {
      problems.push(`Conditions.${name}: refers to itself through ${[...trail.slice(trail.indexOf(name)), name].join(' → ')}`);
      return;
    }
    state.set(name, 'visiting');
    for (const next of conditionReferences(conditions[name])) visit(next, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(conditions)) visit(name, []);
}

function checkResources(resources: Readonly<Record<string, unknown>>, scope: TemplateScope, problems: string[]): void {
  const counts = new Map<string, string[]>();
  for (const [name, resource] of Object.entries(resources)) {
    const path = `Resources.${name}`;
    if (!isObject(resource)) {
      problems.push(`${path}: must be an object with Type and Properties`);
      continue;
    }
    for (const key of Object.keys(resource)) if (!RESOURCE_KEYS.has(key)) problems.push(`${path}.${key}: unknown resource setting`);
    const type = resource['Type'];
    if (typeof type !== 'string' || !(type in PROPERTIES)) {
      problems.push(`${path}.Type: must be one of ${Object.keys(PROPERTIES).join(', ')}`);
      continue;
    }
    counts.set(type, [...(counts.get(type) ?? []), name]);
    const condition = resource['Condition'];
    if (condition !== undefined && (typeof condition !== 'string' || !scope.conditions.has(condition))) problems.push(`${path}.Condition: unknown condition ${JSON.stringify(condition)}`);
    const properties = resource['Properties'] ?? {};
    if (!isObject(properties)) {
      problems.push(`${path}.Properties: must be an object`);
      continue;
    }
    for (const [key, value] of Object.entries(properties)) {
      if (PROPERTIES[type]!.has(key)) checkValue(value, `${path}.Properties.${key}`, scope, problems);
      else problems.push(`${path}.Properties.${key}: ${unknownPropertyReason(type, key)}`);
    }
    checkOverrides(type, resource['OverrideSettings'], `${path}.OverrideSettings`, problems);
    if (type === THING_TYPE) checkThing(properties, `${path}.Properties`, problems);
    if (type === CERTIFICATE_TYPE) checkCertificate(properties, `${path}.Properties`, problems);
    if (type === POLICY_TYPE) checkPolicy(properties, `${path}.Properties`, problems);
  }
  for (const type of [THING_TYPE, CERTIFICATE_TYPE]) {
    const names = counts.get(type) ?? [];
    if (names.length > 1) problems.push(`Resources: declares ${names.length} ${type} resources (${names.join(', ')}); at most one is allowed`);
  }
}

function unknownPropertyReason(type: string, key: string): string {
  if (type === CERTIFICATE_TYPE && ['CertificateSigningRequest', 'CertificatePem', 'CACertificatePem'].includes(key)) {
    return 'is not supported: Gatehouse provisions the certificate the device presents; name it with "CertificateId": {"Ref": "AWS::IoT::Certificate::Id"}';
  }
  return `unknown property of ${type} (known: ${[...PROPERTIES[type]!].join(', ')})`;
}

function checkOverrides(type: string, overrides: unknown, path: string, problems: string[]): void {
  if (overrides === undefined) return;
  if (type === POLICY_TYPE) return void problems.push(`${path}: OverrideSettings are not available for policy resources`);
  if (!isObject(overrides)) return void problems.push(`${path}: must be an object`);
  for (const [key, action] of Object.entries(overrides)) {
    const known = type === THING_TYPE ? key in THING_OVERRIDE_KEYS : key === 'Status';
    if (!known) {
      problems.push(`${path}.${key}: no override setting for this property (known: ${type === THING_TYPE ? 'AttributePayload, ThingTypeName, ThingGroups' : 'Status'})`);
    } else if (typeof action !== 'string' || !OVERRIDE_ACTIONS.has(action)) {
      problems.push(`${path}.${key}: must be one of DO_NOTHING, REPLACE, FAIL, MERGE`);
    } else if (action === 'MERGE' && (type !== THING_TYPE || THING_OVERRIDE_KEYS[key] === 'thingType')) {
      problems.push(`${path}.${key}: MERGE is valid only for AttributePayload and ThingGroups`);
    }
  }
}

function checkThing(properties: Readonly<Record<string, unknown>>, path: string, problems: string[]): void {
  const name = properties['ThingName'];
  if (name === undefined) problems.push(`${path}.ThingName: is required`);
  else if (typeof name === 'string' && !THING_NAME.test(name)) problems.push(`${path}.ThingName: "${name}" is not 1..128 of [a-zA-Z0-9:_-]`);
  else if (typeof name !== 'string' && functionOf(name) === undefined) problems.push(`${path}.ThingName: must be text`);
  const attributes = properties['AttributePayload'];
  if (attributes !== undefined && !isObject(attributes)) problems.push(`${path}.AttributePayload: must be an object of name → text`);
  const groups = properties['ThingGroups'];
  if (groups !== undefined && !Array.isArray(groups) && functionOf(groups) === undefined) problems.push(`${path}.ThingGroups: must be a list of group names`);
}

function checkCertificate(properties: Readonly<Record<string, unknown>>, path: string, problems: string[]): void {
  const status = properties['Status'];
  if (typeof status === 'string' && !/^(active|inactive)$/i.test(status)) problems.push(`${path}.Status: must be ACTIVE or INACTIVE`);
}

function checkPolicy(properties: Readonly<Record<string, unknown>>, path: string, problems: string[]): void {
  const name = properties['PolicyName'];
  const document = properties['PolicyDocument'];
  if ((name === undefined) === (document === undefined)) problems.push(`${path}: give PolicyName (an existing policy) or PolicyDocument, not both or neither`);
  if (typeof document === 'string' && !isObject(parseJson(document))) problems.push(`${path}.PolicyDocument: is not a JSON object (write it as an object or as escaped JSON text)`);
  if (document !== undefined && typeof document !== 'string' && !isObject(document)) problems.push(`${path}.PolicyDocument: must be an object or JSON text`);
}

function parameterValues(template: Readonly<Record<string, unknown>>, given: Readonly<Record<string, string>>, context: TemplateContext): Map<string, ParameterValue> {
  const values = new Map<string, ParameterValue>();
  if (context.certificateId !== undefined) values.set(CERTIFICATE_ID_PARAMETER, context.certificateId);
  const missing: string[] = [];
  for (const [name, definition] of Object.entries(objectOr(template['Parameters']))) {
    const { Type: type, Default: fallback, AllowedValues: allowed, AllowedPattern: pattern } = definition as Record<string, unknown>;
    const preset = values.get(name);
    const raw = Object.hasOwn(given, name) ? given[name] : typeof preset === 'string' ? preset : fallback === undefined ? undefined : String(fallback);
    if (raw === undefined) {
      missing.push(name);
      continue;
    }
    const at = `Parameters.${name}`;
    const list = type === 'List<String>' || type === 'List<Number>' || type === 'CommaDelimitedList';
    const items = list ? raw.split(',').map((item) => item.trim()) : [raw];
    for (const item of items) {
      if ((type === 'Number' || type === 'List<Number>') && (item.trim() === '' || !Number.isFinite(Number(item)))) throw failed(at, `"${item}" is not a number`);
      if (Array.isArray(allowed) && !allowed.includes(item)) throw failed(at, `"${item}" is not one of ${allowed.map((x) => `"${String(x)}"`).join(', ')}`);
      if (typeof pattern === 'string' && !new RegExp(`^(?:${pattern})$`).test(item)) throw failed(at, `"${item}" does not match ${pattern}`);
    }
    values.set(name, list ? items : raw);
  }
  if (missing.length > 0) throw new GatehouseError('PROVISIONING_FAILED', { reason: `no value for parameter ${missing.map((name) => `"${name}"`).join(', ')}` });
  return values;
}

function resolveEnv(template: Readonly<Record<string, unknown>>, values: ReadonlyMap<string, ParameterValue>): ResolveEnv {
  const conditions = objectOr(template['Conditions']);
  const outcomes = new Map<string, boolean>();
  const env: ResolveEnv = {
    values,
    mappings: objectOr(template['Mappings']),
    condition(name, path) {
      const known = outcomes.get(name);
      if (known !== undefined) return known;
      if (!(name in conditions)) throw failed(path, `unknown condition "${name}"`);
      const outcome = resolveCondition(conditions[name], `Conditions.${name}`, env);
      outcomes.set(name, outcome);
      return outcome;
    },
  };
  return env;
}

function thingPlan(properties: Readonly<Record<string, Resolved>>, overrides: Readonly<Record<string, unknown>>, path: string): ThingPlan {
  const name = text(properties['ThingName'] ?? NO_VALUE, `${path}.ThingName`);
  if (!THING_NAME.test(name)) throw failed(`${path}.ThingName`, `"${name}" is not 1..128 of [a-zA-Z0-9:_-]`);
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(objectOr(properties['AttributePayload']))) {
    const at = `${path}.AttributePayload.${key}`;
    attributes[key] = text(value as Resolved, at);
    if (key.length > 128 || attributes[key]!.length > 800) throw failed(at, 'attribute names are at most 128 and values at most 800 characters');
  }
  const groupList = properties['ThingGroups'] ?? [];
  if (!Array.isArray(groupList)) throw failed(`${path}.ThingGroups`, 'is not a list');
  const groups = [...new Set(groupList.map((group, index) => text(group as Resolved, `${path}.ThingGroups[${index}]`)))].sort();
  const thingType = optionalText(properties['ThingTypeName'], `${path}.ThingTypeName`);
  const billingGroup = optionalText(properties['BillingGroup'], `${path}.BillingGroup`);
  const action = (field: keyof ThingPlan['overrides']): OverrideAction => {
    const entry = Object.entries(overrides).find(([key]) => THING_OVERRIDE_KEYS[key] === field);
    return (entry?.[1] as OverrideAction | undefined) ?? 'DO_NOTHING';
  };
  return {
    name,
    attributes,
    ...(thingType === undefined ? {} : { thingType }),
    groups,
    ...(billingGroup === undefined ? {} : { billingGroup }),
    overrides: { attributes: action('attributes'), thingType: action('thingType') as Exclude<OverrideAction, 'MERGE'>, groups: action('groups') },
  };
}

function certificatePlan(properties: Readonly<Record<string, Resolved>>, overrides: Readonly<Record<string, unknown>>, path: string): CertificatePlan {
  const status = (optionalText(properties['Status'], `${path}.Status`) ?? 'ACTIVE').toUpperCase();
  if (status !== 'ACTIVE' && status !== 'INACTIVE') throw failed(`${path}.Status`, `"${status}" is not ACTIVE or INACTIVE`);
  const id = optionalText(properties['CertificateId'], `${path}.CertificateId`);
  const override = (overrides['Status'] as Exclude<OverrideAction, 'MERGE'> | undefined) ?? 'DO_NOTHING';
  return { status, override, ...(id === undefined ? {} : { id }) };
}

function policyPlan(properties: Readonly<Record<string, Resolved>>, path: string): PolicyPlan {
  const document = properties['PolicyDocument'];
  if (document === undefined) return { kind: 'existing', name: text(properties['PolicyName'] ?? NO_VALUE, `${path}.PolicyName`) };
  const json = typeof document === 'string' ? document : JSON.stringify(document);
  if (!isObject(parseJson(json))) throw failed(`${path}.PolicyDocument`, 'is not a JSON object');
  // AWS: "PolicyName ... Defaults to a hash of the policy document".
  return { kind: 'inline', name: createHash('sha256').update(json).digest('hex'), document: json };
}

function optionalText(value: Resolved | undefined, at: string): string | undefined {
  return value === undefined ? undefined : text(value, at);
}

function section(body: Readonly<Record<string, unknown>>, name: string, problems: string[]): Readonly<Record<string, unknown>> {
  const value = body[name];
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.push(`${name}: must be an object`);
    return {};
  }
  return value;
}

function objectOr(value: unknown): Readonly<Record<string, unknown>> {
  return isObject(value) ? value : {};
}

function parseJson(textValue: string): unknown {
  try {
    return JSON.parse(textValue);
  } catch {
    return undefined;
  }
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
