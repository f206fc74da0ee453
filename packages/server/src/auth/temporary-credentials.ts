/**
 * Temporary credentials in the AWS IoT credentials-provider shape, self-contained so any node can
 * check them without storage: the session token is an AES-256-GCM blob (key derived from the server
 * secret) naming the principal and expiry, and the secret access key is an HMAC of the access key id
 * and expiry, which the server recomputes when it verifies a SigV4 signature.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { GatehouseError } from '../core/index.js';

/** AWS refuses `credentialDurationSeconds` outside 900..43200; so do we. */
export const minCredentialSeconds = 900;
export const maxCredentialSeconds = 43200;

const tokenPrefix = 'GH1';
const aad = Buffer.from('gatehouse-session-token-v1');
const base32Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Whom the credentials act for: the certificate they were traded for and its thing. */
export interface CredentialPrincipal {
  readonly tenant: string;
  readonly thing: string;
  readonly certificateId: string;
}

/** The body of `GET /role-aliases/{alias}/credentials`, field for field as AWS IoT answers. */
export interface CredentialsProviderResponse {
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken: string;
    /** `YYYY-MM-DDThh:mm:ssZ`, UTC, no fraction. */
    readonly expiration: string;
  };
}

export interface IssueTemporaryCredentialsOptions {
  /** Server-side secret (at least 32 bytes); every node that verifies needs the same one. Never log it. */
  readonly secret: Buffer;
  readonly principal: CredentialPrincipal;
  readonly roleAlias: string;
  /** 900..43200; outside that range is refused as AWS does. Default 3600. */
  readonly ttlSeconds?: number;
  readonly now: Date;
}

/**
 * Issues temporary credentials for a certificate's thing under a role alias.
 *
 * @example
 * const body = issueTemporaryCredentials({
 *   secret, principal: { tenant: 'acme', thing: 'agent-7', certificateId }, roleAlias: 'agent-role', now: new Date(),
 * });
 * reply.send(body); // { credentials: { accessKeyId: 'ASIA…', secretAccessKey, sessionToken, expiration } }
 */
export function issueTemporaryCredentials(options: IssueTemporaryCredentialsOptions): CredentialsProviderResponse {
  const ttl = options.ttlSeconds ?? 3600;
  if (!Number.isInteger(ttl) || ttl < minCredentialSeconds || ttl > maxCredentialSeconds) {
    throw new GatehouseError('BAD_REQUEST', {
      reason: `credential duration must be ${minCredentialSeconds}..${maxCredentialSeconds} seconds, got ${ttl}`,
    });
  }
  const keys = deriveKeys(checkSecret(options.secret));
  const accessKeyId = `ASIA${base32(randomBytes(10))}`;
  const exp = Math.floor(options.now.getTime() / 1000) + ttl;
  const body: TokenBody = {
    v: 1, akid: accessKeyId, ten: options.principal.tenant, thg: options.principal.thing,
    cid: options.principal.certificateId, ra: options.roleAlias, exp,
  };
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.encryption, iv);
  cipher.setAAD(aad);
  const sealed = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
  const sessionToken = tokenPrefix + Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
  return {
    credentials: {
      accessKeyId,
      secretAccessKey: deriveSecretAccessKey(keys.secretDerivation, accessKeyId, exp),
      sessionToken,
      expiration: new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
}

/** What a valid session token stands for, with the secret access key recomputed. */
export interface ResolvedCredentials {
  readonly secretAccessKey: string;
  readonly principal: CredentialPrincipal;
  readonly roleAlias: string;
  readonly expiresAt: Date;
}

/**
 * Opens a session token and recomputes its secret access key, or returns `undefined` when the token
 * was not issued with any of `secrets` (list the old secret beside the new while rotating), is
 * damaged, or belongs to another access key id. Expiry is returned, not checked: the SigV4 verifier
 * refuses expired credentials with its own reason. Suits `verifyPresignedUrl`'s `resolveSecret`.
 *
 * @example
 * const resolved = resolveTemporaryCredentials(accessKeyId, sessionToken, { secrets: [secret] });
 */
export function resolveTemporaryCredentials(
  accessKeyId: string,
  sessionToken: string | undefined,
  options: { readonly secrets: readonly Buffer[] },
): ResolvedCredentials | undefined {
  if (sessionToken === undefined || !sessionToken.startsWith(tokenPrefix) || sessionToken.length > 4096) return undefined;
  const raw = Buffer.from(sessionToken.slice(tokenPrefix.length), 'base64url');
  if (raw.length < 12 + 16 + 2) return undefined;
  for (const secret of options.secrets) {
    const keys = deriveKeys(checkSecret(secret));
    const body = openToken(raw, keys.encryption);
    if (body === undefined || body.akid !== accessKeyId) continue;
    return {
      secretAccessKey: deriveSecretAccessKey(keys.secretDerivation, accessKeyId, body.exp),
      principal: { tenant: body.ten, thing: body.thg, certificateId: body.cid },
      roleAlias: body.ra,
      expiresAt: new Date(body.exp * 1000),
    };
  }
  return undefined;
}

interface TokenBody {
  readonly v: 1;
  readonly akid: string;
  readonly ten: string;
  readonly thg: string;
  readonly cid: string;
  readonly ra: string;
  readonly exp: number;
}

function openToken(raw: Buffer, key: Buffer): TokenBody | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(aad);
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
    const body = JSON.parse(plain.toString('utf8')) as Partial<TokenBody>;
    const strings = [body.akid, body.ten, body.thg, body.cid, body.ra];
    if (body.v !== 1 || !strings.every((s) => typeof s === 'string') || typeof body.exp !== 'number') return undefined;
    return body as TokenBody;
  } catch {
    // Authentication failure: another secret, or a damaged or forged token.
    return undefined;
  }
}

function deriveKeys(secret: Buffer): { encryption: Buffer; secretDerivation: Buffer } {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, 'gatehouse-temporary-credentials', info, 32));
  return { encryption: derive('session-token-encryption'), secretDerivation: derive('secret-access-key') };
}

function deriveSecretAccessKey(key: Buffer, accessKeyId: string, exp: number): string {
  // 30 bytes give 40 base64 characters, the length of an AWS secret access key.
  return createHmac('sha256', key).update(`${accessKeyId}\n${exp}`).digest().subarray(0, 30).toString('base64');
}

function checkSecret(secret: Buffer): Buffer {
  if (secret.length < 32) throw new GatehouseError('CONFIG_INVALID', { reason: 'the credentials secret must be at least 32 bytes' });
  return secret;
}

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += base32Alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += base32Alphabet[(value << (5 - bits)) & 31];
  return out;
}
