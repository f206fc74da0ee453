/** HTTP/2 on the agent port, for clients that offer only `h2`: the agent API, never WebSocket. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { ListenOptions } from './listener-handle.js';

export interface Http2ApiOptions extends Pick<ListenOptions, 'onError'> {
  /** The WebSocket path, answered 426: MQTT over WebSocket needs HTTP/1.1. */
  readonly path: string;
  /** The same handler HTTP/1.1 requests get; it sees Node's HTTP/2 compatibility request and response. */
  readonly onRequest?: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
}

/**
 * A plain (non-listening) HTTP/2 server that TLS sockets which negotiated `h2` are emitted into.
 *
 * @example
 * const h2 = createHttp2Api({ path: '/mqtt', onRequest: agentApi.handle });
 * tlsServer.on('secureConnection', (socket) => socket.alpnProtocol === 'h2' && h2.emit('connection', socket));
 */
export function createHttp2Api(options: Http2ApiOptions): Http2Server {
  const server = createServer();
  server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const path = req.url.split('?', 1)[0];
    if (path === options.path || options.onRequest === undefined) {
      res.writeHead(path === options.path ? 426 : 404, { 'content-type': 'text/plain' });
      res.end(path === options.path ? 'MQTT over WebSocket needs HTTP/1.1; offer ALPN http/1.1\n' : 'Not found\n');
      return;
    }
    // The compatibility API has the shape of IncomingMessage and ServerResponse that routers use
    // (method, url, headers, writeHead, end); Fastify documents running its router on it.
    options.onRequest(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  });
  server.on('sessionError', (error: Error) => options.onError?.(error, 'agent port http2 session'));
  return server;
}
