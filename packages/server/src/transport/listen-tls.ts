/** MQTT over TLS: handshakes with the server certificate and passes a verified client certificate on. */
import { createServer as createNetServer, type Server } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import type { PeerInfo } from '../core/index.js';
import type { ListenerHandle, ListenOptions } from './listener-handle.js';
import { listenHandle, SocketTracker } from './listen-server.js';
import { ProxyProtocolGate, withRealClient } from './proxy-protocol-gate.js';

/** PEM contents (not paths) of the server's credentials. */
export interface TlsCredentials {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** CA(s) that client certificates must chain to. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Ask clients for a certificate. Clients without one are still accepted; the broker decides. */
  readonly requestCert?: boolean;
}

export interface TlsListenOptions extends ListenOptions {
  readonly tls: TlsCredentials;
  /** A client that has not finished its handshake by then is closed; default 10 000 ms (Node's own is 120 s). */
  readonly handshakeTimeoutMs?: number;
}

/** Node's default lets a silent client hold a socket for two minutes; agents finish in well under a second. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Listens for MQTT over TLS.
 *
 * @example
 * const handle = await listenTls({ name: 'mqtts', host: '0.0.0.0', port: 8883, tls: { cert, key, ca, requestCert: true }, onConnection });
 */
export async function listenTls(options: TlsListenOptions): Promise<ListenerHandle> {
  const tracker = new SocketTracker();
  const server = createServer({ ...tlsServerOptions(options.tls), handshakeTimeout: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS });
  const gate = options.proxyProtocol === undefined ? undefined : new ProxyProtocolGate(options.proxyProtocol, { onRefused: (error) => options.onError?.(error, 'proxy protocol') });
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    tracker.add(socket);
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.on('error', (error) => options.onError?.(error, 'tls socket'));
    const own = tlsPeerInfo(socket, 'tls', options.name);
    const real = gate?.peerOf(socket);
    const peer = own === undefined ? undefined : withRealClient(own, real);
    if (peer === undefined) {
      socket.destroy();
      return;
    }
    options.onConnection(socket, peer);
  });
  // Failed handshakes (bad certificates, port scanners) are the client's problem, never ours. Node
  // reports a handshake timeout but leaves the socket open: a silent client would keep its descriptor.
  server.on('tlsClientError', (error, socket) => {
    options.onError?.(error, 'tls handshake');
    socket.destroy();
  });
  return listenHandle(gate === undefined ? server : proxyFront(server, gate, tracker, options), tracker, options);
}

/**
 * The PROXY protocol header comes before the TLS ClientHello, so a plain TCP server accepts, the
 * gate reads the header, and only then is the socket handed to `server` (which never listens).
 * Exported for listeners that put an HTTP(S) server behind the same front.
 *
 * @example
 * const front = proxyFront(httpServer, gate, tracker, options);
 * await listenHandle(front, tracker, options);
 */
export function proxyFront(server: Server, gate: ProxyProtocolGate, tracker: SocketTracker, options: Pick<ListenOptions, 'onError'>): Server {
  const front = createNetServer({ noDelay: true });
  front.on('connection', (raw) => {
    raw.setNoDelay(true);
    tracker.add(raw);
    raw.on('error', (error) => options.onError?.(error, 'proxy protocol socket'));
    gate.admit(raw, (socket) => server.emit('connection', socket));
  });
  return front;
}

/** Options for `tls.createServer` and `https.createServer`, shared with the WSS listener. */
export function tlsServerOptions(tls: TlsCredentials): import('node:tls').TlsOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer | Array<string | Buffer> }),
    requestCert: tls.requestCert ?? false,
    // An unverified (or absent) certificate does not end the handshake: the broker's certificate
    // authenticator decides, against the registry of CAs and certificates.
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
  };
}

/**
 * PeerInfo of a TLS socket. A client certificate is passed on whether or not it chained to the
 * listener's CA bundle: customer CAs are registered at run time, so the certificate authenticator
 * checks the issuer's signature against the registry itself. The TLS handshake has already proved
 * that the client holds the certificate's private key (CertificateVerify).
 */
export function tlsPeerInfo(socket: TLSSocket, transport: 'tls' | 'wss', listener: string): PeerInfo | undefined {
  const remoteAddress = socket.remoteAddress;
  if (remoteAddress === undefined) return undefined;
  const base = { transport, listener, remoteAddress, remotePort: socket.remotePort ?? 0, localPort: socket.localPort ?? 0 };
  const certificate = socket.getPeerCertificate();
  // getPeerCertificate returns {} when the client sent none.
  return certificate.raw === undefined ? base : { ...base, clientCertificate: certificate.raw };
}
