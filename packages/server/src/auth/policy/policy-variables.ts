/**
 * The catalogue of policy variables and condition keys (`iot:ClientId`, `iot:Certificate.Subject.*`,
 * `aws:SourceIp`, ...): parsing their names and resolving them from a connection or a request.
 */
import {
  alternativeNameKinds, distinguishedNameAttributes,
  type AlternativeNameKind, type DistinguishedNameAttribute, type PolicyContext, type PolicyRequestContext,
} from './policy-context.js';

/** Which value of a repeated certificate field: a zero-based index, or all of them (`.List`). */
export type FieldIndex = number | 'list';

/** A parsed variable or condition key name. */
export type PolicyKey =
  | { readonly kind: 'clientId' | 'sourceIp' | 'thingName' | 'thingTypeName' | 'isAttached' | 'certificateId' }
  | { readonly kind: 'serialNumber' | 'notBefore' | 'notAfter' }
  | { readonly kind: 'thingAttribute'; readonly name: string }
  | { readonly kind: 'certificateName'; readonly side: 'subject' | 'issuer'; readonly attribute: DistinguishedNameAttribute; readonly index: FieldIndex }
  | { readonly kind: 'alternativeName'; readonly side: 'subject' | 'issuer'; readonly nameKind: AlternativeNameKind; readonly index: FieldIndex }
  | { readonly kind: 'currentTime' | 'epochTime' | 'lastWillTopic' | 'connectAttributes' }
  /** An AWS key Gatehouse never sets (VPC keys, `iot:DomainName`): always absent. */
  | { readonly kind: 'unsupported'; readonly name: string };

/** Values a thing can have at most per certificate field, as in AWS (further values are cut). */
export const maxCertificateFieldValues = 5;
/** Certificate values longer than this are not substituted (AWS). */
const maxSubstitutedLength = 1024;

const simpleKeys: Readonly<Record<string, PolicyKey>> = {
  'iot:clientid': { kind: 'clientId' },
  'aws:sourceip': { kind: 'sourceIp' },
  'iot:connection.thing.thingname': { kind: 'thingName' },
  'iot:connection.thing.thingtypename': { kind: 'thingTypeName' },
  'iot:connection.thing.isattached': { kind: 'isAttached' },
  'iot:certificateid': { kind: 'certificateId' },
  'iot:certificate.serialnumber': { kind: 'serialNumber' },
  'iot:certificate.notbefore': { kind: 'notBefore' },
  'iot:certificate.notafter': { kind: 'notAfter' },
  'aws:currenttime': { kind: 'currentTime' },
  'aws:epochtime': { kind: 'epochTime' },
  'iot:lastwilltopic': { kind: 'lastWillTopic' },
  'iot:connectattributes': { kind: 'connectAttributes' },
};
const unsupportedKeys = new Set(['iot:domainname', 'iot:clientinitialconnecttime', 'iot:certificate.availablekeys', 'aws:sourcevpc', 'aws:sourcevpce', 'aws:vpcsourceip']);

const attributePattern = /^iot:connection\.thing\.attributes\[([^\]]+)\]$/i;
const certificatePattern = /^iot:certificate\.(subject|issuer)\.(?:(alternativename)\.)?([a-z0-9]+)(?:\.([0-9]+|list))?$/i;

/**
 * Parses a variable or condition key name (case-insensitive, as in IAM, except the attribute name in
 * `Attributes[...]`). Returns a reason string when the name is not one Gatehouse knows.
 *
 * @example
 * parsePolicyKey('iot:Connection.Thing.Attributes[site]'); // { kind: 'thingAttribute', name: 'site' }
 * parsePolicyKey('iot:Certificate.Subject.Organization.List'); // { kind: 'certificateName', ..., index: 'list' }
 */
export function parsePolicyKey(name: string): PolicyKey | string {
  const lower = name.toLowerCase();
  const simple = simpleKeys[lower];
  if (simple) return simple;
  if (unsupportedKeys.has(lower)) return { kind: 'unsupported', name };
  const attribute = attributePattern.exec(name);
  if (attribute?.[1]) return { kind: 'thingAttribute', name: attribute[1] };
  const certificate = certificatePattern.exec(name);
  if (!certificate) return `unknown policy variable or condition key "${name}"`;
  const [, sideText = '', alternative, fieldText = '', indexText] = certificate;
  const side = sideText.toLowerCase() === 'subject' ? 'subject' : 'issuer';
  let index: FieldIndex = 0;
  if (indexText !== undefined) {
    index = indexText.toLowerCase() === 'list' ? 'list' : Number(indexText);
    if (index !== 'list' && index >= maxCertificateFieldValues) {
      return `"${name}" asks for value ${index}, but only the first ${maxCertificateFieldValues} values (0 to ${maxCertificateFieldValues - 1}) are available`;
    }
  }
  if (alternative) {
    const nameKind = alternativeNameKinds.find((kind) => kind.toLowerCase() === fieldText.toLowerCase());
    return nameKind ? { kind: 'alternativeName', side, nameKind, index } : `unknown alternative name "${fieldText}" in "${name}"`;
  }
  const attributeName = distinguishedNameAttributes.find((known) => known.toLowerCase() === fieldText.toLowerCase());
  return attributeName ? { kind: 'certificateName', side, attribute: attributeName, index } : `unknown certificate attribute "${fieldText}" in "${name}"`;
}

