import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { AuthError } from './auth-error.js';
import type { AuthFailureReason } from './auth-error.js';
import { mintRegistrationToken, registrationTokenAudience, registrationTokenIssuer, registrationTokenType, verifyRegistrationToken } from './registration-token.js';
import { createTokenSigningKey, exportTokenSigningKey, importTokenSigningKey } from './token-signing-key.js';

const now = new Date('2025-03-01T10:00:00Z');
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const base = { tenant: 'acme', thing: 'agent-7', endpoint: 'gatehouse.example.com:8443', now };

async function refusedWith(promise: Promise<unknown>, reason: AuthFailureReason): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AuthError, `expected AuthError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.equal(error.code, 'FORBIDDEN');
    return true;
  });
}

for (const alg of ['EdDSA', 'ES256'] as const) {
  test(`an ${alg} token round-trips its claims`, async () => {
    const signingKey = await createTokenSigningKey(alg);
    const minted = await mintRegistrationToken({
      ...base, signingKey, ttlSeconds: 600, attributes: { site: 'berlin' }, groups: ['edge'], template: 'default',
    });
    assert.equal(minted.expiresAt.toISOString(), '2025-03-01T10:10:00.000Z');
    const claims = await verifyRegistrationToken(minted.token, { verificationKeys: [signingKey.publicJwk], now: later(599), expectedTenant: 'acme' });
    assert.deepEqual(claims, {
      jti: minted.jti, tenant: 'acme', thing: 'agent-7', endpoint: 'gatehouse.example.com:8443',
      issuedAt: now, expiresAt: minted.expiresAt, attributes: { site: 'berlin' }, groups: ['edge'], template: 'default',
    });
  });
}

test('the default lifetime is 15 minutes and each token has its own jti', async () => {
  const signingKey = await createTokenSigningKey();
  const a = await mintRegistrationToken({ ...base, signingKey });
  const b = await mintRegistrationToken({ ...base, signingKey });
  assert.equal(a.expiresAt.getTime() - now.getTime(), 900_000);
  assert.notEqual(a.jti, b.jti);
  const claims = await verifyRegistrationToken(a.token, { verificationKeys: [signingKey.publicJwk], now });
  assert.deepEqual(claims.attributes, {});
  assert.deepEqual(claims.groups, []);
  assert.equal('template' in claims, false);
});

test('an expired token is refused', async () => {
  const signingKey = await createTokenSigningKey();
  const { token } = await mintRegistrationToken({ ...base, signingKey });
  await refusedWith(verifyRegistrationToken(token, { verificationKeys: [signingKey.publicJwk], now: later(901) }), 'expired');
});

test('a token signed by another key with the same kid is refused as forged', async () => {
  const real = await createTokenSigningKey();
  const attacker = await createTokenSigningKey();
  const forged = await mintRegistrationToken({ ...base, signingKey: { ...attacker, kid: real.kid } });
  await refusedWith(verifyRegistrationToken(forged.token, { verificationKeys: [real.publicJwk], now }), 'bad-signature');
});

test('a token whose payload was edited is refused as forged', async () => {
  const signingKey = await createTokenSigningKey();
  const { token } = await mintRegistrationToken({ ...base, signingKey });
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  claims['tenant'] = 'globex';
  const edited = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
  await refusedWith(verifyRegistrationToken(edited, { verificationKeys: [signingKey.publicJwk], now }), 'bad-signature');
});

test('a token from an unconfigured key is refused', async () => {
  const signingKey = await createTokenSigningKey();
  const other = await createTokenSigningKey();
  const { token } = await mintRegistrationToken({ ...base, signingKey });
  await refusedWith(verifyRegistrationToken(token, { verificationKeys: [other.publicJwk], now }), 'unknown-key');
});

test('garbage is refused as malformed', async () => {
  const signingKey = await createTokenSigningKey();
  for (const bad of ['', 'abc', 'a.b.c']) {
    await refusedWith(verifyRegistrationToken(bad, { verificationKeys: [signingKey.publicJwk], now }), 'malformed');
  }
  // An unsigned token ("alg": "none") names an algorithm that is never allowed.
  await refusedWith(verifyRegistrationToken('eyJhbGciOiJub25lIn0.e30.', { verificationKeys: [signingKey.publicJwk], now }), 'unsupported-algorithm');
});

test('a token for another tenant is refused when a tenant is expected', async () => {
  const signingKey = await createTokenSigningKey();
  const { token } = await mintRegistrationToken({ ...base, signingKey, tenant: 'globex' });
  await refusedWith(verifyRegistrationToken(token, { verificationKeys: [signingKey.publicJwk], now, expectedTenant: 'acme' }), 'other-tenant');
});

test('a JWT with the wrong audience or issuer is refused', async () => {
  const signingKey = await createTokenSigningKey();
  const sign = (iss: string, aud: string) => new SignJWT({ tenant: 'acme', thing: 'agent-7', endpoint: 'e' })
    .setProtectedHeader({ alg: 'EdDSA', kid: signingKey.kid, typ: registrationTokenType })
    .setIssuer(iss).setAudience(aud).setSubject('agent-7').setJti('j').setIssuedAt(now).setExpirationTime(later(60))
    .sign(signingKey.privateKey);
  const options = { verificationKeys: [signingKey.publicJwk], now };
  await refusedWith(verifyRegistrationToken(await sign(registrationTokenIssuer, 'gatehouse:admin'), options), 'wrong-audience');
  await refusedWith(verifyRegistrationToken(await sign('someone-else', registrationTokenAudience), options), 'wrong-issuer');
  assert.equal((await verifyRegistrationToken(await sign(registrationTokenIssuer, registrationTokenAudience), options)).tenant, 'acme');
});

test('rotation: tokens of the old and the new key verify against both public keys', async () => {
  const oldKey = await createTokenSigningKey('ES256');
  const newKey = await createTokenSigningKey('EdDSA');
  const verificationKeys = [newKey.publicJwk, oldKey.publicJwk];
  for (const signingKey of [oldKey, newKey]) {
    const { token } = await mintRegistrationToken({ ...base, signingKey });
    assert.equal((await verifyRegistrationToken(token, { verificationKeys, now })).thing, 'agent-7');
  }
});

test('a signing key survives export to a JWK file and import', async () => {
  for (const alg of ['EdDSA', 'ES256'] as const) {
    const key = await createTokenSigningKey(alg);
    const file = JSON.parse(JSON.stringify(await exportTokenSigningKey(key))) as Record<string, unknown>;
    assert.equal(file['kid'], key.kid);
    assert.equal(typeof file['d'], 'string');
    assert.equal('d' in key.publicJwk, false);
    const loaded = await importTokenSigningKey(file);
    assert.equal(loaded.kid, key.kid);
    assert.deepEqual(loaded.publicJwk, key.publicJwk);
    const { token } = await mintRegistrationToken({ ...base, signingKey: loaded });
    assert.equal((await verifyRegistrationToken(token, { verificationKeys: [key.publicJwk], now })).tenant, 'acme');
  }
});
