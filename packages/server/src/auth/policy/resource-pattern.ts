/**
 * Policy `Resource` entries: AWS ARNs (`arn:aws:iot:{region}:{account}:topic/...`), Gatehouse's
 * short forms (`topic/...`) and `*`.
 *
 * Tenancy: Gatehouse is single-region, so the region field matches anything. The account field
 * names the tenant, as an AWS account does: `*` or the tenant's id (a glob, matched against the
 * tenant the policy is bound for). A 12-digit AWS account id copied from AWS therefore matches
 * nothing; `parsePolicy` with a `tenant` refuses such a resource so the author sees it at once.
 * Short forms and `*` carry no account and apply to the policy's own tenant.
 */
import { anyChar, anyRun, compileGlob, type GlobMatcher, type GlobToken } from './glob-matcher.js';
import { parseTemplate, type TemplatePart } from './policy-template.js';

/** Resource types a pattern may start with. */
const resourceTypes = new Set(['topic', 'topicfilter', 'client', 'thing', 'rolealias']);

/** A parsed `Resource` or `NotResource` entry. */
export interface ResourcePattern {
  /** The entry as written. */
  readonly text: string;
  /** The account field as a glob; undefined for short forms and `*` (the policy's own tenant). */
  readonly account: GlobMatcher | undefined;
  /** What follows the account: `type/name`, with wildcards and variables. */
  readonly parts: readonly TemplatePart[];
}

export interface ParseResourceOptions {
  /** False under Version 2008-10-17, which has no policy variables. */
  readonly variables: boolean;
  /** The tenant the policy belongs to; when given, an ARN whose account cannot be it is refused. */
  readonly tenant?: string;
}

/**
 * Parses one resource entry, or returns why it is not one.
 *
 * @example
 * parseResourcePattern('arn:aws:iot:us-east-1:*:topic/${iot:ClientId}/*', { variables: true });
 * parseResourcePattern('topicfilter/customer-1/+/status', { variables: true }); // `+` is literal
 * parseResourcePattern('arn:aws:iot:us-east-1:123456789012:topic/a', { variables: true, tenant: 'acme' });
 * // 'account "123456789012" is neither "*" nor this tenant\'s id "acme"'
 */
export function parseResourcePattern(text: string, options: ParseResourceOptions): ResourcePattern | string {
  if (text === '') return 'resource is empty';
  if (!text.startsWith('arn:')) {
    if (text !== '*' && !startsWithType(text)) {
      return `"${text}" is neither "*", an ARN (arn:aws:iot:region:account:type/name) nor a short form (topic/..., topicfilter/..., client/..., thing/..., rolealias/...)`;
    }
    const parts = parseTemplate(text, options);
    return typeof parts === 'string' ? parts : { text, account: undefined, parts };
  }
  const fields = text.split(':');
  if (fields.length < 6) {
    // IAM matches ARNs as text, so `arn:aws:iot:*` covers every region, account and resource.
    if (!fields[fields.length - 1]?.endsWith('*')) return `"${text}" is not an ARN: expected arn:aws:iot:region:account:type/name`;
    while (fields.length < 6) fields.push('*');
  }
  const [, partition = '', service = '', , account = ''] = fields;
  const resource = fields.slice(5).join(':');
  if (partition === '') return `"${text}" has an empty partition (expected "aws")`;
  if (!compileGlob(wildcardTokens(service)).matches('iot')) return `"${text}" is not an AWS IoT resource: service "${service}" is not "iot"`;
  if (account === '') return `"${text}" has an empty account: write "*" or the tenant's id`;
  if (account.includes('${')) return `"${text}": policy variables cannot stand in the account field`;
  const accountMatcher = compileGlob(wildcardTokens(account));
  if (options.tenant !== undefined && !accountMatcher.matches(options.tenant)) {
    return `account "${account}" is neither "*" nor this tenant's id "${options.tenant}"`;
  }
  const literalHead = /^[^*?$/]*\//.exec(resource)?.[0];
  if (literalHead !== undefined && !resourceTypes.has(literalHead.slice(0, -1))) {
    return `"${text}" names an unknown resource type "${literalHead.slice(0, -1)}" (expected topic, topicfilter, client, thing or rolealias)`;
  }
  const parts = parseTemplate(resource, options);
  return typeof parts === 'string' ? parts : { text, account: accountMatcher, parts };
}

function startsWithType(text: string): boolean {
  const slash = text.indexOf('/');
  return slash > 0 && resourceTypes.has(text.slice(0, slash));
}

function wildcardTokens(text: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (const c of text) tokens.push(c === '*' ? anyRun : c === '?' ? anyChar : c);
  return tokens;
}
