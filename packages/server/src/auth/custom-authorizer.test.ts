import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCustomAuthorizerHeaders, parseCustomAuthorizerQuery, parseMqttUsername, redactMqttUsername } from './custom-authorizer.js';

const signature = 'ab+cd/ef==';

test('query parameters of a WebSocket upgrade', () => {
  const raw = `x-amz-customauthorizer-name=saas-auth&x-amz-customauthorizer-signature=${encodeURIComponent(signature)}&token=eyJ.a.b`;
  assert.deepEqual(parseCustomAuthorizerQuery(raw, { tokenKeyName: 'token' }), { authorizerName: 'saas-auth', token: 'eyJ.a.b', signature });
  // The CRT MQTT 5 WebSocket builder passes the signature raw: '+' must stay a plus.
  assert.equal(parseCustomAuthorizerQuery(`x-amz-customauthorizer-signature=${signature}`)?.signature, signature);
  assert.equal(parseCustomAuthorizerQuery('X-Amz-Algorithm=AWS4-HMAC-SHA256'), undefined);
  // Without a configured token key name, no token is read.
  assert.deepEqual(parseCustomAuthorizerQuery('x-amz-customauthorizer-name=a&token=t'), { authorizerName: 'a' });
});

test('headers of a WebSocket upgrade', () => {
  const headers = { 'x-amz-customauthorizer-name': 'saas-auth', 'x-amz-customauthorizer-signature': encodeURIComponent(signature), 'x-token': 'tok' };
  assert.deepEqual(parseCustomAuthorizerHeaders(headers, { tokenKeyName: 'X-Token' }), { authorizerName: 'saas-auth', token: 'tok', signature });
  assert.equal(parseCustomAuthorizerHeaders({ host: 'h' }), undefined);
});

test('MQTT usernames: authorizer input after ?, SDK metrics stripped', () => {
  const crt = `device-user?x-amz-customauthorizer-name=saas-auth&x-amz-customauthorizer-signature=${signature}&token=abc&SDK=NodeJSv2&Platform=linux`;
  assert.deepEqual(parseMqttUsername(crt, { tokenKeyName: 'token' }), {
    username: 'device-user',
    authorizer: { authorizerName: 'saas-auth', token: 'abc', signature },
    metrics: { SDK: 'NodeJSv2', Platform: 'linux' },
  });
  // SDK v1 appends its own '?SDK=…' even after an existing '?'.
  assert.deepEqual(parseMqttUsername('u?x-amz-customauthorizer-name=a?SDK=JavaScript&Version=2.2.15'), {
    username: 'u', authorizer: { authorizerName: 'a' }, metrics: { SDK: 'JavaScript', Version: '2.2.15' },
  });
  assert.deepEqual(parseMqttUsername('?SDK=JavaScript&Version=2.2.15'), { username: '', metrics: { SDK: 'JavaScript', Version: '2.2.15' } });
  assert.deepEqual(parseMqttUsername('plain-user'), { username: 'plain-user', metrics: {} });
  // A broken escape is kept as text rather than failing.
  assert.equal(parseMqttUsername('u?x-amz-customauthorizer-name=a%zz').authorizer?.authorizerName, 'a%zz');
});

test('redactMqttUsername hides token and signature values and keeps the rest', () => {
  assert.equal(
    redactMqttUsername('dev?x-amz-customauthorizer-name=saas&x-amz-customauthorizer-signature=abc%3D&token=eyJ.x.y?SDK=JavaScript&Version=2'),
    'dev?x-amz-customauthorizer-name=saas&x-amz-customauthorizer-signature=***&token=***?SDK=JavaScript&Version=2',
  );
  assert.equal(redactMqttUsername('alice'), 'alice');
  assert.equal(redactMqttUsername('?SDK=JavaScript&Platform=Linux'), '?SDK=JavaScript&Platform=Linux');
});
