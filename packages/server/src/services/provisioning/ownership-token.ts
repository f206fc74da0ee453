/**
 * Certificate ownership tokens: what CreateKeysAndCertificate and CreateCertificateFromCsr hand out
 * and RegisterThing takes back. A JWS signed with Gatehouse's token signing key that binds one
 * certificate id to one tenant for one hour. Its own `typ` and audience keep it from passing as a
 * registration token, and a registration token from passing as one of these.
 */
import { SignJWT, createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK } from 'jose';
import type { TokenSigningKey } from '../../auth/index.js';
import { ProvisioningRejection } from './provisioning-rejection.js';

/** How long a device has to call RegisterThing; AWS's one hour. Unclaimed certificates are deleted after it. */
export const OWNERSHIP_TOKEN_TTL_MS = 3600 * 1000;

const issuer = 'gatehouse';
const audience = 'gatehouse:fleet-provisioning';
const tokenType = 'gatehouse-ownership+jwt';

export interface OwnershipClaims {
  readonly certificateId: string;
  readonly tenant: string;
  readonly expiresAt: Date;
}

/**
 * Mints the token for a certificate just created for `tenant`. It is a bearer secret: never log it.
 *
 * @example
 * const token = await mintOwnershipToken(signingKey, { certificateId: signed.id, tenant: 'acme', now: new Date() });
 */
export async function mintOwnershipToken(key: TokenSigningKey, options: { certificateId: string; tenant: string; now: Date }): Promise<string> {
  const iat = Math.floor(options.now.getTime() / 1000);
  return new SignJWT({ tenant: options.tenant })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: tokenType })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(options.certificateId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + OWNERSHIP_TOKEN_TTL_MS / 1000)
    .sign(key.privateKey);
}

/**
 * Checks a token for a RegisterThing request from a connection of `tenant`. Throws
 * ProvisioningRejection `InvalidCertificateOwnershipToken` when it is not one Gatehouse signed, has
 * expired, or belongs to another tenant.
 *
 * @example
 * const { certificateId } = await verifyOwnershipToken(request.certificateOwnershipToken, { verificationKeys: [key.publicJwk], tenant: 'acme', now: new Date() });
 */
export async function verifyOwnershipToken(token: string, options: { verificationKeys: readonly JWK[]; tenant: string; now: Date }): Promise<OwnershipClaims> {
  let payload;
  try {
    const keys = createLocalJWKSet({ keys: options.verificationKeys.map((key) => ({ ...key })) });
    ({ payload } = await jwtVerify(token, keys, {
      issuer,
      audience,
      typ: tokenType,
      algorithms: ['EdDSA', 'Ed25519', 'ES256'],
      currentDate: options.now,
      requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      throw new ProvisioningRejection('InvalidCertificateOwnershipToken', 'Certificate ownership token has expired: create a new certificate');
    }
    throw invalidToken();
  }
  const tenant = payload['tenant'];
  if (typeof tenant !== 'string' || typeof payload.sub !== 'string' || payload.sub === '') {
    throw new ProvisioningRejection('InvalidCertificateOwnershipToken', 'Certificate ownership token is not valid: it lacks its certificate or tenant');
  }
  // The same words as a forgery: a device of one tenant learns nothing about another's certificates.
  if (tenant !== options.tenant) throw invalidToken();
  return { certificateId: payload.sub, tenant, expiresAt: new Date((payload.exp ?? 0) * 1000) };
}

function invalidToken(): ProvisioningRejection {
  return new ProvisioningRejection('InvalidCertificateOwnershipToken', 'Certificate ownership token is not valid for this connection');
}
