import assert from 'node:assert/strict';
import { test } from 'node:test';
import { skewFromCertificate, skewFromServerTime } from './clock-skew.ts';
import { commandReply, readCommandRequest } from './command-envelope.ts';

test('an MQTT 5 request replies to its Response Topic with its Correlation Data', () => {
  const request = readCommandRequest(Buffer.from('{"speed":3}'), { responseTopic: 'acme/backend/replies', correlationData: Buffer.from([1, 2]) });
  assert.deepEqual(request.body, { speed: 3 });
  assert.deepEqual(request.reply, { topic: 'acme/backend/replies', style: 'mqtt5', correlation: Buffer.from([1, 2]) });
  const reply = commandReply(request.reply!, { result: { ok: 1 } });
  assert.deepEqual(reply, { topic: 'acme/backend/replies', payload: '{"result":{"ok":1}}', correlationData: Buffer.from([1, 2]) });
});

test('a 3.1.1 request carries its reply topic and correlation id in an envelope', () => {
  const request = readCommandRequest(Buffer.from(JSON.stringify({ replyTo: 'b/r', correlationId: '9', request: ['a'] })));
  assert.deepEqual(request, { body: ['a'], reply: { topic: 'b/r', style: 'envelope', correlation: '9' } });
  assert.equal(commandReply(request.reply!, { error: new Error('no such pump') }).payload, '{"correlationId":"9","error":{"message":"no such pump"}}');
});

test('a request with no reply address is one-way; a non-JSON body comes as text', () => {
  assert.deepEqual(readCommandRequest(Buffer.from('reboot')), { body: 'reboot' });
  assert.deepEqual(readCommandRequest(Buffer.from('{"replyTo":5}')), { body: { replyTo: 5 } });
  assert.deepEqual(readCommandRequest(Buffer.alloc(0)), { body: '' });
});

test('clock skew is reported beyond the threshold only, with its sign', () => {
  const now = 1_700_000_000_000;
  assert.equal(skewFromServerTime(1_700_000_030, now), undefined);
  assert.equal(skewFromServerTime(1_700_000_000 - 3600, now)?.skewMs, 3_600_000);
  assert.match(skewFromServerTime(1_700_000_000 - 3600, now)?.message ?? '', /3600 s ahead/);
  assert.match(skewFromServerTime(1_700_000_000 + 120, now)?.message ?? '', /120 s behind/);
  assert.equal(skewFromCertificate({ valid_from: new Date(now - 86_400_000).toUTCString() }, now), undefined);
  assert.equal(skewFromCertificate({ valid_from: new Date(now + 7_200_000).toUTCString() }, now)?.skewMs, -7_200_000);
});
