import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { AuthError } from './auth-error.js';
import type { AuthFailureReason } from './auth-error.js';
import { canonicalQueryString, canonicalRequest, emptyBodySha256, parseAmzDate, sign, signingKey, stringToSign } from './sigv4-canonical.js';
import { presignWebSocketUrl } from './sigv4-presign.js';
import { verifyPresignedUrl } from './sigv4.js';
import type { VerifyPresignedUrlOptions } from './sigv4.js';
import { issueTemporaryCredentials, resolveTemporaryCredentials } from './temporary-credentials.js';

const secret = randomBytes(32);
const issuedAt = new Date('2025-03-01T10:00:00Z');
const principal = { tenant: 'acme', thing: 'agent-7', certificateId: 'c'.repeat(64) };
const { credentials } = issueTemporaryCredentials({ secret, principal, roleAlias: 'agent-role', ttlSeconds: 3600, now: issuedAt });
const signedAt = new Date('2025-03-01T10:05:00Z');
const resolveSecret = (akid: string, token: string | undefined) => resolveTemporaryCredentials(akid, token, { secrets: [secret] });

function split(url: string): { host: string; path: string; query: string } {
  const match = /^wss?:\/\/([^/]+)([^?]*)\?(.*)$/.exec(url);
  assert.ok(match, url);
  return { host: match[1] as string, path: match[2] as string, query: match[3] as string };
}

function verify(url: string, overrides: Partial<VerifyPresignedUrlOptions<unknown>> = {}) {
  return verifyPresignedUrl({ method: 'GET', ...split(url), now: signedAt, resolveSecret, ...overrides });
}

function refused(fn: () => unknown, reason: AuthFailureReason): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof AuthError, `expected AuthError, got ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    return true;
  });
}

/**
 * An independent rendering of aws-iot-device-sdk v1's `prepareWebSocketUrl` + `signUrl`
 * (device/index.js): query built by hand in its fixed order, host with `:port` unless 443, payload
 * hash of '', token appended after signing with encodeURIComponent. The SDK is not installed here,
 * so this follows its algorithm step by step rather than calling it.
 */
function v1SdkUrl(options: { host: string; port: number; region: string; accessKeyId: string; secretKey: string; sessionToken?: string; now: Date }): string {
  const d = options.now;
  const two = (n: number) => String(n).padStart(2, '0');
  const now = `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}T${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  const today = now.slice(0, now.indexOf('T'));
  const service = 'iotdevicegateway';
  const queryParams = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${options.accessKeyId}%2F${today}%2F${options.region}%2F${service}%2Faws4_request&X-Amz-Date=${now}&X-Amz-SignedHeaders=host`;
  const hostName = options.port !== 443 ? `${options.host}:${options.port}` : options.host;
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const canonical = `GET\n/mqtt\n${queryParams}\nhost:${hostName.toLowerCase()}\n\nhost\n${sha('')}`;
  const toSign = `AWS4-HMAC-SHA256\n${now}\n${today}/${options.region}/${service}/aws4_request\n${sha(canonical)}`;
  const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${options.secretKey}`, today), options.region), service), 'aws4_request');
  let params = `${queryParams}&X-Amz-Signature=${hmac(kSigning, toSign).toString('hex')}`;
  if (options.sessionToken !== undefined) params += `&X-Amz-Security-Token=${encodeURIComponent(options.sessionToken)}`;
  return `wss://${hostName}/mqtt?${params}`;
}

const v1 = (overrides: Partial<Parameters<typeof v1SdkUrl>[0]> = {}) => v1SdkUrl({
  host: 'gatehouse.example.com', port: 8443, region: 'us-east-1', accessKeyId: credentials.accessKeyId,
  secretKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken, now: signedAt, ...overrides,
});

