/**
 * The single agent-facing TLS port (443 in production, 8443 by default): raw MQTT chosen by ALPN or by
 * its first byte, MQTT over WebSocket on `/mqtt`, and the agent HTTPS endpoints on every other path.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { ListenerHandle, ListenOptions } from './listener-handle.js';
import { listenHandle, SocketTracker } from './listen-server.js';
import { ProxyProtocolGate, withRealClient } from './proxy-protocol-gate.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, tlsPeerInfo, tlsServerOptions, type TlsCredentials } from './listen-tls.js';
import { serveHttpAndWebSocket } from './serve-http-and-websocket.js';
import { createHttp2Api } from './serve-http2-api.js';

/**
 * ALPN names that select raw MQTT. `x-amzn-mqtt-ca` is what AWS IoT asks X.509 clients on 443 to
 * offer; `mqtt` is the IANA-registered name that Mosquitto's `--alpn` and most other clients send.
 */
export const mqttAlpnProtocols: readonly string[] = ['x-amzn-mqtt-ca', 'mqtt'];

/**
 * ALPN names that select HTTPS/1.1. `x-amzn-http-ca` is AWS's name for HTTPS with a client
 * certificate. A client offering `h2` as well gets `http/1.1`: `ws` cannot carry WebSocket over
 * HTTP/2 (RFC 8441), and a browser that was given `h2` would try WebSocket there.
 */
export const httpAlpnProtocols: readonly string[] = ['http/1.1', 'x-amzn-http-ca'];

/** Chosen only when the client offers no HTTP/1.1: the agent API over HTTP/2, without WebSocket. */
const http2AlpnProtocol = 'h2';

/** The first byte of an MQTT CONNECT (packet type 1, flags 0). No HTTP method starts with it. */
const mqttConnectByte = 0x10;

export interface AgentPortListenOptions extends ListenOptions {
  readonly tls: TlsCredentials;
  /** Path that upgrades to MQTT over WebSocket. Default `/mqtt`. */
  readonly path?: string;
  /** The broker's maximum packet size, for WebSocket frames. */
  readonly maxPacketSize: number;
  /** Answers HTTPS requests for every path but `path` (the agent API); without it they get 404. */
  readonly onRequest?: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * How long a client has from TCP accept until the port knows what it speaks: the TLS handshake,
   * and without ALPN its first byte. A client that stalls longer is closed. Default 10 s.
   */
  readonly handshakeTimeoutMs?: number;
}

/** What a connection turned out to speak once TLS is up. */
type Route = 'mqtt' | 'http' | 'h2' | 'sniff';

/**
 * Listens on the agent port. Every TCP connection passes through one function, `acceptTcp`, before
 * TLS starts; with `proxyProtocol` the header is read there, and the client it names becomes the
 * peer of raw MQTT and WSS connections alike.
 *
 * @example
 * const handle = await listenAgentPort({ name: 'wss', host: '0.0.0.0', port: 8443, tls, maxPacketSize: 262144, onConnection, onRequest: agentApi.handle });
 */
export async function listenAgentPort(options: AgentPortListenOptions): Promise<ListenerHandle> {
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const tracker = new SocketTracker();
  const onError = (error: Error, context: string): void => options.onError?.(error, context);
  const gate = options.proxyProtocol === undefined ? undefined : new ProxyProtocolGate(options.proxyProtocol, { onRefused: (error) => onError(error, 'proxy protocol') });
  const realPeerOf = gate === undefined ? undefined : (socket: Socket) => gate.peerOf(socket);

  // Never listens: connections reach it through emit('connection'), which is how https.Server
  // hands a TLS socket to its HTTP half too.
  const http = createHttpServer();
  const stopHttp = serveHttpAndWebSocket(http, {
    name: options.name,
    path: options.path ?? '/mqtt',
    maxPacketSize: options.maxPacketSize,
    secure: true,
    onRequest: options.onRequest,
    onConnection: options.onConnection,
    onError,
    realPeerOf,
  });

  const http2 = createHttp2Api({ path: options.path ?? '/mqtt', onRequest: options.onRequest, ...(options.onError === undefined ? {} : { onError: options.onError }) });

  const tls = createTlsServer({ ...tlsServerOptions(options.tls), ALPNCallback: selectAlpn, handshakeTimeout: timeoutMs });
  tls.on('secureConnection', (socket: TLSSocket) => {
    socket.on('error', (error) => onError(error, 'agent port socket'));
    const route = routeOf(socket);
    if (route === 'sniff') sniffFirstByte(socket, timeoutMs, (sniffed) => dispatch(socket, sniffed));
    else dispatch(socket, route);
  });
  // Failed and timed-out handshakes (bad certificates, port scanners, stalled clients) end there.
  // Node reports them but leaves the socket open: a client that stalls mid-handshake would stay.
  tls.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    onError(error, 'agent port handshake');
    socket.destroy();
  });

  const dispatch = (socket: TLSSocket, route: Exclude<Route, 'sniff'>): void => {
    if (route === 'http' || route === 'h2') {
      (route === 'http' ? http : http2).emit('connection', socket);
      return;
    }
    const own = tlsPeerInfo(socket, 'tls', options.name);
    const real = realPeerOf?.(socket);
    if (own === undefined) socket.destroy();
    else options.onConnection(socket, withRealClient(own, real));
  };

  /** The one place every TCP connection passes before TLS: a PROXY protocol header is read here. */
  const acceptTcp = (socket: Socket): void => {
    socket.setNoDelay(true);
    tracker.add(socket);
    socket.on('error', (error) => onError(error, 'agent port tcp'));
    if (gate === undefined) tls.emit('connection', socket);
    else gate.admit(socket, (admitted) => tls.emit('connection', admitted));
  };

  const server = createNetServer({ noDelay: true }, acceptTcp);
  return listenHandle(server, tracker, options, stopHttp);
}

/**
 * Picks the protocol from what the client offers: MQTT names first (a client offering both wants
 * MQTT), then HTTP/1.1, then HTTP/2. An offer with none of ours is refused with `no_application_protocol`, as
 * RFC 7301 section 3.2 says, so the client learns why at once.
 */
function selectAlpn({ protocols }: { protocols: string[] }): string | undefined {
  return protocols.find((p) => mqttAlpnProtocols.includes(p)) ?? protocols.find((p) => httpAlpnProtocols.includes(p)) ?? protocols.find((p) => p === http2AlpnProtocol);
}

function routeOf(socket: TLSSocket): Route {
  const alpn = socket.alpnProtocol;
  if (alpn === false || alpn === null) return 'sniff';
  if (alpn === http2AlpnProtocol) return 'h2';
  return mqttAlpnProtocols.includes(alpn) ? 'mqtt' : 'http';
}

/**
 * Waits for a client without ALPN to send its first byte and puts it back, so the chosen side reads
 * the stream from its start. A CONNECT byte means MQTT; anything else is left to the HTTP parser,
 * which answers garbage with 400.
 */
function sniffFirstByte(socket: TLSSocket, timeoutMs: number, then: (route: 'mqtt' | 'http') => void): void {
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const onReadable = (): void => {
    const chunk = socket.read() as Buffer | null;
    if (chunk === null) return;
    socket.off('readable', onReadable);
    socket.off('close', onClose);
    clearTimeout(timer);
    socket.unshift(chunk);
    then(chunk[0] === mqttConnectByte ? 'mqtt' : 'http');
  };
  const onClose = (): void => {
    clearTimeout(timer);
    socket.off('readable', onReadable);
  };
  socket.on('readable', onReadable);
  socket.once('close', onClose);
}
