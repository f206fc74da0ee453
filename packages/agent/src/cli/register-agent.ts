/**
 * `gatehouse-agent register`: make a key and a CSR here, trade them with a registration token for a
 * certificate at `POST /v1/register`, and keep key, certificate, CA and endpoints in the agent's directory.
 */
import type { AgentOptions } from '../index.ts';
import { checkWritable, writeAgentFiles, type AgentConfig } from './agent-files.ts';
import { CliError } from './cli-error.ts';
import { makeAgentKey } from './make-agent-key.ts';
import { postJson } from './post-json.ts';

export interface RegisterAgentOptions {
  readonly token: string;
  /** The agent-facing HTTPS URL (`https://iot.example.com:8443`) or the full `/v1/register` URL; the token's endpoint when absent. */
  readonly endpoint?: string;
  readonly dir: string;
  readonly force: boolean;
  /** PEM of the CA to trust for the registration server; the system's CAs when absent. */
  readonly ca?: string;
  /** First level of the agent's own topics; the tenant when absent. */
  readonly customer?: string;
  readonly env: NonNullable<AgentOptions['env']>;
  readonly timeoutMs?: number;
}

/**
 * Registers the agent and writes its files; resolves with the configuration written.
 *
 * @example
 * const config = await registerAgent({ token, endpoint: 'https://iot.example.com', dir: '/etc/pump-agent', force: false, env: process.env });
 */
export async function registerAgent(options: RegisterAgentOptions): Promise<AgentConfig> {
  const claims = readTokenClaims(options.token);
  const url = registerUrl(options.endpoint ?? claims.endpoint);
  // Before the token is spent: a refusal here leaves it usable.
  await checkWritable(options.dir, options.force);
  const key = await makeAgentKey(claims.thing);
  const answer = await postJson(url, { token: options.token, csr: key.csrPem }, { env: options.env, timeoutMs: options.timeoutMs ?? 30_000, ...(options.ca === undefined ? {} : { ca: options.ca }) });
  if (answer.status !== 201) throw new CliError(refusal(url, answer.status, answer.body));
  const registered = readRegistered(answer.body, url);
  const config: AgentConfig = {
    endpoints: [registered.endpoints.mqtts, registered.endpoints.wss].filter((e): e is string => e !== undefined),
    thingName: registered.thingName,
    tenant: registered.tenant,
    customer: options.customer ?? registered.tenant,
    certificateId: registered.certificateId,
    registeredAt: url.href,
  };
  if (config.endpoints.length === 0) throw new CliError(`Cannot register at ${url.origin}: the answer names no mqtts or wss endpoint to connect to`);
  await writeAgentFiles(options.dir, { keyPem: key.keyPem, certificatePem: registered.certificateChainPem, caPem: registered.caCertificatePem, config }, { force: options.force });
  return config;
}

/** The claims the agent uses before registering; the server checks the signature, not us. */
function readTokenClaims(token: string): { endpoint: string | undefined; thing: string | undefined } {
  const payload = token.split('.')[1];
  let claims: Record<string, unknown> = {};
  try {
    if (payload !== undefined) claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    // Not a JWS we can read: the server says why; only the endpoint default is lost.
  }
  const text = (name: string): string | undefined => (typeof claims[name] === 'string' ? claims[name] : undefined);
  return { endpoint: text('endpoint'), thing: text('thing') };
}

function registerUrl(endpoint: string | undefined): URL {
  if (endpoint === undefined) throw new CliError('Cannot register: give --endpoint https://host:port (the token names none)');
  // Tokens name `host:port/v1/register` or a whole URL; a bare host means https.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`Cannot register: --endpoint "${endpoint}" is not a URL`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/register';
  return url;
}

/** Gatehouse's own refusals already say "Cannot register: ..."; anything else (a proxy's page) is named by its status. */
function refusal(url: URL, status: number, body: unknown): string {
  if (typeof body === 'object' && body !== null) {
    const { code, message } = body as Record<string, unknown>;
    if (typeof message === 'string') {
      const line = message.startsWith('Cannot ') ? message : `Cannot register at ${url.origin}: ${message}`;
      return `${line} (${status}${typeof code === 'string' ? ` ${code}` : ''})`;
    }
  }
  const text = typeof body === 'string' ? body.trim().slice(0, 200) : JSON.stringify(body);
  return `Cannot register at ${url.origin}: the server answered ${status}${text === '' ? '' : `: ${text}`}`;
}

interface RegisteredAnswer {
  readonly certificateId: string;
  readonly certificateChainPem: string;
  readonly caCertificatePem: string;
  readonly endpoints: { readonly mqtts?: string; readonly wss?: string };
  readonly thingName: string;
  readonly tenant: string;
}

function readRegistered(body: unknown, url: URL): RegisteredAnswer {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = (name: string): string => {
    const value = record[name];
    if (typeof value !== 'string' || value === '') throw new CliError(`Cannot register at ${url.origin}: the answer lacks "${name}"`);
    return value;
  };
  const endpoints = (typeof record['endpoints'] === 'object' && record['endpoints'] !== null ? record['endpoints'] : {}) as Record<string, unknown>;
  const mqtts = typeof endpoints['mqtts'] === 'string' ? endpoints['mqtts'] : undefined;
  const wss = typeof endpoints['wss'] === 'string' ? endpoints['wss'] : undefined;
  return {
    certificateId: text('certificateId'),
    // The chain lets the agent present leaf + intermediate when an intermediate signs.
    certificateChainPem: typeof record['certificateChainPem'] === 'string' ? record['certificateChainPem'] : text('certificatePem'),
    caCertificatePem: text('caCertificatePem'),
    endpoints: { ...(mqtts === undefined ? {} : { mqtts }), ...(wss === undefined ? {} : { wss }) },
    thingName: text('thingName'),
    tenant: text('tenant'),
  };
}
