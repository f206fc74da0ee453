import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noShadow, rejectionPayload, ShadowRejection, thingNotFound, tooManyRequests, versionConflict } from './shadow-rejection.js';

test('the rejected payload is code, message, timestamp and the clientToken when known', () => {
  assert.deepEqual(rejectionPayload(versionConflict('c1'), 1700), { code: 409, message: 'Version conflict', timestamp: 1700, clientToken: 'c1' });
  assert.deepEqual(rejectionPayload(thingNotFound(), 1700), { code: 404, message: 'Thing not found', timestamp: 1700 });
});

test('a shadow name is quoted in the 404 message', () => {
  assert.equal(noShadow('config').message, "No shadow exists with name: 'config'");
});

test('the clientToken can be attached after the failure was found', () => {
  const rejection = tooManyRequests();
  const withToken = rejection.withClientToken('t');
  assert.ok(withToken instanceof ShadowRejection);
  assert.deepEqual([withToken.code, withToken.message, withToken.clientToken], [429, rejection.message, 't']);
  assert.equal(rejection.clientToken, undefined, 'the original is unchanged');
  assert.equal(rejection.withClientToken(undefined), rejection);
});
