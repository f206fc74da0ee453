/**
 * Verifies SigV4 presigned WebSocket URLs (`GET /mqtt?X-Amz-…`) as AWS IoT device SDKs sign them,
 * so agents authenticate with temporary credentials from the credentials endpoint.
 *
 * What the SDKs do, checked in their source: aws-iot-device-sdk v1 (`device/index.js`,
 * `prepareWebSocketUrl`/`signUrl`) signs exactly `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`
 * and `X-Amz-SignedHeaders=host` (no `X-Amz-Expires`), header `host` (with `:port` when the port is
 * not 443), the SHA-256 of an empty body, and appends `X-Amz-Security-Token` after the signature,
 * unsigned. aws-crt (v2; `aws_iot.ts`/`aws_iot_mqtt5.ts` signing config `omit_session_token: true`,
 * `HttpRequestViaQueryParams`, service `iotdevicegateway`, `EmptySha256`) signs the same set with the
 * bare host name and may put the token before `X-Amz-Signature`. Generic SigV4 presigners sign the
 * token. So: parameter order is never relied on, the canonical query is tried without and then with
 * the token, and the host with and then without its port.
 */
import { timingSafeEqual } from 'node:crypto';
import { AuthError } from './auth-error.js';
import { awsUriEncode, canonicalQueryString, canonicalRequest, emptyBodySha256, parseAmzDate, parseRawQuery, sign, signingKey, sigv4Algorithm, stringToSign } from './sigv4-canonical.js';

/** The service name AWS IoT signs MQTT-over-WebSocket URLs for. */
export const iotWebSocketService = 'iotdevicegateway';
const maxExpiresSeconds = 7 * 24 * 3600;

/** What `resolveSecret` returns for an access key it knows. */
export interface ResolvedSecret<P> {
  readonly secretAccessKey: string;
  readonly principal: P;
  /** When the credentials themselves expire; past it the URL is refused as `credentials-expired`. */
  readonly expiresAt?: Date;
}

export interface VerifyPresignedUrlOptions<P> {
  readonly method: string;
  /** The Host header as received (may carry `:port`). */
  readonly host: string;
  /** The request path without the query, as received (e.g. `/mqtt`). */
  readonly path: string;
  /** The raw query string, without the leading `?`. */
  readonly query: string;
  /** Request headers (lower-case names), for signed headers other than `host`. */
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly now: Date;
  /** Finds the secret for an access key id and session token; `undefined` if unknown. */
  readonly resolveSecret: (accessKeyId: string, sessionToken: string | undefined) => ResolvedSecret<P> | undefined;
  /** How far `X-Amz-Date` may be from now (future, or past when `X-Amz-Expires` is absent). Default 900. */
  readonly maxSkewSeconds?: number;
  /** Regions accepted in the credential scope; any when absent. */
  readonly regions?: readonly string[];
  /** Service in the credential scope; `iotdevicegateway` by default. */
  readonly service?: string;
}

export interface VerifiedPresignedUrl<P> {
  readonly principal: P;
  readonly accessKeyId: string;
  readonly region: string;
  readonly signedAt: Date;
  /** True when the session token was part of the signed query (generic presigners), false for AWS IoT SDKs. */
  readonly tokenSigned: boolean;
}

/**
 * Checks a presigned URL and returns the principal its credentials stand for. Throws `AuthError`
 * with reason `malformed`, `unsupported-algorithm`, `bad-date`, `not-yet-valid`, `expired`,
 * `service-mismatch`, `region-mismatch`, `unknown-access-key`, `bad-signature` or
 * `credentials-expired`. Synchronous: HMACs only.
 *
 * @example
 * const { principal } = verifyPresignedUrl({
 *   method: 'GET', host: req.headers.host ?? '', path: '/mqtt', query: rawQuery, now: new Date(),
 *   resolveSecret: (akid, token) => resolveTemporaryCredentials(akid, token, { secrets }),
 * });
 */
