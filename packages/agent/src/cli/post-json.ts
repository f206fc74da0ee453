/**
 * One JSON POST over HTTPS for `register`, through the same HTTP CONNECT proxy the agent would use
 * (HTTPS_PROXY/NO_PROXY): registration has to cross the same firewall as MQTT does.
 */
import { request } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { proxyForUrl, type AgentOptions } from '../index.ts';
// The SDK's index does not export openTunnel; the CLI is part of the same package.
import { openTunnel } from '../open-tunnel.ts';
import { CliError } from './cli-error.ts';

type ProxyEnvironment = NonNullable<AgentOptions['env']>;

export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface PostJsonOptions {
  /** CAs to trust for the server certificate; the system's when absent. */
  readonly ca?: string;
  readonly env: ProxyEnvironment;
  readonly timeoutMs: number;
}

/**
 * POSTs `body` as JSON to an https URL and resolves with the status and the parsed answer (the
 * text when it is not JSON). Failing to reach the server at all is a CliError naming the step.
 *
 * @example
 * const { status, body } = await postJson(new URL('https://iot.example.com/v1/register'), { token, csr }, { env: process.env, timeoutMs: 30_000 });
 */
export async function postJson(url: URL, body: unknown, options: PostJsonOptions): Promise<JsonAnswer> {
  if (url.protocol !== 'https:') throw new CliError(`Cannot register at ${url.href}: only https:// is accepted (the token must not cross the network in clear)`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? 443 : Number(url.port);
  const signal = AbortSignal.timeout(options.timeoutMs);
  const proxy = proxyForUrl(url, options.env);
  let tunnel: Socket | undefined;
  if (proxy !== undefined) {
    try {
      tunnel = await openTunnel(proxy, host, port, { signal });
    } catch (error) {
      throw new CliError(`Cannot register at ${url.origin}: ${(error as Error).message}`, { cause: error });
    }
  }
  const payload = JSON.stringify(body);
  return new Promise<JsonAnswer>((resolve, reject) => {
    const fail = (error: Error): void => reject(new CliError(`Cannot register at ${url.origin}: ${error.message}`, { cause: error }));
    const req = request({
      method: 'POST',
      host,
      port,
      path: `${url.pathname}${url.search}`,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      signal,
      // TLS by hand, so the same code runs directly and inside a proxy tunnel.
      createConnection: () =>
        tlsConnect({
          ...(tunnel === undefined ? { host, port } : { socket: tunnel }),
          ...(isIP(host) === 0 ? { servername: host } : {}),
          ...(options.ca === undefined ? {} : { ca: options.ca }),
          ALPNProtocols: ['http/1.1'],
        }),
    });
    req.once('error', fail);
    req.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', fail);
      response.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON (a proxy's or load balancer's error page): the caller shows the text.
        }
        resolve({ status: response.statusCode ?? 0, body: parsed });
      });
    });
    req.end(payload);
  });
}
