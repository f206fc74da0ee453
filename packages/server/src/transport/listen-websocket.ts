/** MQTT over WebSocket and WebSocket over TLS: one HTTP(S) server whose only upgradeable path is `/mqtt`. */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import type { PeerInfo, PeerRequest } from '../core/index.js';
import type { ListenerHandle, ListenOptions } from './listener-handle.js';
import { listenHandle, SocketTracker } from './listen-server.js';
import { tlsPeerInfo, tlsServerOptions, type TlsCredentials } from './listen-tls.js';
import { WebSocketDuplex } from './websocket-duplex.js';

/** Subprotocols we answer, best first; `mqttv3.1` is what MQTT 3.1-era clients offer. */
const subprotocols = ['mqtt', 'mqttv3.1'] as const;

/** Room for WebSocket framing and for a frame that carries more than one MQTT packet. */
const payloadHeadroom = 64 * 1024;

export interface WebSocketListenOptions extends ListenOptions {
  /** Path that upgrades; every other path gets 404. Default `/mqtt`. */
  readonly path?: string;
  /** The broker's maximum packet size; the largest accepted frame is this plus headroom. */
  readonly maxPacketSize: number;
  /** Present for WSS. */
  readonly tls?: TlsCredentials;
  /**
   * Answers plain HTTP(S) requests for paths other than `path` (the agent-facing endpoints such as
   * `/v1/register`); without it they get 404.
   */
  readonly onRequest?: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * Listens for MQTT over WebSocket (or WSS when `tls` is given).
 *
 * @example
 * const handle = await listenWebSocket({ name: 'ws', host: '127.0.0.1', port: 8083, path: '/mqtt', maxPacketSize: 262144, onConnection });
 */
export async function listenWebSocket(options: WebSocketListenOptions): Promise<ListenerHandle> {
  const path = options.path ?? '/mqtt';
  const tracker = new SocketTracker();
  const server: HttpServer = options.tls === undefined ? createHttpServer() : createHttpsServer(tlsServerOptions(options.tls));
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

  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    tracker.add(socket);
    socket.on('error', (error) => options.onError?.(error, 'websocket socket'));
  });
  server.on('request', (req, res) => {
    const found = pathOf(req) === path;
    if (!found && options.onRequest !== undefined) {
      options.onRequest(req, res);
      return;
    }
    res.writeHead(found ? 426 : 404, { 'content-type': 'text/plain', connection: 'close' });
    res.end(found ? 'Upgrade to WebSocket with subprotocol mqtt\n' : 'Not found\n');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => options.onError?.(error, 'websocket upgrade'));
    if (pathOf(req) !== path) {
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
  server.on('tlsClientError', (error: Error) => options.onError?.(error, 'wss handshake'));
  server.on('clientError', (error, socket) => {
    options.onError?.(error, 'websocket http');
    socket.destroy();
  });
  return listenHandle(server, tracker, options, () => {
    server.closeIdleConnections();
    wss.close();
  });
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function peerOf(req: IncomingMessage, options: WebSocketListenOptions): PeerInfo | undefined {
  const peer = options.tls !== undefined ? tlsPeerInfo(req.socket as TLSSocket, 'wss', options.name) : plainPeerInfo(req, options.name);
  if (peer === undefined) return undefined;
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
