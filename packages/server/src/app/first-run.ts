/**
 * What Gatehouse makes on its first start: the home directory, the local PKI, the admin API key, the
 * key that signs registration tokens and the secret temporary credentials are derived from.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTokenSigningKey, exportTokenSigningKey, importTokenSigningKey, type TokenSigningKey } from '../auth/index.js';
import { GatehouseError } from '../core/index.js';
import { ensureLocalPki, type LocalPki } from '../pki/index.js';
import type { GatehouseConfig } from './config.js';

export interface FirstRun {
  readonly home: string;
  readonly homeCreated: boolean;
  /** Present when the TLS settings point at the local PKI in `<home>/pki` (the default). */
  readonly pki?: LocalPki;
  readonly adminKeyPath: string;
  readonly adminKeyCreated: boolean;
  /** The admin API key itself: hand it to the API, never to a log. */
  readonly adminKey: string;
  readonly tokenSigningKeyPath: string;
  readonly tokenSigningKeyCreated: boolean;
  /** Signs registration tokens; its private half is not extractable as text by accident (CryptoKey). */
  readonly tokenSigningKey: TokenSigningKey;
  readonly credentialsSecretPath: string;
  readonly credentialsSecretCreated: boolean;
  /** Temporary credentials (credentials endpoint, SigV4 WebSocket) are derived from it. Never log it. */
  readonly credentialsSecret: Buffer;
}

/** PEM contents for the TLS listeners. */
export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * Ensures `<home>` (0700), the local PKI when the TLS settings use it (its CA keys encrypted when
 * `keySecret` is given; an intermediate CA with `pki.intermediate`), `<home>/admin.key`,
 * `<home>/token-signing-key.json` and the credentials secret (`auth.credentials.secretFile`), all 0600.
 *
 * @example
 * const firstRun = await prepareHome(config, { keySecret: await readKeySecret({ envVar: 'GATEHOUSE_CA_KEY_SECRET' }) });
 * if (firstRun.adminKeyCreated) console.log(`Admin key written to ${firstRun.adminKeyPath}`);
 */
export async function prepareHome(config: GatehouseConfig, options: { keySecret?: string | undefined } = {}): Promise<FirstRun> {
  const homeCreated = (await mkdir(config.home, { recursive: true, mode: 0o700 })) !== undefined;
  const pkiDir = join(config.home, 'pki');
  const usesLocalPki =
    config.tls.ca === join(pkiDir, 'ca.pem') && config.tls.cert === join(pkiDir, 'server.pem') && config.tls.key === join(pkiDir, 'server.key');
  const pki = usesLocalPki ? await ensureLocalPki({ dir: pkiDir, hostnames: config.tls.hostnames, keySecret: options.keySecret, intermediate: config.pki.intermediate }) : undefined;
  const adminKey = await ensureAdminKey(config.home);
  const signing = await ensureTokenSigningKey(config.home);
  const credentials = await ensureCredentialsSecret(config.auth.credentials.secretFile);
  return { home: config.home, homeCreated, ...(pki === undefined ? {} : { pki }), ...adminKey, ...signing, ...credentials };
}

/** Smallest secret accepted: HKDF-SHA256 gains nothing from more, and less would be guessable. */
const minCredentialsSecretBytes = 32;

/**
 * Reads the credentials secret file, or makes it: 32 random bytes, mode 0600. The secret is the
 * file's bytes as they are (at least 32), so an operator may also write one with `openssl rand 32`.
 * Every node of a cluster needs the same file, or credentials issued by one are refused by another.
 *
 * @example
 * const { credentialsSecret } = await ensureCredentialsSecret('/var/lib/gatehouse/credentials-secret');
 */
