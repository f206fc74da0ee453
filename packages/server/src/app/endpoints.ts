/** The URLs Gatehouse actually listens on, and `<home>/endpoints.json`, where the CLI finds them. */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { ListenAddress } from '../transport/index.js';
import type { ListenerName } from './config.js';

/** What `<home>/endpoints.json` holds; a disabled listener has no entry. */
export interface Endpoints {
  readonly admin?: string;
  readonly mqtt?: string;
  readonly mqtts?: string;
  readonly ws?: string;
  readonly wss?: string;
  /** Path of the CA certificate that TLS clients should trust. */
  readonly ca: string;
}

const schemes: Readonly<Record<ListenerName, string>> = { mqtt: 'mqtt', mqtts: 'mqtts', ws: 'ws', wss: 'wss', admin: 'http' };

/** A host that a local client can dial: wildcard binds are reached through loopback. */
export function dialableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return isIPv6(host) ? `[${host}]` : host;
}

export function endpointUrl(name: ListenerName, address: ListenAddress, path?: string): string {
  return `${schemes[name]}://${dialableHost(address.host)}:${address.port}${path ?? ''}`;
}

export function endpointsPath(home: string): string {
  return join(home, 'endpoints.json');
}

/** Writes the file whole or not at all, so a reader never sees half of it. */
export async function writeEndpoints(home: string, endpoints: Endpoints): Promise<string> {
  const path = endpointsPath(home);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o644 });
  await rename(temporary, path);
  return path;
}

/** Removes the file on a clean stop, unless another process has since written its own. */
export async function removeEndpoints(home: string, endpoints: Endpoints): Promise<void> {
  const path = endpointsPath(home);
  try {
    const current = JSON.parse(await readFile(path, 'utf8')) as Endpoints;
    if (JSON.stringify(current) === JSON.stringify(endpoints)) await rm(path, { force: true });
  } catch {
    // Already gone or unreadable: nothing of ours to remove.
  }
}
