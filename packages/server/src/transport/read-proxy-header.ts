/** Reading a PROXY protocol header off a freshly accepted socket, from trusted balancers only. */
import { BlockList, isIPv4, type Socket } from 'node:net';
import { defaultMaxHeaderBytes, parseProxyHeader, type ProxyEndpoint } from './proxy-protocol.js';

/** A listener's PROXY protocol settings (`listeners.<name>.proxyProtocol`). */
export interface ProxyProtocolPolicy {
  /** Addresses and CIDR blocks of the balancers allowed to send a header, e.g. `10.0.0.0/8`, `fd00::/8`. */
  readonly trustedSources: readonly string[];
  /** A trusted source must send a header (default true); false lets it also connect without one. */
  readonly required?: boolean;
  /** How long the header may take to arrive (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Bound on a v2 header with its TLVs (default 4096 bytes). */
  readonly maxHeaderBytes?: number;
}

/** The socket, positioned at the client's first byte, and who the client really is. */
export interface ProxiedSocket {
  readonly socket: Socket;
  /** The client as the balancer saw it, or the socket's own peer when no header named one. */
  readonly peer: ProxyEndpoint;
  /** Whether a header named the client. */
  readonly proxied: boolean;
}

/** Why a connection was refused; the message is the log line (addresses only, never the client's bytes). */
export class ProxyHeaderError extends Error {
  override readonly name = 'ProxyHeaderError';
}

/**
 * Parses trusted sources into a BlockList, throwing a RangeError that names a bad entry.
 *
 * @example
 * const trusted = trustedSourceList(['10.0.0.0/8', '2001:db8::/32', '192.0.2.10']);
 * trusted.check('10.1.2.3', 'ipv4'); // true
 */
export function trustedSourceList(sources: readonly string[]): BlockList {
  const list = new BlockList();
  for (const source of sources) {
    const [address = '', prefix, extra] = source.split('/');
    const family = isIPv4(address) ? 'ipv4' : 'ipv6';
    const bits = family === 'ipv4' ? 32 : 128;
    const prefixLength = prefix === undefined ? bits : /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    try {
      if (extra !== undefined || !(prefixLength >= 0 && prefixLength <= bits)) throw new RangeError('bad prefix');
      list.addSubnet(address, prefixLength, family);
    } catch {
      throw new RangeError(`Invalid trusted source "${source}": expected an IPv4 or IPv6 address or CIDR block such as 10.0.0.0/8`);
    }
  }
  return list;
}

/** Whether `address` (as a socket reports it, IPv4-mapped or not) is in `list`. */
export function isTrustedSource(list: BlockList, address: string): boolean {
  return list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
}

/**
 * Reads the PROXY protocol header (v1 or v2) that a trusted balancer sends first, and resolves
 * with the socket, the bytes after the header unshifted, and the real client. Refuses (rejects
 * with a ProxyHeaderError and destroys the socket) a header from an untrusted source, a trusted
 * source without one when it is required, a malformed or oversize header, and one that does not
 * arrive in time. An untrusted source without a header passes unchanged: direct clients may share
 * the listener with the balancer.
 *
 * @example
 * const trusted = trustedSourceList(['10.0.0.0/8']);
 * net.createServer((raw) => {
 *   readProxyHeader(raw, { trusted }).then(({ socket, peer }) => broker.accept(socket, { ...peerInfo, remoteAddress: peer.address }),
 *     (error) => logger.warn(error.message));
 * });
 */
export function readProxyHeader(socket: Socket, options: { trusted: BlockList; policy?: Omit<ProxyProtocolPolicy, 'trustedSources'> }): Promise<ProxiedSocket> {
  const own: ProxyEndpoint = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
  const trusted = own.address !== '' && isTrustedSource(options.trusted, own.address);
  const required = options.policy?.required ?? true;
  const maxHeaderBytes = options.policy?.maxHeaderBytes ?? defaultMaxHeaderBytes;
  const from = `${own.address}:${own.port}`;

  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (error: ProxyHeaderError | undefined, result?: ProxiedSocket): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      if (error !== undefined) {
        socket.destroy();
        reject(error);
        return;
      }
      resolve(result as ProxiedSocket);
    };
    const onEnd = (): void => finish(new ProxyHeaderError(`Connection from ${from} closed before its PROXY protocol header was read`));
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        const result = parseProxyHeader(buffered, { maxHeaderBytes });
        if (result.kind === 'incomplete') continue;
        if (result.kind === 'absent') {
          socket.unshift(buffered);
          if (trusted && required) finish(new ProxyHeaderError(`Refused ${from}: a trusted source must send a PROXY protocol header and this one did not`));
          else finish(undefined, { socket, peer: own, proxied: false });
          return;
        }
        if (!trusted) return finish(new ProxyHeaderError(`Refused ${from}: it sent a PROXY protocol header but is not a trusted source`));
        if (result.kind === 'invalid') return finish(new ProxyHeaderError(`Refused ${from}: ${result.reason}`));
        const { header } = result;
        if (buffered.length > header.length) socket.unshift(buffered.subarray(header.length));
        return finish(undefined, header.kind === 'proxied' ? { socket, peer: header.source, proxied: true } : { socket, peer: own, proxied: false });
      }
    };
    const timeoutMs = options.policy?.timeoutMs ?? 5000;
    const timer = setTimeout(() => finish(new ProxyHeaderError(`Refused ${from}: no complete PROXY protocol header within ${timeoutMs} ms`)), timeoutMs);
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
  });
}
