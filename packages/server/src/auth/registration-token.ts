/**
 * Registration tokens: short-lived signed JWS that let one agent trade a CSR for its certificate.
 * Minting and verification are pure; single use is the store's job (it records each `jti` once).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, createLocalJWKSet, jwtVerify } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { GatehouseError } from '../core/index.js';
import { AuthError } from './auth-error.js';
import { authErrorFromJose } from './jose-failure.js';
import type { TokenSigningKey } from './token-signing-key.js';

/** `iss` of every registration token. */
export const registrationTokenIssuer = 'gatehouse';
/** `aud` of every registration token: only the registration endpoint accepts it. */
export const registrationTokenAudience = 'gatehouse:register';
/** JOSE `typ` header, so a registration token is never mistaken for another kind of JWT. */
export const registrationTokenType = 'gatehouse-registration+jwt';

const defaultTtlSeconds = 900;
const maxTtlSeconds = 7 * 24 * 3600;

/** What a registration token says, once verified. */
export interface RegistrationClaims {
  readonly jti: string;
  readonly tenant: string;
  readonly thing: string;
  /** The endpoint the agent should connect to once registered. */
  readonly endpoint: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly attributes: Readonly<Record<string, string>>;
  readonly groups: readonly string[];
  readonly template?: string;
}

export interface MintRegistrationTokenOptions {
  readonly signingKey: TokenSigningKey;
  readonly tenant: string;
  readonly thing: string;
  readonly endpoint: string;
  /** Lifetime; 15 minutes by default, at most 7 days. */
  readonly ttlSeconds?: number;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly groups?: readonly string[];
  /** Provisioning template to create the thing from. */
  readonly template?: string;
  readonly now: Date;
}

export interface MintedRegistrationToken {
  /** Compact JWS. A bearer secret: never log it. */
  readonly token: string;
  /** Unique id; the store marks it used on redemption so a replay is refused. */
  readonly jti: string;
  readonly expiresAt: Date;
}

/**
 * Mints a single-use registration token for one thing of one tenant. The caller stores `jti` (with
 * `expiresAt`) so that the registration endpoint can refuse a second use: the token alone cannot
 * enforce that.
 *
 * @example
 * const { token, jti, expiresAt } = await mintRegistrationToken({
 *   signingKey, tenant: 'acme', thing: 'agent-7', endpoint: 'gatehouse.example.com:8443', now: new Date(),
 * });
 */
export async function mintRegistrationToken(options: MintRegistrationTokenOptions): Promise<MintedRegistrationToken> {
  const ttl = options.ttlSeconds ?? defaultTtlSeconds;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > maxTtlSeconds) {
    throw new GatehouseError('BAD_REQUEST', { reason: `registration token lifetime must be 1..${maxTtlSeconds} seconds, got ${ttl}` });
  }
  for (const [name, value] of [['tenant', options.tenant], ['thing', options.thing], ['endpoint', options.endpoint]] as const) {
    if (value.length === 0) throw new GatehouseError('BAD_REQUEST', { reason: `registration token needs a non-empty ${name}` });
  }
  const jti = randomUUID();
  const iat = Math.floor(options.now.getTime() / 1000);
  const exp = iat + ttl;
  const payload: JWTPayload = {
    tenant: options.tenant,
    thing: options.thing,
    endpoint: options.endpoint,
    ...(options.attributes && Object.keys(options.attributes).length > 0 ? { attributes: { ...options.attributes } } : {}),
    ...(options.groups && options.groups.length > 0 ? { groups: [...options.groups] } : {}),
    ...(options.template !== undefined ? { template: options.template } : {}),
  };
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: options.signingKey.alg, kid: options.signingKey.kid, typ: registrationTokenType })
    .setIssuer(registrationTokenIssuer)
    .setAudience(registrationTokenAudience)
    .setSubject(options.thing)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(options.signingKey.privateKey);
  return { token, jti, expiresAt: new Date(exp * 1000) };
}

export interface VerifyRegistrationTokenOptions {
  /** Public JWKs (each with `kid`); list the old key beside the new one while rotating. */
  readonly verificationKeys: readonly JWK[];
  readonly now: Date;
  /** When set, a token for another tenant is refused with reason `other-tenant`. */
  readonly expectedTenant?: string;
}

/**
 * Verifies a registration token's signature, issuer, audience, type and lifetime and returns its
 * claims. It does not check single use: look `jti` up in the store next.
 * Throws `AuthError` with reason `malformed`, `bad-signature`, `unknown-key`, `expired`,
 * `wrong-audience`, `wrong-issuer`, `missing-claim` or `other-tenant`.
 *
 * @example
 * const claims = await verifyRegistrationToken(token, { verificationKeys: [key.publicJwk], now: new Date() });
 * await store.redeemRegistrationToken(claims.jti); // refuses a replay
 */
export async function verifyRegistrationToken(token: string, options: VerifyRegistrationTokenOptions): Promise<RegistrationClaims> {
  const what = 'Registration token';
  let payload: JWTPayload;
  try {
    const keys = createLocalJWKSet({ keys: options.verificationKeys.map((key) => ({ ...key })) });
    ({ payload } = await jwtVerify(token, keys, {
      issuer: registrationTokenIssuer,
      audience: registrationTokenAudience,
      typ: registrationTokenType,
      algorithms: ['EdDSA', 'Ed25519', 'ES256'],
      currentDate: options.now,
      requiredClaims: ['jti', 'exp', 'iat', 'sub'],
    }));
  } catch (error) {
    throw authErrorFromJose(error, what);
  }
  const claims = readClaims(payload);
  if (options.expectedTenant !== undefined && claims.tenant !== options.expectedTenant) {
    throw new AuthError('other-tenant', `${what} belongs to another tenant`);
  }
  return claims;
}

function readClaims(payload: JWTPayload): RegistrationClaims {
  const text = (name: string): string => {
    const value = payload[name];
    if (typeof value !== 'string' || value.length === 0) throw new AuthError('missing-claim', `Registration token has no "${name}" claim`);
    return value;
  };
  const attributes = payload['attributes'] ?? {};
  const groups = payload['groups'] ?? [];
  const template = payload['template'];
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes) || !Object.values(attributes).every((v) => typeof v === 'string')) {
    throw new AuthError('malformed', 'Registration token "attributes" claim is not a map of strings');
  }
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) throw new AuthError('malformed', 'Registration token "groups" claim is not a list of strings');
  if (template !== undefined && typeof template !== 'string') throw new AuthError('malformed', 'Registration token "template" claim is not a string');
  const thing = text('thing');
  if (payload.sub !== thing) throw new AuthError('malformed', 'Registration token subject and "thing" claim differ');
  return {
    jti: text('jti'),
    tenant: text('tenant'),
    thing,
    endpoint: text('endpoint'),
    issuedAt: new Date((payload.iat ?? 0) * 1000),
    expiresAt: new Date((payload.exp ?? 0) * 1000),
    attributes: attributes as Record<string, string>,
    groups: groups as string[],
    ...(template !== undefined ? { template } : {}),
  };
}
