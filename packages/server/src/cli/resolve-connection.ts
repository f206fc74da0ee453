/** Where the CLI finds the admin API and its key: flags, then environment, then the Gatehouse home. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from './admin-client.js';

export interface ConnectionFlags {
  readonly url?: string;
  readonly key?: string;
  readonly home?: string;
}

export interface Connection {
  readonly url: string;
  readonly key: string;
}

/**
 * `--url`, else `$GATEHOUSE_URL`, else `admin` in `<home>/endpoints.json`; `--key`, else
 * `$GATEHOUSE_ADMIN_KEY`, else `<home>/admin.key`; home is `--home`, else `$GATEHOUSE_HOME`, else
 * `./.gatehouse`. The server writes both files on start, so on its own machine no flag is needed.
 *
 * @example
 * const { url, key } = await resolveConnection({ home: '/var/lib/gatehouse' }, process.env);
 */
export async function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Promise<Connection> {
  const home = nonEmpty(flags.home) ?? nonEmpty(env['GATEHOUSE_HOME']) ?? './.gatehouse';
  const url = nonEmpty(flags.url) ?? nonEmpty(env['GATEHOUSE_URL']) ?? (await adminUrlFromHome(home));
  const key = nonEmpty(flags.key) ?? nonEmpty(env['GATEHOUSE_ADMIN_KEY']) ?? (await adminKeyFromHome(home));
  return { url, key };
}

async function adminUrlFromHome(home: string): Promise<string> {
  const path = join(home, 'endpoints.json');
  const text = await readOptional(path);
  if (text === undefined) {
    throw new CliError(`No admin API URL: pass --url, set GATEHOUSE_URL, or point --home at a Gatehouse home (${path} does not exist)`);
  }
  let endpoints: unknown;
  try {
    endpoints = JSON.parse(text);
  } catch {
    throw new CliError(`Cannot read the admin API URL from ${path}: it is not valid JSON`);
  }
  const admin = (endpoints as { admin?: unknown } | null)?.admin;
  // Either `"admin": "http://..."` or `"admin": { "url": "http://..." }`.
  const url = typeof admin === 'string' ? admin : (admin as { url?: unknown } | undefined)?.url;
  if (typeof url !== 'string' || url.length === 0) throw new CliError(`Cannot read the admin API URL from ${path}: it has no "admin" entry`);
  return url;
}

async function adminKeyFromHome(home: string): Promise<string> {
  const path = join(home, 'admin.key');
  const text = await readOptional(path);
  const key = text?.trim();
  if (key === undefined || key.length === 0) {
    throw new CliError(`No admin API key: pass --key, set GATEHOUSE_ADMIN_KEY, or point --home at a Gatehouse home (${path} is missing or empty)`);
  }
  return key;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}
