/** The HTTP side of the WebSocket listeners: `/mqtt` upgrades to MQTT over WebSocket, other paths go to `onRequest` or get 404. */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import type { PeerInfo, PeerRequest } from '../core/index.js';
import type { ListenOptions } from './listener-handle.js';
import type { ProxyEndpoint } from './proxy-protocol.js';
import { tlsPeerInfo } from './listen-tls.js';
import { withRealClient } from './proxy-protocol-gate.js';
import { WebSocketDuplex } from './websocket-duplex.js';

/** Subprotocols we answer, best first; `mqttv3.1` is what MQTT 3.1-era clients offer. */
const subprotocols = ['mqtt', 'mqttv3.1'] as const;

/** Room for WebSocket framing and for a frame that carries more than one MQTT packet. */
const payloadHeadroom = 64 * 1024;

export interface HttpAndWebSocketOptions extends Pick<ListenOptions, 'name' | 'onConnection' | 'onError'> {
  /** Path that upgrades. */
  readonly path: string;
  /** The broker's maximum packet size; the largest accepted frame is this plus headroom. */
  readonly maxPacketSize: number;
  /** The server's sockets are TLS sockets: peers are `wss` and carry their client certificate. */
  readonly secure: boolean;
  /** Answers requests for paths other than `path`; without it they get 404. */
  readonly onRequest?: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  /** The real client behind a load balancer (from a PROXY protocol header), when one named it. */
  readonly realPeerOf?: ((socket: IncomingMessage['socket']) => ProxyEndpoint | undefined) | undefined;
}

/**
 * Attaches the request and upgrade handlers to `server`, which may listen itself (the `ws` listener)
 * or be handed connections that another listener accepted (the agent port). Returns what closes the
 * WebSocket side.
 *
 * @example
 * const server = createServer();
 * const stop = serveHttpAndWebSocket(server, { name: 'ws', path: '/mqtt', maxPacketSize: 262144, secure: false, onConnection });
 */
export function serveHttpAndWebSocket(server: HttpServer, options: HttpAndWebSocketOptions): () => void {
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: options.maxPacketSize + payloadHeadroom,
    // A client that offers none of ours is answered without a subprotocol (and may then give up);
    // one that offers nothing at all is accepted, as many embedded clients do that.
    handleProtocols: (offered) => subprotocols.find((p) => offered.has(p)) ?? false,
  });
  wss.on('error', (error) => options.onError?.(error, 'websocket server'));

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const found = pathOf(req) === options.path;
    if (!found && options.onRequest !== undefined) {
      options.onRequest(req, res);
      return;
    }
    res.writeHead(found ? 426 : 404, { 'content-type': 'text/plain', connection: 'close' });
    res.end(found ? 'Upgrade to WebSocket with subprotocol mqtt\n' : 'Not found\n');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => options.onError?.(error, 'websocket upgrade'));
    if (pathOf(req) !== options.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const peer = peerOf(req, options);
    if (peer === undefined) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = new WebSocketDuplex(ws);
      stream.on('error', (error) => options.onError?.(error, 'websocket stream'));
      options.onConnection(stream, peer);
    });
  });
  server.on('clientError', (error: Error, socket: Duplex) => {
    options.onError?.(error, 'websocket http');
    socket.destroy();
  });
  return () => {
    server.closeIdleConnections();
    wss.close();
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function peerOf(req: IncomingMessage, options: HttpAndWebSocketOptions): PeerInfo | undefined {
  const own = options.secure ? tlsPeerInfo(req.socket as TLSSocket, 'wss', options.name) : plainPeerInfo(req, options.name);
  if (own === undefined) return undefined;
  const real = options.realPeerOf?.(req.socket);
  const peer = withRealClient(own, real);
  // Non-enumerable: the URL may carry a SigV4 signature and session token, which must stay out of
  // logs and admin API answers that print the peer.
  const request: PeerRequest = { url: req.url ?? '/', headers: req.headers };
  return Object.defineProperty({ ...peer }, 'request', { value: request, enumerable: false });
}

function plainPeerInfo(req: IncomingMessage, listener: string): PeerInfo | undefined {
  const remoteAddress = req.socket.remoteAddress;
  if (remoteAddress === undefined) return undefined;
  return { transport: 'ws', listener, remoteAddress, remotePort: req.socket.remotePort ?? 0, localPort: req.socket.localPort ?? 0 };
}
