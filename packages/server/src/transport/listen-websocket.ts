/** MQTT over WebSocket and WebSocket over TLS: one HTTP(S) server whose only upgradeable path is `/mqtt`. */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer as createHttpsServer } from 'node:https';
import type { ListenerHandle, ListenOptions } from './listener-handle.js';
import { listenHandle, SocketTracker } from './listen-server.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, proxyFront, tlsServerOptions, type TlsCredentials } from './listen-tls.js';
import { ProxyProtocolGate } from './proxy-protocol-gate.js';
import { serveHttpAndWebSocket } from './serve-http-and-websocket.js';

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
 * Listens for MQTT over WebSocket (or WSS when `tls` is given). The agent port, which serves WSS
 * beside raw MQTT, is `listenAgentPort`.
 *
 * @example
 * const handle = await listenWebSocket({ name: 'ws', host: '127.0.0.1', port: 8083, path: '/mqtt', maxPacketSize: 262144, onConnection });
 */
export async function listenWebSocket(options: WebSocketListenOptions): Promise<ListenerHandle> {
  const tracker = new SocketTracker();
  const server: HttpServer = options.tls === undefined ? createHttpServer() : createHttpsServer({ ...tlsServerOptions(options.tls), handshakeTimeout: DEFAULT_HANDSHAKE_TIMEOUT_MS });
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    tracker.add(socket);
    socket.on('error', (error) => options.onError?.(error, 'websocket socket'));
  });
  // Behind a balancer the PROXY header is read before the HTTP(S) server sees a byte (listen-tls.ts proxyFront).
  const gate = options.proxyProtocol === undefined ? undefined : new ProxyProtocolGate(options.proxyProtocol, { onRefused: (error) => options.onError?.(error, 'proxy protocol') });
  const stop = serveHttpAndWebSocket(server, {
    name: options.name,
    path: options.path ?? '/mqtt',
    maxPacketSize: options.maxPacketSize,
    secure: options.tls !== undefined,
    onRequest: options.onRequest,
    onConnection: options.onConnection,
    realPeerOf: gate === undefined ? undefined : (socket) => gate.peerOf(socket),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  // As in listen-tls.ts: Node leaves the socket of a failed or timed-out handshake open.
  server.on('tlsClientError', (error: Error, socket: Duplex) => {
    options.onError?.(error, 'wss handshake');
    socket.destroy();
  });
  return listenHandle(gate === undefined ? server : proxyFront(server, gate, tracker, options), tracker, options, stop);
}
