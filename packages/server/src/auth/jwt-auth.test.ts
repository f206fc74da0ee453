import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { GatehouseError } from '../core/index.js';
import { AuthError } from './auth-error.js';
import type { AuthFailureReason } from './auth-error.js';
import { clientIdMatches, verifyAuthToken } from './jwt-auth.js';

const now = new Date('2025-03-01T10:00:00Z');
const seconds = (s: number) => Math.floor(now.getTime() / 1000) + s;

async function refusedWith(promise: Promise<unknown>, reason: AuthFailureReason): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AuthError, `expected AuthError, got ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    return true;
  });
}

const es = await generateKeyPair('ES256', { extractable: true });
const esJwk = { ...(await exportJWK(es.publicKey)), kid: 'es-1' };
const sign = (claims: Record<string, unknown>, options: { iss?: string; aud?: string; exp?: number; alg?: string; key?: Parameters<SignJWT['sign']>[0]; kid?: string } = {}) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'ES256', kid: options.kid ?? 'es-1' }).setIssuedAt(seconds(0)).setExpirationTime(options.exp ?? seconds(300));
  if (options.iss !== undefined) jwt.setIssuer(options.iss);
  if (options.aud !== undefined) jwt.setAudience(options.aud);
  return jwt.sign(options.key ?? es.privateKey);
};
const base = { keys: { keys: [esJwk] }, issuer: 'https://saas.example.com', audience: 'gatehouse', now };

test('a valid token maps its claims to a principal', async () => {
  const token = await sign({ tenant: 'acme', thing: 'agent-7', client_id: 'agent-7-*' }, { iss: 'https://saas.example.com', aud: 'gatehouse' });
  const { principal, claims } = await verifyAuthToken(token, base);
  assert.deepEqual(principal, { tenant: 'acme', thing: 'agent-7', clientIdPattern: 'agent-7-*' });
  assert.equal(claims['tenant'], 'acme');
});

test('claim names can be configured and optional claims may be absent', async () => {
  const token = await sign({ org: 'acme' }, { iss: 'https://saas.example.com', aud: 'gatehouse' });
  const { principal } = await verifyAuthToken(token, { ...base, claimNames: { tenant: 'org' } });
  assert.deepEqual(principal, { tenant: 'acme' });
  await refusedWith(verifyAuthToken(token, base), 'missing-claim');
});

test('expired, wrong issuer, wrong audience, forged and unknown-key tokens are refused', async () => {
  const good = { iss: 'https://saas.example.com', aud: 'gatehouse' };
  await refusedWith(verifyAuthToken(await sign({ tenant: 'acme' }, { ...good, exp: seconds(-31) }), base), 'expired');
  // Within the default 30 s tolerance.
  assert.equal((await verifyAuthToken(await sign({ tenant: 'acme' }, { ...good, exp: seconds(-10) }), base)).principal.tenant, 'acme');
  await refusedWith(verifyAuthToken(await sign({ tenant: 'acme' }, { ...good, iss: 'https://evil.example.com' }), base), 'wrong-issuer');
  await refusedWith(verifyAuthToken(await sign({ tenant: 'acme' }, { ...good, aud: 'other' }), base), 'wrong-audience');
  const attacker = await generateKeyPair('ES256');
  await refusedWith(verifyAuthToken(await sign({ tenant: 'acme' }, { ...good, key: attacker.privateKey }), base), 'bad-signature');
  await refusedWith(verifyAuthToken(await sign({ tenant: 'acme' }, { ...good, kid: 'nope' }), base), 'unknown-key');
  await refusedWith(verifyAuthToken('not.a.jwt', base), 'malformed');
});

test('HMAC and unsigned tokens are never accepted', async () => {
  const hs = await new SignJWT({ tenant: 'acme' }).setProtectedHeader({ alg: 'HS256', kid: 'es-1' }).setExpirationTime(seconds(60)).sign(new Uint8Array(32));
  await refusedWith(verifyAuthToken(hs, { ...base, algorithms: ['HS256', 'ES256'] }), 'unsupported-algorithm');
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ tenant: 'acme', exp: seconds(60) })).toString('base64url')}.`;
  await refusedWith(verifyAuthToken(none, base), 'unsupported-algorithm');
});

test('PEM public keys work, several keys without kid are each tried', async () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = (k: import('node:crypto').KeyObject) => k.export({ format: 'pem', type: 'spki' }).toString();
  const token = await new SignJWT({ tenant: 'acme', thing: 't' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime(seconds(60)).sign(rsa.privateKey);
  const { principal } = await verifyAuthToken(token, { keys: [pem(other.publicKey), pem(rsa.publicKey)], now });
  assert.deepEqual(principal, { tenant: 'acme', thing: 't' });
  await refusedWith(verifyAuthToken(token, { keys: [pem(other.publicKey)], now }), 'bad-signature');
});

test('private or symmetric keys in the configuration are a configuration error', async () => {
  const token = await sign({ tenant: 'acme' });
  const privateJwk = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
  await assert.rejects(verifyAuthToken(token, { keys: [privateJwk], now }), (e: unknown) => e instanceof GatehouseError && e.code === 'CONFIG_INVALID');
  await assert.rejects(verifyAuthToken(token, { keys: ['-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----'], now }), (e: unknown) => e instanceof GatehouseError && e.code === 'CONFIG_INVALID');
});

test('client id patterns use * as any run of characters and nothing else as special', () => {
  assert.equal(clientIdMatches('agent-7-*', 'agent-7-shell'), true);
  assert.equal(clientIdMatches('agent-7-*', 'agent-8-shell'), false);
  assert.equal(clientIdMatches('agent-7', 'agent-7'), true);
  assert.equal(clientIdMatches('agent.7', 'agentX7'), false);
  assert.equal(clientIdMatches('*', ''), true);
});

test('a token without a tenant claim belongs to defaultTenant when one is given', async () => {
  const token = await sign({ thing: 'agent-7' }, { iss: 'https://saas.example.com', aud: 'gatehouse' });
  assert.deepEqual((await verifyAuthToken(token, { ...base, defaultTenant: 'default' })).principal, { tenant: 'default', thing: 'agent-7' });
  const explicit = await sign({ tenant: 'acme' }, { iss: 'https://saas.example.com', aud: 'gatehouse' });
  assert.equal((await verifyAuthToken(explicit, { ...base, defaultTenant: 'default' })).principal.tenant, 'acme');
  const empty = await sign({ tenant: '' }, { iss: 'https://saas.example.com', aud: 'gatehouse' });
  await refusedWith(verifyAuthToken(empty, { ...base, defaultTenant: 'default' }), 'missing-claim');
});
