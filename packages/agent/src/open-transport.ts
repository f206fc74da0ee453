/**
 * Opens the byte stream MQTT runs on for one endpoint: TCP (or an HTTP CONNECT tunnel), then TLS with
 * the agent's certificate, then for `wss://` a WebSocket upgrade. The stream is fully open before
 * MQTT.js gets it, so each failure is reported by the step that failed.
 */
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';
import { openTunnel } from './open-tunnel.ts';

/** The TLS material of the agent. */
export interface TlsMaterial {
  /** Client certificate (PEM). */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** CAs to trust for the server certificate; the system's when absent. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Host name to check the server certificate against, when it is not the endpoint's host. */
  readonly servername?: string;
}

/** An open stream and what the TLS handshake showed. */
export interface OpenTransport {
  readonly stream: Duplex;
  readonly peerCertificate: PeerCertificate | undefined;
}

/** Endpoint URL schemes the agent speaks. */
export type EndpointProtocol = 'mqtts:' | 'wss:';

/**
 * Opens `endpoint` (`mqtts://host:port` or `wss://host:port/path`), through `proxy` when given.
 * MQTT over TLS offers ALPN `mqtt` (what the single TLS port routes on), WebSocket-TLS `http/1.1`.
 * `signal` aborts any step; the caller bounds the whole with a timeout.
 *
 * @example
 * const { stream } = await openTransport(new URL('mqtts://iot.example.com:443'), { tls: { cert, key } });
 */
export async function openTransport(endpoint: URL, options: { tls: TlsMaterial; proxy?: URL | undefined; signal: AbortSignal; maxPacketSize?: number }): Promise<OpenTransport> {
  const host = endpoint.hostname.replace(/^\[|\]$/g, '');
  const port = endpoint.port === '' ? 443 : Number(endpoint.port);
  const socket = options.proxy === undefined ? await connectTcp(host, port, options.signal) : await openTunnel(options.proxy, host, port, { signal: options.signal });
  let secure: TLSSocket;
  try {
    secure = await startTls(socket, host, endpoint.protocol === 'wss:' ? ['http/1.1'] : ['mqtt'], options.tls, options.signal);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  const peerCertificate = secure.getPeerCertificate();
  if (endpoint.protocol !== 'wss:') return { stream: secure, peerCertificate };
  try {
    return { stream: await upgradeWebSocket(endpoint, secure, options.signal, options.maxPacketSize), peerCertificate };
  } catch (error) {
    secure.destroy();
    throw error;
  }
}

function connectTcp(host: string, port: number, signal: AbortSignal): Promise<Socket> {
  const socket = tcpConnect({ host, port });
  return abortable<Socket>(signal, () => socket.destroy(), (resolve, reject) => {
    socket.once('connect', () => {
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.on('error', (error) => reject(new Error(`Cannot connect to ${host}:${port}: ${error.message}`, { cause: error })));
  });
}

function startTls(socket: Socket, host: string, alpn: string[], material: TlsMaterial, signal: AbortSignal): Promise<TLSSocket> {
  const servername = material.servername ?? (isIP(host) === 0 ? host : undefined);
  const secure = tlsConnect({
    socket,
    ALPNProtocols: alpn,
    ...(servername === undefined ? {} : { servername }),
    ...(material.cert === undefined ? {} : { cert: material.cert }),
    ...(material.key === undefined ? {} : { key: material.key }),
    ...(material.ca === undefined ? {} : { ca: material.ca as string | Buffer | Array<string | Buffer> }),
  });
  return abortable<TLSSocket>(signal, () => secure.destroy(), (resolve, reject) => {
    secure.once('secureConnect', () => resolve(secure));
    secure.on('error', (error: NodeJS.ErrnoException) => reject(new Error(`TLS handshake with ${host} failed: ${error.message}${tlsHint(error.code)}`, { cause: error })));
  });
}

/**
 * Runs one connection step until `run` settles or `signal` aborts it (then `destroy` frees what the
 * step holds). A signal that is already aborted stops the step at once: an abort listener added
 * after the abort would never fire.
 */
function abortable<T>(signal: AbortSignal, destroy: () => void, run: (resolve: (value: T) => void, reject: (error: Error) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      destroy();
      reject(signal.reason as Error);
    };
    if (signal.aborted) {
      abort();
      return;
    }
    signal.addEventListener('abort', abort, { once: true });
    const settle = (): void => signal.removeEventListener('abort', abort);
    run(
      (value) => {
        settle();
        resolve(value);
      },
      (error) => {
        settle();
        reject(error);
      },
    );
  });
}

/** What to check for the TLS failures people meet behind firewalls. */
function tlsHint(code: string | undefined): string {
  switch (code) {
    case 'CERT_NOT_YET_VALID':
    case 'CERT_HAS_EXPIRED':
      return ' (check this machine\'s clock)';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return ' (a proxy intercepting TLS, or the CA option does not name the server\'s CA)';
    default:
      return '';
  }
}

function upgradeWebSocket(endpoint: URL, secure: TLSSocket, signal: AbortSignal, maxPacketSize?: number): Promise<Duplex> {
  const socket = new WebSocket(endpoint.href, ['mqtt'], {
    // The TLS socket is already open (through the proxy when there is one): ws writes the upgrade on it.
    createConnection: () => secure,
    perMessageDeflate: false,
    ...(maxPacketSize === undefined ? {} : { maxPayload: maxPacketSize }),
  });
  return abortable<Duplex>(signal, () => socket.terminate(), (resolve, reject) => {
    socket.once('open', () => resolve(createWebSocketStream(socket)));
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      reject(new Error(`WebSocket upgrade to ${endpoint.href} refused with ${response.statusCode} ${response.statusMessage ?? ''}`.trimEnd()));
    });
    socket.on('error', (error) => reject(new Error(`WebSocket upgrade to ${endpoint.href} failed: ${error.message}`, { cause: error })));
  });
}
