/**
 * The per-tenant CA registration code (AWS GetRegistrationCode): stable for a tenant, different for
 * every tenant, and unguessable, without storing anything.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { exportTokenSigningKey, type TokenSigningKey } from '../../auth/index.js';

const derivedKeys = new WeakMap<TokenSigningKey, Promise<Buffer>>();

/**
 * The tenant's registration code: 64 lower-case hex characters, HMAC-SHA-256 of the tenant under a
 * key derived (HKDF, its own label) from the token signing key. The same tenant always gets the same
 * code, as AWS gives an account one, until the token signing key is replaced.
 *
 * @example
 * const code = await caRegistrationCode(services.signingKey, 'acme');
 * verifyCaRegistration({ caCertificatePem, verificationCertificatePem, registrationCode: code });
 */
export async function caRegistrationCode(signingKey: TokenSigningKey, tenant: string): Promise<string> {
  let key = derivedKeys.get(signingKey);
  if (key === undefined) {
    key = deriveKey(signingKey);
    derivedKeys.set(signingKey, key);
  }
  return createHmac('sha256', await key).update(tenant, 'utf8').digest('hex');
}

async function deriveKey(signingKey: TokenSigningKey): Promise<Buffer> {
  const { d } = await exportTokenSigningKey(signingKey);
  if (d === undefined) throw new TypeError('Cannot derive CA registration codes: the token signing key has no private part');
  return Buffer.from(hkdfSync('sha256', Buffer.from(d, 'base64url'), Buffer.alloc(0), 'gatehouse ca registration code v1', 32));
}