export async function ensureCredentialsSecret(path: string): Promise<{ credentialsSecretPath: string; credentialsSecretCreated: boolean; credentialsSecret: Buffer }> {
  let existing: Buffer | undefined;
  try {
    existing = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadableSecret(path, error);
  }
  if (existing !== undefined) {
    if (existing.length < minCredentialsSecretBytes) {
      throw new GatehouseError('CONFIG_INVALID', {
        reason: `auth.credentials.secretFile (${path}) holds ${existing.length} bytes, fewer than ${minCredentialsSecretBytes}; remove it to make a new secret (credentials issued with the old one stop working)`,
      });
    }
    return { credentialsSecretPath: path, credentialsSecretCreated: false, credentialsSecret: existing };
  }
  const secret = randomBytes(minCredentialsSecretBytes);
  // 'wx' as for the other keys: a secret another process wrote meanwhile wins, so both agree.
  try {
    await writeFile(path, secret, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unreadableSecret(path, error);
    return ensureCredentialsSecret(path);
  }
  await chmod(path, 0o600);
  return { credentialsSecretPath: path, credentialsSecretCreated: true, credentialsSecret: secret };
}

function unreadableSecret(path: string, error: unknown): GatehouseError {
  return new GatehouseError('CONFIG_INVALID', {
    reason: `Cannot read or create auth.credentials.secretFile (${path}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
  });
}

/** Reads `<home>/token-signing-key.json` (a private JWK), or makes it with mode 0600. */
export async function ensureTokenSigningKey(home: string): Promise<{ tokenSigningKeyPath: string; tokenSigningKeyCreated: boolean; tokenSigningKey: TokenSigningKey }> {
  const tokenSigningKeyPath = join(home, 'token-signing-key.json');
  let text: string | undefined;
  try {
    text = await readFile(tokenSigningKeyPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined && text.trim().length > 0) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(text);
    } catch {
      throw new GatehouseError('CONFIG_INVALID', { reason: `${tokenSigningKeyPath} is not JSON; remove it to make a new key (tokens minted with the old one stop working)` });
    }
    return { tokenSigningKeyPath, tokenSigningKeyCreated: false, tokenSigningKey: await importTokenSigningKey(jwk as Parameters<typeof importTokenSigningKey>[0]) };
  }
  const tokenSigningKey = await createTokenSigningKey();
  const contents = `${JSON.stringify(await exportTokenSigningKey(tokenSigningKey))}\n`;
  // 'wx' as for the admin key: a key another process wrote meanwhile wins, so both sign alike.
  try {
    await writeFile(tokenSigningKeyPath, contents, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return ensureTokenSigningKey(home);
  }
  await chmod(tokenSigningKeyPath, 0o600);
  return { tokenSigningKeyPath, tokenSigningKeyCreated: true, tokenSigningKey };
}

/** Reads `<home>/admin.key`, or makes it: 32 random bytes as base64url, mode 0600. */
export async function ensureAdminKey(home: string): Promise<{ adminKeyPath: string; adminKeyCreated: boolean; adminKey: string }> {
  const adminKeyPath = join(home, 'admin.key');
  try {
    const existing = (await readFile(adminKeyPath, 'utf8')).trim();
    if (existing.length > 0) return { adminKeyPath, adminKeyCreated: false, adminKey: existing };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const adminKey = randomBytes(32).toString('base64url');
  // 'wx' fails if another process made the file meanwhile, rather than overwriting its key.
  await writeFile(adminKeyPath, `${adminKey}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
    await writeFile(adminKeyPath, `${adminKey}\n`, { mode: 0o600 });
  });
  await chmod(adminKeyPath, 0o600);
  return { adminKeyPath, adminKeyCreated: true, adminKey };
}

/** Reads the TLS files the listeners need; a missing one is named by its setting. */
export async function readTlsFiles(config: GatehouseConfig): Promise<TlsFiles> {
  const read = async (setting: 'ca' | 'cert' | 'key'): Promise<string> => {
    try {
      return await readFile(config.tls[setting], 'utf8');
    } catch (error) {
      throw new GatehouseError('CONFIG_INVALID', {
        reason: `Cannot read tls.${setting} (${config.tls[setting]}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      });
    }
  };
  return { ca: await read('ca'), cert: await read('cert'), key: await read('key') };
}