export function verifyPresignedUrl<P>(options: VerifyPresignedUrlOptions<P>): VerifiedPresignedUrl<P> {
  const pairs = parseRawQuery(options.query);
  if (pairs === undefined) throw new AuthError('malformed', 'SigV4 URL has a broken percent escape');
  const amz = new Map<string, string>();
  for (const [name, value] of pairs) {
    if (!name.startsWith('X-Amz-')) continue;
    if (amz.has(name)) throw new AuthError('malformed', `SigV4 URL repeats ${name}`);
    amz.set(name, value);
  }
  const required = (name: string): string => {
    const value = amz.get(name);
    if (value === undefined || value.length === 0) throw new AuthError('malformed', `SigV4 URL has no ${name}`);
    return value;
  };
  const algorithm = required('X-Amz-Algorithm');
  const credential = required('X-Amz-Credential');
  const amzDate = required('X-Amz-Date');
  const signedHeaderList = required('X-Amz-SignedHeaders');
  const signature = required('X-Amz-Signature');
  const sessionToken = amz.get('X-Amz-Security-Token');
  const expiresText = amz.get('X-Amz-Expires');

  if (algorithm !== sigv4Algorithm) throw new AuthError('unsupported-algorithm', `SigV4 URL uses algorithm ${safe(algorithm)}, not ${sigv4Algorithm}`);
  if (!/^[0-9a-f]{64}$/.test(signature)) throw new AuthError('malformed', 'SigV4 URL signature is not 64 hex digits');

  const scopeParts = credential.split('/');
  if (scopeParts.length !== 5 || scopeParts[4] !== 'aws4_request' || scopeParts.some((part) => part.length === 0)) {
    throw new AuthError('malformed', 'SigV4 credential is not {key}/{date}/{region}/{service}/aws4_request');
  }
  const [accessKeyId, scopeDate, region, service] = scopeParts as [string, string, string, string, string];
  const expectedService = options.service ?? iotWebSocketService;
  if (service !== expectedService) throw new AuthError('service-mismatch', `SigV4 credential is for service ${safe(service)}, not ${expectedService}`);
  if (options.regions !== undefined && !options.regions.includes(region)) {
    throw new AuthError('region-mismatch', `SigV4 credential is for region ${safe(region)}, which this endpoint does not serve`);
  }

  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) throw new AuthError('bad-date', 'SigV4 X-Amz-Date is not a YYYYMMDDThhmmssZ time');
  if (amzDate.slice(0, 8) !== scopeDate) throw new AuthError('bad-date', 'SigV4 credential scope date differs from X-Amz-Date');
  const skewMs = (options.maxSkewSeconds ?? 900) * 1000;
  const nowMs = options.now.getTime();
  if (signedAt.getTime() - nowMs > skewMs) throw new AuthError('not-yet-valid', 'SigV4 X-Amz-Date is in the future');
  if (expiresText !== undefined) {
    if (!/^\d{1,6}$/.test(expiresText) || Number(expiresText) < 1 || Number(expiresText) > maxExpiresSeconds) {
      throw new AuthError('malformed', `SigV4 X-Amz-Expires must be 1..${maxExpiresSeconds} seconds`);
    }
    if (nowMs > signedAt.getTime() + Number(expiresText) * 1000) throw new AuthError('expired', 'SigV4 URL has expired (X-Amz-Date + X-Amz-Expires)');
  } else if (nowMs - signedAt.getTime() > skewMs) {
    throw new AuthError('expired', 'SigV4 URL was signed too long ago (X-Amz-Date)');
  }

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host') || signedHeaders.some((name) => name !== name.toLowerCase() || name.length === 0)) {
    throw new AuthError('malformed', 'SigV4 X-Amz-SignedHeaders must list lower-case names including host');
  }

  const resolved = options.resolveSecret(accessKeyId, sessionToken);
  if (resolved === undefined) throw new AuthError('unknown-access-key', 'SigV4 access key is unknown or its session token is invalid');

  const key = signingKey(resolved.secretAccessKey, scopeDate, region, service);
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const expected = Buffer.from(signature, 'hex');
  let tokenSigned: boolean | undefined;
  for (const candidate of candidates(options, pairs, signedHeaders, sessionToken !== undefined)) {
    const actual = Buffer.from(sign(key, stringToSign(amzDate, scope, candidate.request)), 'hex');
    if (timingSafeEqual(actual, expected)) {
      tokenSigned = candidate.tokenSigned;
      break;
    }
  }
  if (tokenSigned === undefined) throw new AuthError('bad-signature', 'SigV4 signature does not match');
  if (resolved.expiresAt !== undefined && nowMs > resolved.expiresAt.getTime()) {
    throw new AuthError('credentials-expired', 'SigV4 temporary credentials have expired');
  }
  return { principal: resolved.principal, accessKeyId, region, signedAt, tokenSigned };
}

/** Every canonical request a legitimate SDK might have signed for this URL; at most eight. */
function* candidates<P>(
  options: VerifyPresignedUrlOptions<P>,
  pairs: ReadonlyArray<readonly [string, string]>,
  signedHeaders: readonly string[],
  hasToken: boolean,
): Generator<{ request: string; tokenSigned: boolean }> {
  const withoutSignature = pairs.filter(([name]) => name !== 'X-Amz-Signature');
  const queries: Array<{ query: string; tokenSigned: boolean }> = [
    { query: canonicalQueryString(withoutSignature.filter(([name]) => name !== 'X-Amz-Security-Token')), tokenSigned: false },
  ];
  if (hasToken) queries.push({ query: canonicalQueryString(withoutSignature), tokenSigned: true });

  const host = options.host.toLowerCase();
  const bareHost = host.replace(/:\d+$/, '');
  const hosts = bareHost === host ? [host] : [host, bareHost];

  // Non-S3 services sign the path URI-encoded once more; SDK v1 signs the path as sent. For `/mqtt`
  // they agree.
  const uris = [...new Set([options.path, awsUriEncode(safeDecode(options.path), true)])];

  for (const hostValue of hosts) {
    const headers = signedHeaders.map((name): [string, string] => [name, name === 'host' ? hostValue : headerValue(options.headers, name)]);
    for (const canonicalUri of uris) {
      for (const { query, tokenSigned } of queries) {
        yield {
          request: canonicalRequest({ method: options.method.toUpperCase(), canonicalUri, canonicalQuery: query, headers, payloadHash: emptyBodySha256 }),
          tokenSigned,
        };
      }
    }
  }
}

function headerValue(headers: VerifyPresignedUrlOptions<unknown>['headers'], name: string): string {
  const value = headers?.[name];
  if (value === undefined) throw new AuthError('malformed', `SigV4 URL signs header ${safe(name)}, which the request lacks`);
  return typeof value === 'string' ? value : value.join(',');
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Client text quoted in messages: bounded and printable, so logs cannot be flooded or forged. */
function safe(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
