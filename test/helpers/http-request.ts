/**
 * One HTTP(S) request for black-box tests, on node:http(s): fetch cannot be given a CA or a client
 * certificate without undici's Agent, which is not a dependency.
 */
import { request as plainRequest, type IncomingHttpHeaders } from 'node:http';
import { request as tlsRequest } from 'node:https';

export interface HttpRequestOptions {
  /** GET without a body, POST with one. */
  readonly method?: string;
  /** Sent byte for byte as `application/json` (so a test can send bad JSON). */
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  /** The CA to trust for https. */
  readonly ca?: string;
  /** A client certificate and its key, for mutual TLS. */
  readonly cert?: string;
  readonly key?: string;
}

export interface HttpTextAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body exactly as sent, decoded as UTF-8. */
  readonly text: string;
}

/**
 * Sends one request on a connection of its own (no keep-alive agent, so nothing outlives the test).
 *
 * @example
 * const answer = await httpRequest(`https://localhost:${gh.ports.wss}/things/agent-7/shadow`, { ca: gh.caPem, cert, key });
 * assert.equal(answer.status, 200);
 */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpTextAnswer> {
  const target = new URL(url);
  const payload = options.body === undefined ? undefined : Buffer.from(options.body);
  const send = target.protocol === 'https:' ? tlsRequest : plainRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, {
      method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
      headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(payload.length) }), ...options.headers },
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.cert === undefined ? {} : { cert: options.cert, key: options.key }),
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
