import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTokenSigningKey, mintRegistrationToken, verifyRegistrationToken } from '../../auth/index.js';
import { mintOwnershipToken, OWNERSHIP_TOKEN_TTL_MS, verifyOwnershipToken } from './ownership-token.js';
import { ProvisioningRejection } from './provisioning-rejection.js';

const now = new Date('2025-01-01T00:00:00Z');

async function rejected(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProvisioningRejection);
    assert.equal(error.errorCode, 'InvalidCertificateOwnershipToken');
    assert.match(error.message, message);
    return true;
  });
}

test('a token names its certificate and tenant for one hour', async () => {
  const key = await createTokenSigningKey();
  const token = await mintOwnershipToken(key, { certificateId: 'ab'.repeat(32), tenant: 'acme', now });
  const claims = await verifyOwnershipToken(token, { verificationKeys: [key.publicJwk], tenant: 'acme', now: new Date(now.getTime() + OWNERSHIP_TOKEN_TTL_MS - 1000) });
  assert.deepEqual(claims, { certificateId: 'ab'.repeat(32), tenant: 'acme', expiresAt: new Date(now.getTime() + OWNERSHIP_TOKEN_TTL_MS) });
  await rejected(verifyOwnershipToken(token, { verificationKeys: [key.publicJwk], tenant: 'acme', now: new Date(now.getTime() + OWNERSHIP_TOKEN_TTL_MS + 1000) }), /expired/);
});

test('another tenant\'s, another key\'s, a tampered or a garbage token is refused alike', async () => {
  const key = await createTokenSigningKey();
  const other = await createTokenSigningKey('ES256');
  const token = await mintOwnershipToken(key, { certificateId: 'c1', tenant: 'acme', now });
  const options = { verificationKeys: [key.publicJwk], tenant: 'acme', now };
  await rejected(verifyOwnershipToken(token, { ...options, tenant: 'globex' }), /not valid for this connection/);
  await rejected(verifyOwnershipToken(await mintOwnershipToken(other, { certificateId: 'c1', tenant: 'acme', now }), options), /not valid for this connection/);
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'c2' })).toString('base64url');
  await rejected(verifyOwnershipToken(`${header}.${forged}.${signature}`, options), /not valid for this connection/);
  await rejected(verifyOwnershipToken('garbage', options), /not valid for this connection/);
});

test('ownership and registration tokens do not pass for each other', async () => {
  const key = await createTokenSigningKey();
  const ownership = await mintOwnershipToken(key, { certificateId: 'c1', tenant: 'acme', now });
  await assert.rejects(verifyRegistrationToken(ownership, { verificationKeys: [key.publicJwk], now }));
  const { token } = await mintRegistrationToken({ signingKey: key, tenant: 'acme', thing: 'agent-7', endpoint: 'gh:8443', now });
  await rejected(verifyOwnershipToken(token, { verificationKeys: [key.publicJwk], tenant: 'acme', now }), /not valid/);
});
