/** Files of the local PKI: reading what may be missing, writing secrets 0600, CA keys plain or encrypted. */
import { chmod, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { decryptPrivateKey, encryptPrivateKey } from './key-encryption.js';
import { PkiError } from './pki-error.js';

/** Where one CA key lives: plain PEM without a key secret, the encrypted envelope with one. */
export interface CaKeyFiles {
  readonly plain: string;
  readonly encrypted: string;
}

export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function writeSecret(path: string, contents: string): Promise<void> {
  await writeFile(path, contents, { mode: 0o600 });
  // writeFile's mode applies only to a new file; an old one keeps its mode otherwise.
  await chmod(path, 0o600);
}

/**
 * A CA key's PEM, decrypting the encrypted file when a secret is given. An encrypted key wins over a
 * plain one: the plain one is then a leftover of an interrupted migration.
 */
export async function readKeyFile(files: CaKeyFiles, keySecret: string | undefined): Promise<string | undefined> {
  const encrypted = await readIfExists(files.encrypted);
  if (encrypted !== undefined) {
    if (keySecret === undefined) {
      throw new PkiError('CA_KEY_UNREADABLE', `Cannot read the CA key ${files.encrypted}: it is encrypted and no key secret is configured`);
    }
    return decryptPrivateKey(encrypted, keySecret);
  }
  return readIfExists(files.plain);
}

/** Writes a new CA key, 0600: encrypted when a secret is given, plain otherwise. */
export async function writeKeyFile(files: CaKeyFiles, keyPem: string, keySecret: string | undefined): Promise<void> {
  if (keySecret === undefined) await writeSecret(files.plain, keyPem);
  else await writeSecret(files.encrypted, await encryptPrivateKey(keyPem, keySecret));
}

/**
 * Encrypts a plain key left from a run without a secret: writes the encrypted file through a
 * temporary one, checks it decrypts to the same key, then removes the plain file. Returns false when
 * there was no plain key.
 */
export async function encryptPlainKeyFile(files: CaKeyFiles, keySecret: string): Promise<boolean> {
  const keyPem = await readIfExists(files.plain);
  if (keyPem === undefined) return false;
  if ((await readIfExists(files.encrypted)) === undefined) {
    const temporary = `${files.encrypted}.tmp`;
    await writeSecret(temporary, await encryptPrivateKey(keyPem, keySecret));
    await rename(temporary, files.encrypted);
  }
  if ((await decryptPrivateKey(await readFile(files.encrypted, 'utf8'), keySecret)) !== keyPem) {
    // Only reachable when both files exist and disagree: keep both for the operator to sort out.
    throw new PkiError('CA_KEY_UNREADABLE', `Cannot migrate the CA key: ${files.plain} and ${files.encrypted} hold different keys`);
  }
  await unlink(files.plain);
  return true;
}
