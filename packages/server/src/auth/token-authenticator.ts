/**
 * Token authentication on CONNECT: a JWT presented the way AWS IoT custom authorizers take tokens
 * (CONNECT username after `?`, WebSocket query or headers), verified against the authorizer's keys.
 */
import type { JWK, JWTPayload } from 'jose';
import type { Logger } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import { AuthError } from './auth-error.js';
import { deferDecision, denyDecision, type ConnectDecision, type CredentialConnectEvent } from './connect-decision.js';
import { parseCustomAuthorizerHeaders, parseCustomAuthorizerQuery, parseMqttUsername, type CustomAuthorizerInput } from './custom-authorizer.js';
import { clientIdMatches, verifyAuthToken } from './jwt-auth.js';

/** One configured authorizer, its keys already loaded (`loadAuthorizerKeys`). */
export interface TokenAuthorizer {
  readonly name: string;
  /** Public keys the tokens are signed with. */
  readonly keys: readonly JWK[];
  /** Parameter / header that carries the token (AWS's `tokenKeyName`). */
  readonly tokenKeyName: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Claim naming the tenant; tokens without it belong to `defaultTenant`. */
  readonly tenantClaim: string;
  readonly thingClaim: string;
}

export interface TokenAuthenticatorOptions {
  /** In order: a token sent without an authorizer name goes to the first whose token key is present. */
  readonly authorizers: readonly TokenAuthorizer[];
  readonly defaultTenant: string;
  readonly logger: Logger;
  /** Epoch ms; for tests. */
  readonly now?: () => number;
}

/** Where a token was found, for logs. */
type TokenSource = 'username' | 'query' | 'headers';

/** Reads one place a client may put custom-authorizer input, for a given token key name. */
type InputReader = (tokenKeyName: string | undefined) => CustomAuthorizerInput | undefined;

/** At most this many string claims become principal attributes, each at most this long. */
const maxClaimAttributes = 32;
const maxClaimLength = 256;

/**
 * Makes the connect hook. The token is looked for in the CONNECT username
 * (`anything?x-amz-customauthorizer-name=saas&token=eyJ…`, SDK metrics stripped), then in the
 * WebSocket upgrade's query string, then in its headers. With an authorizer name but no token
 * parameter, the CONNECT password is the token. No authorizer input at all: defer. An unknown
 * authorizer name, a missing or refused token, or a client id outside the token's `client_id`
 * pattern: refuse with 0x87 Not authorized.
 *
 * `x-amz-customauthorizer-signature` is accepted and not checked: with AWS it proves an opaque token
 * came from the key holder, and a JWT already carries that proof in its own signature.
 *
 * @example
 * const tokens = createTokenAuthenticator({ authorizers: [{ name: 'saas', keys, tokenKeyName: 'token',
 *   tenantClaim: 'tenant', thingClaim: 'thing' }], defaultTenant: 'default', logger });
 */
export function createTokenAuthenticator(options: TokenAuthenticatorOptions): (event: CredentialConnectEvent) => Promise<ConnectDecision> {
  const now = options.now ?? Date.now;
  const byName = new Map(options.authorizers.map((authorizer) => [authorizer.name, authorizer]));
  return async (event) => {
    if (options.authorizers.length === 0) return deferDecision;
    const found = findToken(event, options.authorizers, byName);
    if (found === undefined) return deferDecision;
    const decision = found.kind === 'unknown'
      ? denyDecision(ReasonCode.NotAuthorized, `Cannot authenticate: no token authorizer is named "${found.name}"`)
      : await check(options, event, found, now());
    if (decision.kind === 'deny') {
      options.logger.info({ clientId: event.clientId, peer: event.peer.remoteAddress, source: found.source, reason: decision.reason }, 'token refused');
    }
    return decision;
  };
}

type Found =
  | { readonly kind: 'unknown'; readonly name: string; readonly source: TokenSource }
  | { readonly kind: 'token'; readonly authorizer: TokenAuthorizer; readonly token: string | undefined; readonly source: TokenSource };

function findToken(event: CredentialConnectEvent, authorizers: readonly TokenAuthorizer[], byName: ReadonlyMap<string, TokenAuthorizer>): Found | undefined {
  for (const [source, read] of readers(event)) {
    const named = read(undefined)?.authorizerName;
    if (named !== undefined) {
      const authorizer = byName.get(named);
      if (authorizer === undefined) return { kind: 'unknown', name: named, source };
      const token = read(authorizer.tokenKeyName)?.token ?? passwordText(event);
      return { kind: 'token', authorizer, token, source };
    }
    for (const authorizer of authorizers) {
      const token = read(authorizer.tokenKeyName)?.token;
      if (token !== undefined) return { kind: 'token', authorizer, token, source };
    }
  }
  return undefined;
}

