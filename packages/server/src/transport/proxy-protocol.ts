/**
 * The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2), read from the first bytes of a
 * connection: pure parsing, no sockets, so partial reads and hostile input are tested alone.
 *
 * A load balancer that speaks it sends one header before the client's bytes: v1 is a text line
 * (`PROXY TCP4 203.0.113.7 10.0.0.5 51234 8883\r\n`, at most 107 bytes), v2 a 16-byte binary
 * preamble (12-byte signature, version/command, family/protocol, length) followed by the addresses
 * and TLVs. A header that names no client (v1 `UNKNOWN`, v2 `LOCAL` such as a balancer's health
 * check, v2 `UNSPEC` or `UNIX`) tells the receiver to use the connection's own endpoints.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** One end of a proxied connection. */
export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

/** A complete header; `length` bytes of the input belong to it, the rest is the client's. */
export type ProxyHeader =
  | { readonly kind: 'proxied'; readonly version: 1 | 2; readonly length: number; readonly source: ProxyEndpoint; readonly destination: ProxyEndpoint }
  | { readonly kind: 'local'; readonly version: 1 | 2; readonly length: number };

/** What the bytes read so far are. */
export type ProxyParseResult =
  | { readonly kind: 'header'; readonly header: ProxyHeader }
  /** They start like a header (or are empty); read more. */
  | { readonly kind: 'incomplete' }
  /** They do not start with either signature: the client speaks first, without a header. */
  | { readonly kind: 'absent' }
  /** A signature was sent but what follows breaks the spec (or the size bound). */
  | { readonly kind: 'invalid'; readonly reason: string };

/** v1's longest line, CRLF included ("PROXY TCP6 " + two full IPv6 addresses + two ports). */
export const maxV1Length = 107;

/** Default bound on a v2 header: addresses plus TLVs. Balancers send tens of bytes; the spec allows 64 KiB. */
export const defaultMaxHeaderBytes = 4096;

const v1Signature = Buffer.from('PROXY ', 'latin1');
const v2Signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const v2PreambleLength = 16;

/**
 * Parses a PROXY protocol header at the start of `bytes`.
 *
 * @example
 * const result = parseProxyHeader(Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.5 51234 8883\r\n\x10...'));
 * if (result.kind === 'header' && result.header.kind === 'proxied') console.log(result.header.source); // { address: '203.0.113.7', port: 51234 }
 */
export function parseProxyHeader(bytes: Uint8Array, options: { maxHeaderBytes?: number } = {}): ProxyParseResult {
  if (bytes.length === 0) return { kind: 'incomplete' };
  if (startsLike(bytes, v1Signature)) return bytes.length < v1Signature.length ? { kind: 'incomplete' } : parseV1(bytes);
  if (startsLike(bytes, v2Signature)) {
    return bytes.length < v2PreambleLength ? { kind: 'incomplete' } : parseV2(bytes, options.maxHeaderBytes ?? defaultMaxHeaderBytes);
  }
  return { kind: 'absent' };
}

/** Whether the bytes so far agree with `signature` (a prefix of it, or it followed by more). */
function startsLike(bytes: Uint8Array, signature: Buffer): boolean {
  const n = Math.min(bytes.length, signature.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== signature[i]) return false;
  return true;
}

function parseV1(bytes: Uint8Array): ProxyParseResult {
  const end = Math.min(bytes.length, maxV1Length);
  let lineEnd = -1;
  for (let i = v1Signature.length; i < end - 1; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) {
      lineEnd = i;
      break;
    }
  }
  if (lineEnd < 0) {
    return bytes.length >= maxV1Length ? invalid(`the v1 header has no CRLF within ${maxV1Length} bytes`) : { kind: 'incomplete' };
  }
  const length = lineEnd + 2;
  const line = Buffer.from(bytes.buffer, bytes.byteOffset, lineEnd).toString('latin1');
  const fields = line.split(' ');
  const protocol = fields[1];
  // "UNKNOWN" may be followed by anything up to the CRLF, which the receiver ignores.
  if (protocol === 'UNKNOWN') return header({ kind: 'local', version: 1, length });
  if (protocol !== 'TCP4' && protocol !== 'TCP6') return invalid(`the v1 header names protocol "${printable(protocol ?? '')}", not TCP4, TCP6 or UNKNOWN`);
  if (fields.length !== 6) return invalid('the v1 header needs exactly: PROXY, protocol, source, destination, source port, destination port');
  const [, , sourceAddress = '', destinationAddress = '', sourcePort = '', destinationPort = ''] = fields;
  const isFamily = protocol === 'TCP4' ? isIPv4 : isIPv6;
  if (!isFamily(sourceAddress) || !isFamily(destinationAddress)) return invalid(`the v1 header's addresses are not ${protocol} addresses`);
  const source = v1Port(sourcePort);
  const destination = v1Port(destinationPort);
  if (source === undefined || destination === undefined) return invalid('the v1 header\'s ports are not numbers from 0 to 65535');
  return header({
    kind: 'proxied', version: 1, length,
    source: { address: protocol === 'TCP6' ? formatIpv6(parseIpv6Text(sourceAddress)) : sourceAddress, port: source },
    destination: { address: protocol === 'TCP6' ? formatIpv6(parseIpv6Text(destinationAddress)) : destinationAddress, port: destination },
  });
}

