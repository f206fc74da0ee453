import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveAgentOptions, type AgentOptions } from './agent-options.ts';

const base: AgentOptions = { endpoints: ['mqtts://iot.example.com:443'], customer: 'acme', device: 'pump-7', tls: {}, queueDirectory: '/tmp/q' };

test('defaults: MQTT 5, keepalive 60 s (at most 230), a day of session, client id = thing name = device', () => {
  const resolved = resolveAgentOptions(base);
  assert.equal(resolved.protocolVersion, 5);
  assert.equal(resolved.keepaliveSeconds, 60);
  assert.ok(resolved.keepaliveSeconds <= 230);
  assert.equal(resolved.sessionExpirySeconds, 86_400);
  assert.equal(resolved.clientId, 'pump-7');
  assert.equal(resolved.thingName, 'pump-7');
  assert.deepEqual(resolved.backoff, { initialDelayMs: 1000, maxDelayMs: 30_000 });
  assert.deepEqual(resolved.endpointNames, ['mqtts://iot.example.com:443']);
});

test('bad options are refused with a message that names them', () => {
  const refuse = (options: Partial<AgentOptions>, pattern: RegExp): void => {
    assert.throws(() => resolveAgentOptions({ ...base, ...options }), (error: Error) => pattern.test(error.message), JSON.stringify(options));
  };
  refuse({ endpoints: [] }, /endpoints is empty/);
  refuse({ endpoints: ['mqtt://iot.example.com:1883'] }, /must be mqtts:\/\/ or wss:\/\//);
  refuse({ endpoints: ['not a url'] }, /"not a url" is not a URL/);
  refuse({ keepaliveSeconds: 300 }, /keepaliveSeconds must be 5\.\.230, not 300/);
  refuse({ keepaliveSeconds: 0 }, /keepaliveSeconds/);
  refuse({ customer: 'a/b' }, /customer "a\/b" must be one non-empty topic level/);
  refuse({ device: '+' }, /device "\+"/);
  refuse({ backoff: { initialDelayMs: 5000, maxDelayMs: 1000 } }, /backoff needs/);
});
