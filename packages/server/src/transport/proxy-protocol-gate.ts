/**
 * A listener's PROXY protocol front door: reads the header off each accepted socket before the
 * listener's own server (TLS, HTTP) sees a byte, and remembers the real client for that server's
 * sockets to look up.
 */
import type { BlockList, Socket } from 'node:net';
import type { PeerInfo } from '../core/index.js';
import type { ProxyEndpoint } from './proxy-protocol.js';
import { readProxyHeader, trustedSourceList, type ProxyProtocolPolicy } from './read-proxy-header.js';

/**
 * @example
 * const gate = new ProxyProtocolGate({ trustedSources: ['10.0.0.0/8'] }, { onRefused: (error) => logger.info(error.message) });
 * net.createServer((raw) => gate.admit(raw, (socket) => tlsServer.emit('connection', socket)));
 * tlsServer.on('secureConnection', (tlsSocket) => console.log(gate.peerOf(tlsSocket)?.address ?? tlsSocket.remoteAddress));
 */
export class ProxyProtocolGate {
  readonly #trusted: BlockList;
  readonly #policy: ProxyProtocolPolicy;
  readonly #onRefused: (error: Error) => void;
  /**
   * Real clients by the connection's four-tuple. A TLS socket shares its TCP socket's handle, so it
   * answers the same addresses and finds the entry without reaching into Node's private `_parent`.
   */
  readonly #peers = new Map<string, ProxyEndpoint>();

  /** Throws a RangeError naming a trusted source that is not an address or CIDR block. */
  constructor(policy: ProxyProtocolPolicy, options: { onRefused: (error: Error) => void }) {
    this.#trusted = trustedSourceList(policy.trustedSources);
    this.#policy = policy;
    this.#onRefused = options.onRefused;
  }

  /** Reads the header off `raw`, then hands the socket on; a refused socket is destroyed and reported. */
  admit(raw: Socket, next: (socket: Socket, peer: ProxyEndpoint) => void): void {
    readProxyHeader(raw, { trusted: this.#trusted, policy: this.#policy }).then(({ socket, peer, proxied }) => {
      if (socket.destroyed) return;
      if (proxied) {
        const key = fourTuple(socket);
        this.#peers.set(key, peer);
        socket.once('close', () => this.#peers.delete(key));
      }
      next(socket, peer);
    }, this.#onRefused);
  }

  /** The real client of a socket admitted here (or one wrapping it), if a header named one. */
  peerOf(socket: Pick<Socket, 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>): ProxyEndpoint | undefined {
    return this.#peers.get(fourTuple(socket));
  }
}

function fourTuple(socket: Pick<Socket, 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>): string {
  return `${socket.localAddress ?? ''}|${socket.localPort ?? 0}|${socket.remoteAddress ?? ''}|${socket.remotePort ?? 0}`;
}

/**
 * The peer as the listener saw it, with the client a PROXY header named (when there was one) as its
 * remote address.
 *
 * @example
 * onConnection(socket, withRealClient(tlsPeerInfo(socket, 'tls', 'mqtts')!, gate?.peerOf(socket)));
 */
export function withRealClient(own: PeerInfo, real: ProxyEndpoint | undefined): PeerInfo {
  return real === undefined ? own : { ...own, remoteAddress: real.address, remotePort: real.port };
}