function v1Port(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

function parseV2(bytes: Uint8Array, maxHeaderBytes: number): ProxyParseResult {
  const versionCommand = bytes[12] ?? 0;
  const familyProtocol = bytes[13] ?? 0;
  const addressLength = ((bytes[14] ?? 0) << 8) | (bytes[15] ?? 0);
  const length = v2PreambleLength + addressLength;
  // The receiver must only accept version 2 and commands LOCAL (0) and PROXY (1).
  if (versionCommand >> 4 !== 2) return invalid(`the v2 header has version ${versionCommand >> 4}, not 2`);
  const command = versionCommand & 0x0f;
  if (command > 1) return invalid(`the v2 header has command ${command}, neither LOCAL nor PROXY`);
  if (length > maxHeaderBytes) return invalid(`the v2 header is ${length} bytes, more than the ${maxHeaderBytes} allowed`);
  if (bytes.length < length) return { kind: 'incomplete' };
  // LOCAL: the balancer's own connection (a health check); its address block is skipped.
  if (command === 0) return header({ kind: 'local', version: 2, length });
  const family = familyProtocol >> 4;
  const transport = familyProtocol & 0x0f;
  if (family > 3 || transport > 2) return invalid(`the v2 header has an unknown address family or protocol (0x${familyProtocol.toString(16).padStart(2, '0')})`);
  // UNSPEC and UNIX carry no address a policy could test: use the connection's own.
  if (family === 0 || family === 3 || transport !== 1) {
    if (transport === 2) return invalid('the v2 header is for a datagram (UDP) connection');
    return header({ kind: 'local', version: 2, length });
  }
  const block = Buffer.from(bytes.buffer, bytes.byteOffset + v2PreambleLength, addressLength);
  // The rest of the block (TLVs: ALPN, authority, CRC32C, SSL, a balancer's own) is skipped.
  if (family === 1) {
    if (addressLength < 12) return invalid(`the v2 header's IPv4 address block is ${addressLength} bytes, less than 12`);
    return header({
      kind: 'proxied', version: 2, length,
      source: { address: formatIpv4(block.subarray(0, 4)), port: block.readUInt16BE(8) },
      destination: { address: formatIpv4(block.subarray(4, 8)), port: block.readUInt16BE(10) },
    });
  }
  if (addressLength < 36) return invalid(`the v2 header's IPv6 address block is ${addressLength} bytes, less than 36`);
  return header({
    kind: 'proxied', version: 2, length,
    source: { address: formatIpv6(block.subarray(0, 16)), port: block.readUInt16BE(32) },
    destination: { address: formatIpv6(block.subarray(16, 32)), port: block.readUInt16BE(34) },
  });
}

function header(value: ProxyHeader): ProxyParseResult {
  return { kind: 'header', header: value };
}

function invalid(reason: string): ProxyParseResult {
  return { kind: 'invalid', reason };
}

/** Keeps a reason printable when it quotes the client's bytes. */
function printable(text: string): string {
  return text.slice(0, 16).replace(/[^\x20-\x7e]/g, '?');
}

function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * RFC 5952 text: lower case, the longest run of two or more zero groups as `::`, and an IPv4-mapped
 * address as `::ffff:a.b.c.d` (what a dual-stack socket reports for an IPv4 peer).
 */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${formatIpv4(bytes.subarray(12, 16))}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Bytes of an address that isIPv6 accepted (so the shape is known to be valid). */
function parseIpv6Text(text: string): Uint8Array {
  const halves = text.split('::');
  const groupsOf = (part: string): number[] =>
    part === '' ? [] : part.split(':').flatMap((field) => (field.includes('.') ? ipv4Groups(field) : [parseInt(field, 16)]));
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length > 1 ? groupsOf(halves[1] ?? '') : [];
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function ipv4Groups(text: string): number[] {
  const [a = 0, b = 0, c = 0, d = 0] = text.split('.').map(Number);
  return [(a << 8) | b, (c << 8) | d];
}
