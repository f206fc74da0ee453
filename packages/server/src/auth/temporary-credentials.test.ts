import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { GatehouseError } from '../core/index.js';
import { issueTemporaryCredentials, resolveTemporaryCredentials } from './temporary-credentials.js';

const secret = randomBytes(32);
const now = new Date('2025-03-01T10:00:00.123Z');
const principal = { tenant: 'acme', thing: 'agent-7', certificateId: 'a'.repeat(64) };

test('credentials have the AWS credentials-provider shape', () => {
  const body = issueTemporaryCredentials({ secret, principal, roleAlias: 'agent-role', ttlSeconds: 900, now });
  assert.deepEqual(Object.keys(body), ['credentials']);
  assert.deepEqual(Object.keys(body.credentials), ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration']);
  assert.match(body.credentials.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.match(body.credentials.secretAccessKey, /^[A-Za-z0-9+/]{40}$/);
  assert.equal(body.credentials.expiration, '2025-03-01T10:15:00Z');
  // The CRT credentials provider refuses a body over 2048 bytes.
  assert.ok(Buffer.byteLength(JSON.stringify(body)) < 2048);
});

test('the server resolves a session token back to its principal and secret', () => {
  const { credentials } = issueTemporaryCredentials({ secret, principal, roleAlias: 'agent-role', now });
  const resolved = resolveTemporaryCredentials(credentials.accessKeyId, credentials.sessionToken, { secrets: [secret] });
  assert.deepEqual(resolved, {
    secretAccessKey: credentials.secretAccessKey, principal, roleAlias: 'agent-role',
    expiresAt: new Date('2025-03-01T11:00:00Z'),
  });
});

test('each issue has its own access key and secret', () => {
  const a = issueTemporaryCredentials({ secret, principal, roleAlias: 'r', now }).credentials;
  const b = issueTemporaryCredentials({ secret, principal, roleAlias: 'r', now }).credentials;
  assert.notEqual(a.accessKeyId, b.accessKeyId);
  assert.notEqual(a.secretAccessKey, b.secretAccessKey);
});

test('a token is refused with another secret, another access key id, or any change', () => {
  const { credentials } = issueTemporaryCredentials({ secret, principal, roleAlias: 'r', now });
  assert.equal(resolveTemporaryCredentials(credentials.accessKeyId, credentials.sessionToken, { secrets: [randomBytes(32)] }), undefined);
  assert.equal(resolveTemporaryCredentials('ASIAAAAAAAAAAAAAAAAA', credentials.sessionToken, { secrets: [secret] }), undefined);
  assert.equal(resolveTemporaryCredentials(credentials.accessKeyId, undefined, { secrets: [secret] }), undefined);
  assert.equal(resolveTemporaryCredentials(credentials.accessKeyId, 'GH1', { secrets: [secret] }), undefined);
  assert.equal(resolveTemporaryCredentials(credentials.accessKeyId, 'not a token', { secrets: [secret] }), undefined);
  const token = credentials.sessionToken;
  for (const index of [3, 10, 20, token.length - 2]) {
    const flipped = token.slice(0, index) + (token[index] === 'A' ? 'B' : 'A') + token.slice(index + 1);
    assert.equal(resolveTemporaryCredentials(credentials.accessKeyId, flipped, { secrets: [secret] }), undefined, `flip at ${index}`);
  }
});

test('rotation: a token issued with the old secret resolves while both are listed', () => {
  const oldSecret = randomBytes(32);
  const { credentials } = issueTemporaryCredentials({ secret: oldSecret, principal, roleAlias: 'r', now });
  const resolved = resolveTemporaryCredentials(credentials.accessKeyId, credentials.sessionToken, { secrets: [secret, oldSecret] });
  assert.equal(resolved?.secretAccessKey, credentials.secretAccessKey);
});

test('durations outside 900..43200 seconds and short secrets are refused', () => {
  for (const ttlSeconds of [899, 43201, 0, 1.5]) {
    assert.throws(() => issueTemporaryCredentials({ secret, principal, roleAlias: 'r', ttlSeconds, now }),
      (error: unknown) => error instanceof GatehouseError && error.code === 'BAD_REQUEST');
  }
  assert.equal(issueTemporaryCredentials({ secret, principal, roleAlias: 'r', ttlSeconds: 43200, now }).credentials.expiration, '2025-03-01T22:00:00Z');
  assert.throws(() => issueTemporaryCredentials({ secret: randomBytes(16), principal, roleAlias: 'r', now }),
    (error: unknown) => error instanceof GatehouseError && error.code === 'CONFIG_INVALID');
});