test('SigV4 building blocks reproduce the AWS test suite (get-vanilla-query-order-key-case)', () => {
  const awsSecret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  const request = canonicalRequest({
    method: 'GET', canonicalUri: '/', canonicalQuery: canonicalQueryString([['Param2', 'value2'], ['Param1', 'value1']]),
    headers: [['host', 'example.amazonaws.com'], ['x-amz-date', '20150830T123600Z']], payloadHash: emptyBodySha256,
  });
  const signature = sign(signingKey(awsSecret, '20150830', 'us-east-1', 'service'), stringToSign('20150830T123600Z', '20150830/us-east-1/service/aws4_request', request));
  assert.equal(signature, 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
});

test('X-Amz-Date parsing refuses impossible dates', () => {
  assert.equal(parseAmzDate('20250301T100500Z')?.toISOString(), '2025-03-01T10:05:00.000Z');
  for (const bad of ['20250230T100500Z', '2025-03-01T10:05:00Z', '20250301T100500', '20250301T250000Z']) assert.equal(parseAmzDate(bad), undefined, bad);
});

test('a URL signed as aws-iot-device-sdk v1 signs it verifies, with host:port', () => {
  const url = v1();
  assert.match(url, /X-Amz-Signature=[0-9a-f]{64}&X-Amz-Security-Token=GH1/);
  const verified = verify(url);
  assert.deepEqual(verified.principal, principal);
  assert.equal(verified.accessKeyId, credentials.accessKeyId);
  assert.equal(verified.region, 'us-east-1');
  assert.equal(verified.tokenSigned, false);
  assert.equal(verified.signedAt.toISOString(), signedAt.toISOString());
});

test('a v1 URL on port 443 signs the bare host and verifies', () => {
  const url = v1({ port: 443 });
  assert.equal(verify(url).tokenSigned, false);
  // A Host header that carries an explicit :443 still matches the bare-host signature.
  assert.equal(verify(url, { host: 'gatehouse.example.com:443' }).accessKeyId, credentials.accessKeyId);
});

test('a CRT-style URL (bare host signed, token before the signature, unsigned) verifies', () => {
  const url = presignWebSocketUrl({
    host: 'gatehouse.example.com:8443', signedHost: 'gatehouse.example.com', region: 'eu-west-1',
    accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken,
    tokenPlacement: 'before-signature', now: signedAt,
  });
  assert.match(url, /X-Amz-Security-Token=[^&]+&X-Amz-Signature=/);
  const verified = verify(url);
  assert.equal(verified.region, 'eu-west-1');
  assert.equal(verified.tokenSigned, false);
});

test('a generic presigned URL with a signed token and X-Amz-Expires verifies', () => {
  const url = presignWebSocketUrl({
    host: 'gatehouse.example.com:8443', region: 'us-east-1', accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken, tokenPlacement: 'signed',
    expiresSeconds: 3000, now: signedAt,
  });
  const verified = verify(url, { now: new Date(signedAt.getTime() + 2000_000) });
  assert.equal(verified.tokenSigned, true);
});

test('our own presigner and the v1 rendering produce the same URL', () => {
  const ours = presignWebSocketUrl({
    host: 'gatehouse.example.com:8443', region: 'us-east-1', accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken, now: signedAt,
  });
  assert.equal(ours, v1());
});

test('tampering with each part is refused with its own reason', () => {
  const url = v1();
  const replace = (from: RegExp | string, to: string) => url.replace(from, to);
  const signature = /X-Amz-Signature=([0-9a-f]{64})/.exec(url)?.[1] ?? '';
  const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
  refused(() => verify(replace(signature, flipped)), 'bad-signature');
  refused(() => verify(replace(/X-Amz-Date=\d{8}T\d{6}Z/, 'X-Amz-Date=20250301T100501Z')), 'bad-signature');
  refused(() => verify(replace(/X-Amz-Date=[^&]+/, 'X-Amz-Date=2025-03-01')), 'bad-date');
  refused(() => verify(replace(/X-Amz-Date=[^&]+/, 'X-Amz-Date=20250230T100500Z')), 'bad-date');
  refused(() => verify(replace('%2F20250301%2F', '%2F20250302%2F')), 'bad-date');
  refused(() => verify(replace('%2Fus-east-1%2F', '%2Fus-west-2%2F')), 'bad-signature');
  refused(() => verify(url, { regions: ['eu-west-1'] }), 'region-mismatch');
  refused(() => verify(replace('iotdevicegateway', 's3')), 'service-mismatch');
  refused(() => verify(replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256')), 'unsupported-algorithm');
  refused(() => verify(replace(/X-Amz-Credential=ASIA[A-Z2-7]{4}/, 'X-Amz-Credential=ASIAZZZZ')), 'unknown-access-key');
  refused(() => verify(replace(/X-Amz-Security-Token=GH1.{4}/, 'X-Amz-Security-Token=GH1AAAA')), 'unknown-access-key');
  refused(() => verify(replace(/&X-Amz-Security-Token=.*$/, '')), 'unknown-access-key');
  refused(() => verify(url, { host: 'evil.example.com:8443' }), 'bad-signature');
  refused(() => verify(url, { path: '/other' }), 'bad-signature');
  refused(() => verify(url, { method: 'POST' }), 'bad-signature');
  refused(() => verify(replace(/&X-Amz-Signature=[0-9a-f]+/, '')), 'malformed');
  refused(() => verify(replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=xyz')), 'malformed');
  refused(() => verify(`${url}&X-Amz-Date=20250301T100500Z`), 'malformed');
  refused(() => verify(replace('X-Amz-SignedHeaders=host', 'X-Amz-SignedHeaders=host%3Bx-custom')), 'malformed');
  refused(() => verify(`${url}%zz`), 'malformed');
});

test('expiry: an old URL, an X-Amz-Expires window, a future date and expired credentials are refused', () => {
  const url = v1();
  const at = (seconds: number) => new Date(signedAt.getTime() + seconds * 1000);
  assert.equal(verify(url, { now: at(899) }).accessKeyId, credentials.accessKeyId);
  refused(() => verify(url, { now: at(901) }), 'expired');
  refused(() => verify(url, { now: at(61), maxSkewSeconds: 60 }), 'expired');
  refused(() => verify(url, { now: at(-901) }), 'not-yet-valid');

  const withExpires = presignWebSocketUrl({
    host: 'gatehouse.example.com:8443', region: 'us-east-1', accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken, expiresSeconds: 60, now: signedAt,
  });
  assert.equal(verify(withExpires, { now: at(60) }).accessKeyId, credentials.accessKeyId);
  refused(() => verify(withExpires, { now: at(61) }), 'expired');

  // Credentials expire at 11:00; a fresh URL signed with them at 11:00:10 is still refused.
  const late = new Date('2025-03-01T11:00:10Z');
  refused(() => verify(v1({ now: late }), { now: late }), 'credentials-expired');
});

test('a URL signed with a guessed secret is refused even with a genuine session token', () => {
  refused(() => verify(v1({ secretKey: 'x'.repeat(40) })), 'bad-signature');
});
