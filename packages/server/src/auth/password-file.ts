/**
 * The development passwords file: a JSON array of `{ username, passwordHash, tenant?, thing? }` with
 * scrypt hashes (`gatehouse passwd hash`). Checked whole when loaded; errors name the file and the
 * entry, never a hash.
 */
import { readFile } from 'node:fs/promises';
import { GatehouseError } from '../core/index.js';
import { checkPasswordHash } from './password-hash.js';

/** One user of the passwords file. */
export interface PasswordUser {
  /** Without any `?…` tail: SDK metrics are stripped from CONNECT usernames before lookup. */
  readonly username: string;
  /** `$scrypt$N=…,r=…,p=…$salt$hash`. */
  readonly passwordHash: string;
  /** Default: `identity.defaultTenant`. */
  readonly tenant?: string;
  readonly thing?: string;
}

const allowedKeys = new Set(['username', 'passwordHash', 'tenant', 'thing']);

/**
 * Parses the file's text; `file` names it in `CONFIG_INVALID` errors.
 *
 * @example
 * const users = parsePasswordFile('[{"username":"dev","passwordHash":"$scrypt$…"}]', 'passwords.json');
 */
export function parsePasswordFile(text: string, file: string): PasswordUser[] {
  const fail = (reason: string): never => {
    throw new GatehouseError('CONFIG_INVALID', { reason: `auth.passwordsFile ${file}: ${reason}` });
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(json)) return fail('expected a JSON array of { "username", "passwordHash", "tenant"?, "thing"? }');
  const seen = new Set<string>();
  return json.map((entry: unknown, index): PasswordUser => {
    const where = `entry ${index}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return fail(`${where} is not an object`);
    const record = entry as Record<string, unknown>;
    const username = record['username'];
    if (typeof username !== 'string' || username.length === 0 || username.includes('?')) {
      return fail(`${where} needs a non-empty "username" without "?"`);
    }
    const named = `${where} ("${username}")`;
    const unknown = Object.keys(record).find((key) => !allowedKeys.has(key));
    if (unknown !== undefined) return fail(`${named} has an unknown key "${unknown}" (allowed: ${[...allowedKeys].join(', ')})`);
    if (seen.has(username)) return fail(`${named} repeats a username`);
    seen.add(username);
    const passwordHash = record['passwordHash'];
    if (typeof passwordHash !== 'string') return fail(`${named} needs a "passwordHash" (make one with: gatehouse passwd hash)`);
    try {
      checkPasswordHash(passwordHash);
    } catch (error) {
      return fail(`${named} has a bad "passwordHash": ${error instanceof GatehouseError ? String(error.params['reason']) : 'unreadable'}`);
    }
    const optional = (key: 'tenant' | 'thing'): string | undefined => {
      const value = record[key];
      if (value === undefined) return undefined;
      return typeof value === 'string' && value.length > 0 ? value : fail(`${named} has a "${key}" that is not a non-empty string`);
    };
    const tenant = optional('tenant');
    const thing = optional('thing');
    return { username, passwordHash, ...(tenant === undefined ? {} : { tenant }), ...(thing === undefined ? {} : { thing }) };
  });
}

/**
 * Reads and parses the passwords file; a missing or unreadable file is `CONFIG_INVALID` naming it.
 *
 * @example
 * const users = await loadPasswordFile(config.auth.passwordsFile);
 */
export async function loadPasswordFile(file: string): Promise<PasswordUser[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new GatehouseError('CONFIG_INVALID', { reason: `auth.passwordsFile ${file}: cannot read it (${code})` }, { cause: error });
  }
  return parsePasswordFile(text, file);
}
