/**
 * AWS Signature Version 4 building blocks (canonical request, string to sign, signing key), written
 * from AWS's "Create a signed AWS API request" steps. Used by the presigned-URL verifier and signer.
 */
import { createHash, createHmac } from 'node:crypto';

export const sigv4Algorithm = 'AWS4-HMAC-SHA256';
/** SHA-256 of the empty body: what AWS IoT SDKs sign for the WebSocket upgrade GET. */
export const emptyBodySha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * URI-encodes as SigV4 requires: every byte except the RFC 3986 unreserved characters becomes
 * `%XX` (upper case); `/` too unless `keepSlash`.
 *
 * @example
 * awsUriEncode('AKID/20250301/us-east-1'); // 'AKID%2F20250301%2Fus-east-1'
 */
export function awsUriEncode(text: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Splits a raw query string into decoded name/value pairs, in order. Only `%XX` is decoded; `+`
 * stays a plus, because SigV4 signers encode a space as `%20` and a literal `+` in a base64 value
 * must survive. Returns `undefined` for a broken escape.
 */
export function parseRawQuery(raw: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  if (raw.length === 0) return pairs;
  for (const part of raw.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const name = percentDecode(eq < 0 ? part : part.slice(0, eq));
    const value = percentDecode(eq < 0 ? '' : part.slice(eq + 1));
    if (name === undefined || value === undefined) return undefined;
    pairs.push([name, value]);
  }
  return pairs;
}

function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** The canonical query string: each name and value encoded, sorted by name then value, joined by `&`. */
export function canonicalQueryString(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs
    .map(([name, value]) => [awsUriEncode(name), awsUriEncode(value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

export interface CanonicalRequestParts {
  readonly method: string;
  /** The canonical URI, already encoded. */
  readonly canonicalUri: string;
  readonly canonicalQuery: string;
  /** Signed headers with lower-case names, in the order of `signedHeaders`. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly payloadHash: string;
}

/** Builds the canonical request text that SigV4 hashes. */
export function canonicalRequest(parts: CanonicalRequestParts): string {
  const headerLines = parts.headers.map(([name, value]) => `${name}:${value.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = parts.headers.map(([name]) => name).join(';');
  return `${parts.method}\n${parts.canonicalUri}\n${parts.canonicalQuery}\n${headerLines}\n${signedHeaders}\n${parts.payloadHash}`;
}

/** `AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{hex sha256(canonical request)}`. */
export function stringToSign(amzDate: string, scope: string, request: string): string {
  return `${sigv4Algorithm}\n${amzDate}\n${scope}\n${createHash('sha256').update(request, 'utf8').digest('hex')}`;
}

/**
 * The SigV4 signing key: HMAC chain over date, region, service and `aws4_request`.
 *
 * @example
 * signingKey(secret, '20250301', 'us-east-1', 'iotdevicegateway');
 */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/** Hex HMAC-SHA256 of the string to sign. */
export function sign(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** `YYYYMMDDThhmmssZ` for a date. */
export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** Parses `YYYYMMDDThhmmssZ`, or `undefined` if it is not a real UTC time in that form. */
export function parseAmzDate(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 2025-02-30 over into March; refuse instead.
  return formatAmzDate(date) === text ? date : undefined;
}
