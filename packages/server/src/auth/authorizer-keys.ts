/**
 * Reads the public keys a token authorizer verifies JWTs with: a JWKS JSON file (`{ "keys": [...] }`),
 * one JWK, or one or more PEM blocks (SPKI public keys or certificates).
 */
import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import { GatehouseError } from '../core/index.js';
import { toPublicJwks } from './jwt-auth.js';

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * Parses a keys file's text. `label` names the file in errors (`CONFIG_INVALID`), e.g.
 * `auth.authorizers[0] keysFile /etc/gatehouse/saas.pem`.
 *
 * @example
 * const keys = parseAuthorizerKeys(readFileSync('saas.jwks.json', 'utf8'), 'saas.jwks.json');
 */
export function parseAuthorizerKeys(text: string, label: string): JWK[] {
  const fail = (reason: string, cause?: unknown): never => {
    throw new GatehouseError('CONFIG_INVALID', { reason: `${label}: ${reason}` }, cause === undefined ? undefined : { cause });
  };
  const trimmed = text.trim();
  let keys: ReadonlyArray<JWK | string>;
  if (trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (error) {
      return fail(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    const object = json as { keys?: unknown; kty?: unknown };
    if (Array.isArray(object.keys)) keys = object.keys as JWK[];
    else if (typeof object.kty === 'string') keys = [object as JWK];
    else return fail('JSON is neither a JWKS ({"keys": [...]}) nor a JWK');
  } else {
    keys = [...trimmed.matchAll(pemBlock)].map((match) => match[0]).filter((block) => !/PRIVATE KEY-----/.test(block));
    if (keys.length === 0) {
      return fail(/PRIVATE KEY-----/.test(trimmed) ? 'holds a private key; give the public key only' : 'holds no PEM public key, certificate or JWKS');
    }
  }
  if (keys.length === 0) return fail('the JWKS has no keys');
  try {
    return toPublicJwks(keys);
  } catch (error) {
    return fail(error instanceof GatehouseError ? String(error.params['reason']) : 'a key cannot be read', error);
  }
}

/**
 * Reads and parses a keys file; a missing or unreadable file is `CONFIG_INVALID` naming it.
 *
 * @example
 * const keys = await loadAuthorizerKeys('/etc/gatehouse/saas.pem', 'auth.authorizers[0] keysFile');
 */
export async function loadAuthorizerKeys(file: string, label: string): Promise<JWK[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new GatehouseError('CONFIG_INVALID', { reason: `${label} ${file}: cannot read it (${code})` }, { cause: error });
  }
  return parseAuthorizerKeys(text, `${label} ${file}`);
}
