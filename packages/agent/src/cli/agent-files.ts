/**
 * The agent's directory: its key, certificate, CA and configuration as `register` writes them and
 * the other commands read them. Files are 0600 and the directory 0700: the key is the agent's identity.
 */
import { chmod, lstat, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliError } from './cli-error.ts';

/** What `register` learnt and the other commands need, kept as `config.json`. */
export interface AgentConfig {
  /** `mqtts://` and `wss://` URLs, tried in this order. */
  readonly endpoints: readonly string[];
  readonly thingName: string;
  readonly tenant: string;
  /** First level of the agent's own topics; the tenant unless `register --customer` said otherwise. */
  readonly customer: string;
  readonly certificateId: string;
  /** The registration URL used, for the record. */
  readonly registeredAt: string;
}

/** The file names inside the agent's directory. */
export const AGENT_FILES = {
  key: 'key.pem',
  certificate: 'certificate.pem',
  ca: 'ca.pem',
  config: 'config.json',
} as const;

/** `--dir`, else `$GATEHOUSE_AGENT_DIR`, else `~/.gatehouse-agent`. */
export function agentDirectory(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env['GATEHOUSE_AGENT_DIR'] ?? join(homedir(), '.gatehouse-agent'));
}

/** The contents `writeAgentFiles` stores. */
export interface AgentFileContents {
  readonly keyPem: string;
  readonly certificatePem: string;
  readonly caPem: string;
  readonly config: AgentConfig;
}

/**
 * Writes the agent's files into `dir` (made 0700 if missing, tightened to 0700 if present). Each file
 * is written 0600 under a temporary name and renamed, so a crash never leaves half a key. Refuses
 * when any of them exists, unless `force`.
 *
 * @example
 * await writeAgentFiles('/etc/pump-agent', { keyPem, certificatePem, caPem, config }, { force: false });
 */
export async function writeAgentFiles(dir: string, contents: AgentFileContents, options: { force: boolean }): Promise<void> {
  await checkWritable(dir, options.force);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const texts: Record<keyof typeof AGENT_FILES, string> = {
    key: endLine(contents.keyPem),
    certificate: endLine(contents.certificatePem),
    ca: endLine(contents.caPem),
    config: `${JSON.stringify(contents.config, null, 2)}\n`,
  };
  for (const [name, file] of Object.entries(AGENT_FILES) as Array<[keyof typeof AGENT_FILES, string]>) {
    await writePrivateFile(join(dir, file), texts[name]);
  }
}

/**
 * Checks before a key is made or a token spent: an existing registration is not overwritten by
 * accident (its key would be lost while its certificate stays registered).
 */
export async function checkWritable(dir: string, force: boolean): Promise<void> {
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new CliError(`Cannot use ${dir}: ${error.message}`);
  });
  if (info === undefined) return;
  if (!info.isDirectory()) throw new CliError(`Cannot write the agent's files into ${dir}: it is not a directory`);
  if (force) return;
  for (const file of Object.values(AGENT_FILES)) {
    const exists = await lstat(join(dir, file)).then(() => true, () => false);
    if (exists) throw new CliError(`Cannot register into ${dir}: ${file} exists (an agent is registered there); give --force to replace it, or --dir for another directory`);
  }
}

/** PEM tools (openssl, cat into a bundle) want the file to end with a newline. */
function endLine(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

async function writePrivateFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // The mode passed to open is masked by the umask; the key must be 0600 whatever the umask.
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/** The agent's files, read back for the commands that connect. */
export interface AgentIdentity {
  readonly dir: string;
  readonly config: AgentConfig;
  readonly keyPem: string;
  readonly certificatePem: string;
  readonly caPem: string;
}

/**
 * Reads what `register` wrote; a missing or damaged file is a CliError that says to register first.
 *
 * @example
 * const identity = await readAgentIdentity(agentDirectory(flags.dir));
 */
export async function readAgentIdentity(dir: string): Promise<AgentIdentity> {
  const read = (file: string): Promise<string> =>
    readFile(join(dir, file), 'utf8').catch((error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'it does not exist; run `gatehouse-agent register` first (or give --dir)' : error.message;
      throw new CliError(`Cannot read ${join(dir, file)}: ${why}`);
    });
  const [configText, keyPem, certificatePem, caPem] = await Promise.all([read(AGENT_FILES.config), read(AGENT_FILES.key), read(AGENT_FILES.certificate), read(AGENT_FILES.ca)]);
  return { dir, config: parseAgentConfig(configText, join(dir, AGENT_FILES.config)), keyPem, certificatePem, caPem };
}

function parseAgentConfig(text: string, path: string): AgentConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`Cannot read ${path}: not JSON (${(error as Error).message})`);
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const endpoints = record['endpoints'];
  if (!Array.isArray(endpoints) || endpoints.length === 0 || !endpoints.every((e) => typeof e === 'string')) {
    throw new CliError(`Cannot read ${path}: "endpoints" must be a non-empty list of URLs`);
  }
  const required = (name: string): string => {
    const field = record[name];
    if (typeof field !== 'string' || field === '') throw new CliError(`Cannot read ${path}: "${name}" is missing`);
    return field;
  };
  return {
    endpoints: endpoints as string[],
    thingName: required('thingName'),
    tenant: required('tenant'),
    customer: required('customer'),
    certificateId: required('certificateId'),
    registeredAt: required('registeredAt'),
  };
}
