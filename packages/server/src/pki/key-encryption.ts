/** Private keys at rest: AES-256-GCM under a key derived by scrypt from an operator's secret. */
import { createCipheriv, createDecipheriv, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PkiError } from './pki-error.js';

/** The envelope written to disk: JSON, so a later version can change the KDF cost without guessing. */
interface EncryptedKeyEnvelopeV1 {
  readonly format: 'gatehouse-encrypted-key';
  readonly version: 1;
  readonly kdf: { readonly name: 'scrypt'; readonly N: number; readonly r: number; readonly p: number; readonly salt: string };
  readonly cipher: 'aes-256-gcm';
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

// 2^15 costs ~100 ms and 32 MiB: paid once per process start, which is when the CA key is loaded.
const defaultCost = { N: 2 ** 15, r: 8, p: 1 } as const;
const wrongSecretMessage = 'Cannot decrypt the CA key: wrong secret or corrupted file';

function deriveKey(secret: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, 32, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** The header fields are bound to the ciphertext as associated data, so none can be swapped. */
function associatedData(envelope: Pick<EncryptedKeyEnvelopeV1, 'format' | 'version' | 'kdf' | 'cipher'>): Buffer {
  const { format, version, kdf, cipher } = envelope;
  return Buffer.from(JSON.stringify([format, version, kdf.name, kdf.N, kdf.r, kdf.p, kdf.salt, cipher]));
}

/**
 * Encrypts a private key PEM with a secret. Returns a small JSON envelope (text, safe to write to a
 * file) holding the scrypt parameters, a random salt and IV, the GCM tag and the ciphertext.
 *
 * @example
 * const blob = await encryptPrivateKey(caKeyPem, process.env.GATEHOUSE_CA_KEY_SECRET!);
 * await writeFile('ca.key.enc', blob, { mode: 0o600 });
 */
export async function encryptPrivateKey(pem: string, secret: string): Promise<string> {
  assertSecret(secret);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const header = {
    format: 'gatehouse-encrypted-key',
    version: 1,
    kdf: { name: 'scrypt', ...defaultCost, salt: salt.toString('base64') },
    cipher: 'aes-256-gcm',
  } as const;
  const key = await deriveKey(secret, salt, defaultCost);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(header));
  const data = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
  const envelope: EncryptedKeyEnvelopeV1 = {
    ...header,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

/**
 * Decrypts what `encryptPrivateKey` wrote. A wrong secret, a damaged file or an unknown format all
 * throw `PkiError` (`CA_KEY_UNREADABLE`) without any key material in the message.
 *
 * @example
 * const caKeyPem = await decryptPrivateKey(await readFile('ca.key.enc', 'utf8'), secret);
 */
export async function decryptPrivateKey(blob: string, secret: string): Promise<string> {
  assertSecret(secret);
  const envelope = parseEnvelope(blob);
  const cost = { N: envelope.kdf.N, r: envelope.kdf.r, p: envelope.kdf.p };
  const key = await deriveKey(secret, Buffer.from(envelope.kdf.salt, 'base64'), cost);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
    decipher.setAAD(associatedData(envelope));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    // GCM reports a wrong key and a changed byte the same way; neither message may say more.
    throw new PkiError('CA_KEY_UNREADABLE', wrongSecretMessage);
  }
}

/** True when `blob` looks like an envelope from `encryptPrivateKey` (and not a plain PEM key). */
export function isEncryptedPrivateKey(blob: string): boolean {
  return blob.trimStart().startsWith('{') && blob.includes('"gatehouse-encrypted-key"');
}

/**
 * Reads the key secret from a file (first line, trailing newline dropped) or an environment
 * variable; the file wins when both are set. Returns undefined when neither is configured.
 *
 * @example
 * const keySecret = await readKeySecret({ file: config.pki.keySecretFile, envVar: 'GATEHOUSE_CA_KEY_SECRET' });
 */
export async function readKeySecret(options: { file?: string | undefined; envVar?: string | undefined; env?: NodeJS.ProcessEnv }): Promise<string | undefined> {
  if (options.file !== undefined) {
    const text = (await readFile(options.file, 'utf8')).replace(/\r?\n$/, '');
    if (text.length === 0) throw new PkiError('CA_KEY_UNREADABLE', `Cannot use the CA key secret file ${options.file}: it is empty`);
    return text;
  }
  if (options.envVar !== undefined) {
    const value = (options.env ?? process.env)[options.envVar];
    if (value !== undefined && value.length > 0) return value;
  }
  return undefined;
}

function assertSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) throw new PkiError('CA_KEY_UNREADABLE', 'Cannot use an empty CA key secret');
}

function parseEnvelope(blob: string): EncryptedKeyEnvelopeV1 {
  let value: unknown;
  try {
    value = JSON.parse(blob);
  } catch {
    throw new PkiError('CA_KEY_UNREADABLE', wrongSecretMessage);
  }
  const e = value as Partial<EncryptedKeyEnvelopeV1> | null;
  const kdf = e?.kdf;
  const ok =
    e !== null && typeof e === 'object' && e.format === 'gatehouse-encrypted-key' && e.cipher === 'aes-256-gcm' &&
    typeof e.iv === 'string' && typeof e.tag === 'string' && typeof e.data === 'string' &&
    kdf !== undefined && kdf.name === 'scrypt' && typeof kdf.salt === 'string' &&
    Number.isInteger(kdf.N) && Number.isInteger(kdf.r) && Number.isInteger(kdf.p) &&
    // Bounds so a tampered file cannot make scrypt allocate gigabytes.
    kdf.N >= 2 ** 10 && kdf.N <= 2 ** 20 && kdf.r >= 1 && kdf.r <= 32 && kdf.p >= 1 && kdf.p <= 16;
  if (!ok) throw new PkiError('CA_KEY_UNREADABLE', wrongSecretMessage);
  if (e.version !== 1) throw new PkiError('CA_KEY_UNREADABLE', `Cannot decrypt the CA key: envelope version ${String(e.version)} is not supported`);
  return e as EncryptedKeyEnvelopeV1;
}
