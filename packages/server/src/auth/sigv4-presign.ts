/**
 * Presigns an MQTT-over-WebSocket URL with SigV4 the way AWS IoT device SDKs do, written from the
 * SigV4 specification. Gatehouse's own agent tooling and the verifier's tests use it.
 */
import { awsUriEncode, canonicalQueryString, canonicalRequest, emptyBodySha256, formatAmzDate, sign, signingKey, sigv4Algorithm, stringToSign } from './sigv4-canonical.js';

export interface PresignWebSocketUrlOptions {
  /** Host as the client will send it in the Host header (with `:port` when not 443, as SDK v1 signs). */
  readonly host: string;
  /** Host name put in the signature, when it differs from `host` (the CRT signs the bare host name). */
  readonly signedHost?: string;
  readonly path?: string;
  readonly region: string;
  readonly service?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /**
   * `after-signing` (default): the token is appended unsigned after `X-Amz-Signature`, as SDK v1 and
   * the CRT browser client do; `before-signature`: unsigned but placed before `X-Amz-Signature`, as CRT
   * native does; `signed`: part of the canonical query, as generic SigV4 presigners do.
   */
  readonly tokenPlacement?: 'after-signing' | 'before-signature' | 'signed';
  /** Adds `X-Amz-Expires` (AWS IoT SDKs leave it out). */
  readonly expiresSeconds?: number;
  readonly now: Date;
  readonly scheme?: 'wss' | 'ws';
}

/**
 * Returns `wss://{host}{path}?X-Amz-Algorithm=…&X-Amz-Signature=…[&X-Amz-Security-Token=…]`.
 *
 * @example
 * const url = presignWebSocketUrl({
 *   host: 'gatehouse.example.com', region: 'us-east-1', accessKeyId, secretAccessKey, sessionToken, now: new Date(),
 * });
 */
export function presignWebSocketUrl(options: PresignWebSocketUrlOptions): string {
  const service = options.service ?? 'iotdevicegateway';
  const path = options.path ?? '/mqtt';
  const amzDate = formatAmzDate(options.now);
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${options.region}/${service}/aws4_request`;
  const placement = options.tokenPlacement ?? 'after-signing';
  const params: Array<[string, string]> = [
    ['X-Amz-Algorithm', sigv4Algorithm],
    ['X-Amz-Credential', `${options.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  if (options.expiresSeconds !== undefined) params.push(['X-Amz-Expires', String(options.expiresSeconds)]);
  if (options.sessionToken !== undefined && placement === 'signed') params.push(['X-Amz-Security-Token', options.sessionToken]);
  const query = canonicalQueryString(params);
  const request = canonicalRequest({
    method: 'GET',
    canonicalUri: awsUriEncode(path, true),
    canonicalQuery: query,
    headers: [['host', (options.signedHost ?? options.host).toLowerCase()]],
    payloadHash: emptyBodySha256,
  });
  const signature = sign(signingKey(options.secretAccessKey, date, options.region, service), stringToSign(amzDate, scope, request));
  const token = options.sessionToken !== undefined && placement !== 'signed' ? `X-Amz-Security-Token=${awsUriEncode(options.sessionToken)}` : undefined;
  const tail = token === undefined
    ? `X-Amz-Signature=${signature}`
    : placement === 'before-signature' ? `${token}&X-Amz-Signature=${signature}` : `X-Amz-Signature=${signature}&${token}`;
  return `${options.scheme ?? 'wss'}://${options.host}${path}?${query}&${tail}`;
}
