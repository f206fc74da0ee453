/**
 * Token authentication for WebSocket and MQTT: a JWT issued by the SaaS backend (or any IdP),
 * verified against configured public keys and mapped to a tenant, thing and client-id pattern.
 */
import { createPublicKey } from 'node:crypto';
import { createLocalJWKSet, errors, jwtVerify } from 'jose';
import type { JWK, JWTPayload, JWTVerifyOptions } from 'jose';
import { GatehouseError } from '../core/index.js';
import { AuthError } from './auth-error.js';
import { authErrorFromJose } from './jose-failure.js';

/** Asymmetric algorithms accepted by default; `none` and HMAC are never accepted. */
export const defaultAuthTokenAlgorithms = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519'] as const;

/** Which claims carry the principal; defaults `tenant`, `thing`, `client_id`. */
export interface AuthTokenClaimNames {
  readonly tenant?: string;
  readonly thing?: string;
  readonly clientId?: string;
}

export interface VerifyAuthTokenOptions {
  /** A JWKS (`{ keys: [...] }`) or a list of public JWKs and SPKI PEM strings. */
  readonly keys: { readonly keys: readonly JWK[] } | ReadonlyArray<JWK | string>;
  readonly issuer?: string | readonly string[];
  readonly audience?: string | readonly string[];
  readonly algorithms?: readonly string[];
  /** Allowed clock difference for `exp`/`nbf`. Default 30 seconds. */
  readonly clockToleranceSeconds?: number;
  readonly now: Date;
  readonly claimNames?: AuthTokenClaimNames;
  /** The tenant of tokens without a tenant claim; absent, such tokens are refused (`missing-claim`). */
  readonly defaultTenant?: string;
}

/** The identity an auth token grants. */
export interface AuthTokenPrincipal {
  readonly tenant: string;
  readonly thing?: string;
  /**
   * Client ids this token may connect as: exact text, or a pattern where `*` stands for any run of
   * characters (the same wildcard as in policies). Absent: the policy decides alone.
   */
  readonly clientIdPattern?: string;
}

export interface VerifiedAuthToken {
  readonly principal: AuthTokenPrincipal;
  readonly claims: JWTPayload;
}

/**
 * Verifies a JWT and maps its claims to a principal:
 * - `tenant` (non-empty string; required unless `defaultTenant` is given) → the tenant;
 * - `thing` (optional string) → the thing name;
 * - `client_id` (optional string) → `clientIdPattern`.
 * Claim names can be changed with `claimNames`. `exp` is required. Throws `AuthError` with reason
 * `malformed`, `bad-signature`, `unknown-key`, `unsupported-algorithm`, `expired`, `not-yet-valid`,
 * `wrong-issuer`, `wrong-audience` or `missing-claim`.
 *
 * @example
 * const { principal } = await verifyAuthToken(token, {
 *   keys: jwks, issuer: 'https://saas.example.com', audience: 'gatehouse', now: new Date(),
 * });
 */
export async function verifyAuthToken(token: string, options: VerifyAuthTokenOptions): Promise<VerifiedAuthToken> {
  const what = 'Auth token';
  const keySet = createLocalJWKSet({ keys: toPublicJwks(options.keys) });
  const verifyOptions: JWTVerifyOptions = {
    ...(options.issuer !== undefined ? { issuer: typeof options.issuer === 'string' ? options.issuer : [...options.issuer] } : {}),
    ...(options.audience !== undefined ? { audience: typeof options.audience === 'string' ? options.audience : [...options.audience] } : {}),
    algorithms: [...(options.algorithms ?? defaultAuthTokenAlgorithms)].filter((alg) => alg !== 'none' && !alg.startsWith('HS')),
    clockTolerance: options.clockToleranceSeconds ?? 30,
    currentDate: options.now,
    requiredClaims: ['exp'],
  };
  let payload: JWTPayload;
  try {
    payload = await verifyWithKeySet(token, keySet, verifyOptions);
  } catch (error) {
    throw authErrorFromJose(error, what);
  }
  const names = { tenant: 'tenant', thing: 'thing', clientId: 'client_id', ...options.claimNames };
  const tenant = payload[names.tenant] ?? options.defaultTenant;
  if (typeof tenant !== 'string' || tenant.length === 0) throw new AuthError('missing-claim', `${what} has no "${names.tenant}" claim`);
  const thing = optionalString(payload, names.thing);
  const clientIdPattern = optionalString(payload, names.clientId);
  return {
    principal: { tenant, ...(thing !== undefined ? { thing } : {}), ...(clientIdPattern !== undefined ? { clientIdPattern } : {}) },
    claims: payload,
  };
}

/**
 * `jwtVerify` with a local key set, trying each candidate when several keys fit a token without
 * `kid` (PEM keys have none): jose reports that as JWKSMultipleMatchingKeys and leaves the choice
 * to us.
 */
async function verifyWithKeySet(token: string, keySet: ReturnType<typeof createLocalJWKSet>, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, keySet, options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    let last: unknown = error;
    for await (const key of error) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (attempt) {
        last = attempt;
        if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt;
      }
    }
    throw last;
  }
}

function optionalString(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new AuthError('missing-claim', `Auth token "${name}" claim is not a non-empty string`);
  return value;
}

/**
 * Normalises configured keys to public JWKs; a bad key is a configuration error (`CONFIG_INVALID`),
 * not a refusal. Call it when loading keys so a bad key stops the start, not a CONNECT.
 *
 * @example
 * const jwks = toPublicJwks([readFileSync('saas-public.pem', 'utf8')]);
 */
export function toPublicJwks(keys: VerifyAuthTokenOptions['keys']): JWK[] {
  const list = 'keys' in keys && !Array.isArray(keys) ? (keys as { keys: readonly JWK[] }).keys : (keys as ReadonlyArray<JWK | string>);
  return list.map((key) => {
    if (typeof key !== 'string') {
      if ('d' in key || key.kty === 'oct') throw new GatehouseError('CONFIG_INVALID', { reason: 'auth token keys must be public keys' });
      return { ...key };
    }
    try {
      return createPublicKey(key).export({ format: 'jwk' }) as JWK;
    } catch (error) {
      throw new GatehouseError('CONFIG_INVALID', { reason: 'an auth token key is not a PEM public key' }, { cause: error });
    }
  });
}

/**
 * Whether a client id fits a token's `clientIdPattern` (`*` = any run of characters, else exact).
 *
 * @example
 * clientIdMatches('agent-7-*', 'agent-7-shell'); // true
 */
export function clientIdMatches(pattern: string, clientId: string): boolean {
  const source = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`, 's').test(clientId);
}
