import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatehouseError } from '../core/index.js';
import { hashPassword, verifyPassword } from './password-hash.js';

test('a hashed password verifies and a wrong one does not', async () => {
  const stored = await hashPassword('correct horse');
  assert.match(stored, /^\$scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.equal(await verifyPassword('correct horse', stored), true);
  assert.equal(await verifyPassword('correct horsf', stored), false);
  assert.equal(await verifyPassword('', stored), false);
});

test('two hashes of the same password differ by salt', async () => {
  const a = await hashPassword('pw', { N: 1024 });
  const b = await hashPassword('pw', { N: 1024 });
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('pw', a), true);
  assert.equal(await verifyPassword('pw', b), true);
});

test('the cost parameters are read from the stored hash', async () => {
  const stored = await hashPassword('pw', { N: 2048, r: 4, p: 2 });
  assert.ok(stored.startsWith('$scrypt$N=2048,r=4,p=2$'));
  assert.equal(await verifyPassword('pw', stored), true);
});

test('a malformed or abusive stored hash is a configuration error', async () => {
  for (const bad of ['plain', '$scrypt$N=16384,r=8,p=1$c2FsdA==', '$scrypt$N=1000,r=8,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', '$scrypt$N=4194304,r=8,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==']) {
    await assert.rejects(verifyPassword('pw', bad), (error: unknown) => error instanceof GatehouseError && error.code === 'CONFIG_INVALID', bad);
  }
});
