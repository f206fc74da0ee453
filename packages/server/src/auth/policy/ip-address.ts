/**
 * IPv4 and IPv6 addresses and CIDR blocks for the `IpAddress` / `NotIpAddress` condition operators.
 * Pure text parsing, so the policy engine stays free of node:net.
 */

/** An address or block: 4 or 16 bytes and the number of leading bits that must agree. */
export interface IpBlock {
  readonly bytes: Uint8Array;
  readonly prefixLength: number;
}

/**
 * Parses `203.0.113.0/24`, `2001:db8::/32` or a bare address (a block of one). An IPv4-mapped IPv6
 * address (`::ffff:203.0.113.9`, as dual-stack sockets report IPv4 peers) is read as IPv4.
 *
 * @example
 * const block = parseIpBlock('203.0.113.0/24');
 * ipInBlock(parseIpBlock('203.0.113.9')!, block!); // true
 */
export function parseIpBlock(text: string): IpBlock | undefined {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseIpv4(addressText) ?? parseIpv6(addressText);
  if (bytes === undefined) return undefined;
  let prefixLength = bytes.length * 8;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined;
    prefixLength = Number(prefixText);
    if (prefixLength > bytes.length * 8) return undefined;
  }
  if (bytes.length === 16 && isIpv4Mapped(bytes)) {
    return { bytes: bytes.subarray(12), prefixLength: Math.max(0, prefixLength - 96) };
  }
  return { bytes, prefixLength };
}

/**
 * Whether an address lies in a block; an IPv4 address is never in an IPv6 block nor the reverse.
 *
 * @example
 * ipInBlock(parseIpBlock('2001:db8::1')!, parseIpBlock('2001:db8::/32')!); // true
 */
export function ipInBlock(address: IpBlock, block: IpBlock): boolean {
  if (address.bytes.length !== block.bytes.length) return false;
  let bits = block.prefixLength;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address.bytes[i] ?? 0) & mask) !== ((block.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const match = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/.exec(text);
  if (!match) return undefined;
  const bytes = match.slice(1).map(Number);
  return bytes.every((byte) => byte <= 255) ? Uint8Array.from(bytes) : undefined;
}

function parseIpv6(input: string): Uint8Array | undefined {
  const percent = input.indexOf('%');
  const text = percent < 0 ? input : input.slice(0, percent);
  if (!text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/** 16-bit groups of one side of `::`; a trailing dotted IPv4 address counts as two groups. */
function groups(text: string): number[] | undefined {
  if (text === '') return [];
  const out: number[] = [];
  const fields = text.split(':');
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    if (i === fields.length - 1 && field.includes('.')) {
      const v4 = parseIpv4(field);
      if (v4 === undefined) return undefined;
      out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else if (/^[0-9a-f]{1,4}$/i.test(field)) {
      out.push(parseInt(field, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}
