/**
 * An HTTP CONNECT tunnel through a forward proxy, the way browsers cross corporate proxies: the
 * proxy opens a TCP connection to `host:port` and then relays bytes; TLS runs end to end inside it.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { redact } from './proxy-for-url.ts';

/** Why a proxy did not open the tunnel; `status` is the proxy's HTTP status when it answered. */
export class ProxyTunnelError extends Error {
  override readonly name = 'ProxyTunnelError';
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

/**
 * Asks `proxy` to CONNECT to `host:port` and resolves with the raw socket once it answers 2xx.
 * Credentials in the proxy URL's userinfo go as `Proxy-Authorization: Basic`. A refusal rejects
 * with {@link ProxyTunnelError} naming the status (407: the proxy wants other credentials).
 *
 * @example
 * const socket = await openTunnel(new URL('http://agent:secret@proxy.corp:3128'), 'iot.example.com', 443);
 * const secure = tls.connect({ socket, servername: 'iot.example.com' });
 */
export function openTunnel(proxy: URL, host: string, port: number, options: { signal?: AbortSignal; ca?: string | Buffer } = {}): Promise<Socket> {
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { host: authority };
  if (proxy.username !== '') {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const where = redact(proxy.origin);
  const request = (proxy.protocol === 'https:' ? httpsRequest : httpRequest)({
    host: proxy.hostname.replace(/^\[|\]$/g, ''),
    port: proxy.port === '' ? (proxy.protocol === 'https:' ? 443 : 80) : Number(proxy.port),
    method: 'CONNECT',
    path: authority,
    headers,
    // One tunnel per connection: never pooled, never kept alive by an agent.
    agent: false,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return new Promise<Socket>((resolve, reject) => {
    request.once('connect', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) {
        socket.destroy();
        // Some proxies (tinyproxy 1.11, its issue #532) answer wrong credentials with 401 rather than 407.
        const hint = status === 407 || status === 401 ? ': the proxy wants credentials (put them in the proxy URL, http://user:password@host:port)' : '';
        reject(new ProxyTunnelError(`Proxy ${where} refused CONNECT ${authority} with ${status} ${response.statusMessage ?? ''}`.trimEnd() + hint, status));
        return;
      }
      // Bytes the server sent right after the tunnel opened belong to the stream inside it.
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    request.once('response', (response: IncomingMessage) => {
      response.resume();
      reject(new ProxyTunnelError(`Proxy ${where} answered CONNECT ${authority} with ${response.statusCode} but did not open a tunnel`, response.statusCode));
    });
    request.once('error', (error) => reject(new ProxyTunnelError(`Cannot reach proxy ${where}: ${error.message}`, undefined, { cause: error })));
    request.end();
  });
}