function readers(event: CredentialConnectEvent): Array<[TokenSource, InputReader]> {
  const list: Array<[TokenSource, InputReader]> = [];
  const username = event.username;
  if (username !== undefined && username.includes('?')) {
    list.push(['username', (tokenKeyName) => parseMqttUsername(username, tokenKeyName === undefined ? {} : { tokenKeyName }).authorizer]);
  }
  const request = event.peer.request;
  if (request !== undefined) {
    const at = request.url.indexOf('?');
    if (at >= 0) {
      const query = request.url.slice(at + 1);
      list.push(['query', (tokenKeyName) => parseCustomAuthorizerQuery(query, tokenKeyName === undefined ? {} : { tokenKeyName })]);
    }
    list.push(['headers', (tokenKeyName) => parseCustomAuthorizerHeaders(request.headers, tokenKeyName === undefined ? {} : { tokenKeyName })]);
  }
  return list;
}

function passwordText(event: CredentialConnectEvent): string | undefined {
  return event.password === undefined || event.password.length === 0 ? undefined : event.password.toString('utf8');
}

async function check(options: TokenAuthenticatorOptions, event: CredentialConnectEvent, found: Extract<Found, { kind: 'token' }>, at: number): Promise<ConnectDecision> {
  const { authorizer, token } = found;
  const refuse = (reason: string): ConnectDecision => denyDecision(ReasonCode.NotAuthorized, `Cannot authenticate with authorizer "${authorizer.name}": ${reason}`);
  if (token === undefined || token.length === 0) {
    return refuse(`no token was sent (give it as "${authorizer.tokenKeyName}=…" or as the password)`);
  }
  let verified: Awaited<ReturnType<typeof verifyAuthToken>>;
  try {
    verified = await verifyAuthToken(token, {
      keys: { keys: authorizer.keys },
      ...(authorizer.issuer === undefined ? {} : { issuer: authorizer.issuer }),
      ...(authorizer.audience === undefined ? {} : { audience: authorizer.audience }),
      now: new Date(at),
      claimNames: { tenant: authorizer.tenantClaim, thing: authorizer.thingClaim },
      defaultTenant: options.defaultTenant,
    });
  } catch (error) {
    if (error instanceof AuthError) return refuse(String(error.params['reason']));
    options.logger.warn({ clientId: event.clientId, authorizer: authorizer.name, err: error instanceof Error ? error.message : String(error) }, 'cannot verify token');
    return refuse('the token cannot be verified');
  }
  const { principal, claims } = verified;
  if (principal.clientIdPattern !== undefined && !clientIdMatches(principal.clientIdPattern, event.clientId)) {
    return refuse(`client id "${event.clientId}" is not one the token allows ("${principal.clientIdPattern}")`);
  }
  const tenants = serviceTenants(claims);
  if (tenants !== undefined) {
    // A token for the SaaS backend: a service principal that addresses the granted tenants' topics
    // by their full names (`$tenants/{tenant}/...`) instead of living inside one tenant.
    return {
      kind: 'allow',
      principal: {
        kind: 'service', tenant: principal.tenant, clientId: event.clientId, sourceIp: event.peer.remoteAddress,
        attributes: { ...claimAttributes(claims), authorizerName: authorizer.name, tenants },
      },
    };
  }
  return {
    kind: 'allow',
    principal: {
      kind: 'token',
      tenant: principal.tenant,
      ...(principal.thing === undefined ? {} : { thingName: principal.thing }),
      clientId: event.clientId,
      sourceIp: event.peer.remoteAddress,
      attributes: { ...claimAttributes(claims), authorizerName: authorizer.name },
    },
  };
}

/** The claim that makes a token a service principal's: `"*"` or an array of tenant ids. */
export const serviceTenantsClaim = 'gatehouse:tenants';

/** The granted tenants as the broker reads them (`*` or a comma-separated list), or undefined for an agent's token. */
function serviceTenants(claims: JWTPayload): string | undefined {
  const value = claims[serviceTenantsClaim];
  if (value === '*') return '*';
  if (Array.isArray(value) && value.every((tenant) => typeof tenant === 'string' && /^[A-Za-z0-9_.:-]+$/.test(tenant))) return value.join(',');
  return undefined;
}

/** The token's string claims, for policies to test; numbers (`exp`, `iat`) and objects are left out. */
function claimAttributes(claims: JWTPayload): Record<string, string> {
  const attributes: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(claims)) {
    if (typeof value !== 'string' || value.length > maxClaimLength) continue;
    if (count++ >= maxClaimAttributes) break;
    attributes[name] = value;
  }
  return attributes;
}