/**
 * Whether a key varies per request (time, CONNECT details) rather than per connection.
 *
 * @example
 * isRequestKey({ kind: 'currentTime' }); // true
 */
export function isRequestKey(key: PolicyKey): boolean {
  return key.kind === 'currentTime' || key.kind === 'epochTime' || key.kind === 'lastWillTopic' || key.kind === 'connectAttributes';
}

/**
 * Whether a key has many values (`.List`, `iot:ConnectAttributes`): usable only as a condition key.
 *
 * @example
 * isListKey({ kind: 'connectAttributes' }); // true
 */
export function isListKey(key: PolicyKey): boolean {
  return key.kind === 'connectAttributes' || ((key.kind === 'certificateName' || key.kind === 'alternativeName') && key.index === 'list');
}

/** A resolved key: one value, many, or absent. Times are epoch ms so checks need not format them. */
export type KeyValue = string | number | readonly string[] | undefined;

/**
 * Resolves a connection key from the context (request keys resolve to undefined here).
 *
 * @example
 * resolveConnectionKey({ kind: 'clientId' }, { tenant: 't', clientId: 'agent-7', now: 0 }); // 'agent-7'
 */
export function resolveConnectionKey(key: PolicyKey, context: PolicyContext): KeyValue {
  switch (key.kind) {
    case 'clientId': return context.clientId === '' ? undefined : context.clientId;
    case 'sourceIp': return context.sourceIp;
    case 'thingName': return context.thingName;
    case 'thingTypeName': return context.thingTypeName;
    case 'isAttached': return context.isAttached === undefined ? undefined : String(context.isAttached);
    case 'certificateId': return context.certificateId;
    case 'thingAttribute': return context.thingAttributes !== undefined && Object.hasOwn(context.thingAttributes, key.name) ? context.thingAttributes[key.name] : undefined;
    case 'serialNumber': return context.certificate?.serialNumber;
    case 'notBefore': return isoTime(context.certificate?.notBefore);
    case 'notAfter': return isoTime(context.certificate?.notAfter);
    case 'certificateName': return pick(context.certificate?.[key.side].attributes?.[key.attribute], key.index);
    case 'alternativeName': return pick(context.certificate?.[key.side].alternativeNames?.[key.nameKind], key.index);
    case 'currentTime': case 'epochTime': case 'lastWillTopic': case 'connectAttributes': case 'unsupported':
      return undefined;
    default: return unreachable(key);
  }
}

/**
 * Resolves a request key; `now` falls back to the connection's bind time.
 *
 * @example
 * resolveRequestKey({ kind: 'lastWillTopic' }, { lastWillTopic: 'will/agent-7' }, 0); // 'will/agent-7'
 */
export function resolveRequestKey(key: PolicyKey, request: PolicyRequestContext | undefined, bindNow: number): KeyValue {
  switch (key.kind) {
    case 'currentTime': case 'epochTime': return request?.now ?? bindNow;
    case 'lastWillTopic': return request?.lastWillTopic;
    case 'connectAttributes': return request?.connectAttributes;
    default: return undefined;
  }
}

/**
 * The text a `${...}` variable is replaced by, or undefined when it does not resolve. As in AWS,
 * certificate values holding `* $ + ? #` or longer than 1024 characters are not substituted.
 *
 * @example
 * substitutionText({ kind: 'thingName' }, { tenant: 't', thingName: 'agent-7', now: 0 }); // 'agent-7'
 */
export function substitutionText(key: PolicyKey, context: PolicyContext): string | undefined {
  const value = resolveConnectionKey(key, context);
  if (typeof value !== 'string' || value === '') return undefined;
  const fromCertificate = key.kind === 'certificateName' || key.kind === 'alternativeName' || key.kind === 'serialNumber';
  if (fromCertificate && (value.length > maxSubstitutedLength || /[*$+?#]/.test(value))) return undefined;
  return value;
}

function pick(values: readonly string[] | undefined, index: FieldIndex): KeyValue {
  if (values === undefined || values.length === 0) return undefined;
  if (index === 'list') return values.length > maxCertificateFieldValues ? values.slice(0, maxCertificateFieldValues) : values;
  return values[index];
}

function isoTime(epochMs: number | undefined): string | undefined {
  return epochMs === undefined ? undefined : new Date(epochMs).toISOString();
}

function unreachable(value: never): never {
  throw new TypeError(`Unexpected policy key ${JSON.stringify(value)}`);
}
