/**
 * Signing keys for tokens Gatehouse mints (registration tokens): create, save as a JWK with a `kid`,
 * load, and publish the public half for verification during key rotation.
 */
import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { GatehouseError } from '../core/index.js';

/** Algorithms Gatehouse signs its own tokens with. */
export type TokenSigningAlgorithm = 'EdDSA' | 'ES256';

/** A private signing key with its id; `privateJwk` is what a key file holds. */
export interface TokenSigningKey {
  readonly kid: string;
  readonly alg: TokenSigningAlgorithm;
  readonly privateKey: CryptoKey;
  /** The public half as a JWK (with `kid`, `alg`, `use: 'sig'`), for verification key lists. */
  readonly publicJwk: JWK;
}

/**
 * Makes a new signing key. Its `kid` is a short hash of the public key, so the same key always has
 * the same id and two keys never share one by accident.
 *
 * @example
 * const key = await createTokenSigningKey();
 * await writeFile(path, JSON.stringify(await exportTokenSigningKey(key)), { mode: 0o600 });
 */
export async function createTokenSigningKey(alg: TokenSigningAlgorithm = 'EdDSA'): Promise<TokenSigningKey> {
  const pair = alg === 'EdDSA'
    ? await generateKeyPair('Ed25519', { extractable: true })
    : await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  const kid = keyId(publicJwk);
  return { kid, alg, privateKey: pair.privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

/**
 * The private JWK to store in a key file (mode 0600). It holds the private key: never log it.
 *
 * @example
 * const jwk = await exportTokenSigningKey(key); // { kty, crv, x, d, kid, alg, use }
 */
export async function exportTokenSigningKey(key: TokenSigningKey): Promise<JWK> {
  const jwk = await exportJWK(key.privateKey);
  return { ...jwk, kid: key.kid, alg: key.alg, use: 'sig' };
}

/**
 * Loads a signing key from a private JWK (as written by `exportTokenSigningKey`). A JWK without
 * `kid` gets the derived one.
 *
 * @example
 * const key = await importTokenSigningKey(JSON.parse(await readFile(path, 'utf8')));
 */
export async function importTokenSigningKey(jwk: JWK): Promise<TokenSigningKey> {
  const alg = jwk.alg === 'ES256' || (jwk.kty === 'EC' && jwk.alg === undefined) ? 'ES256' : 'EdDSA';
  if (jwk.d === undefined) throw new GatehouseError('CONFIG_INVALID', { reason: 'token signing key JWK has no private part ("d")' });
  if ((alg === 'EdDSA' && (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519')) || (alg === 'ES256' && (jwk.kty !== 'EC' || jwk.crv !== 'P-256'))) {
    throw new GatehouseError('CONFIG_INVALID', { reason: 'token signing key must be an Ed25519 (EdDSA) or P-256 (ES256) JWK' });
  }
  const privateKey = await importJWK(jwk, alg === 'EdDSA' ? 'Ed25519' : 'ES256', { extractable: true });
  if (privateKey instanceof Uint8Array) throw new GatehouseError('CONFIG_INVALID', { reason: 'token signing key JWK is symmetric' });
  const { d: _d, ...rest } = jwk;
  const publicPart: JWK = { kty: rest.kty, crv: rest.crv, x: rest.x } as JWK;
  if (rest.y !== undefined) publicPart.y = rest.y;
  const kid = jwk.kid ?? keyId(publicPart);
  return { kid, alg, privateKey: privateKey as CryptoKey, publicJwk: { ...publicPart, kid, alg, use: 'sig' } };
}

function keyId(publicJwk: JWK): string {
  // RFC 7638-style thumbprint input (required members, sorted), shortened: a label, not a secret.
  const members = publicJwk.kty === 'EC' ? { crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x, y: publicJwk.y } : { crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url').slice(0, 16);
}
