import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isValidShadowName, isValidThingName, parseShadowRequestTopic, shadowTopic, type ShadowOperation } from './aws-shadow-topics.js';

test('classic and named shadow topics are spelled as AWS does', () => {
  assert.equal(shadowTopic('agent-7', undefined, 'get'), '$aws/things/agent-7/shadow/get');
  assert.equal(shadowTopic('agent-7', undefined, 'update', 'delta'), '$aws/things/agent-7/shadow/update/delta');
  assert.equal(shadowTopic('agent-7', 'config', 'update', 'documents'), '$aws/things/agent-7/shadow/name/config/update/documents');
  assert.equal(shadowTopic('agent-7', 'config', 'delete', 'rejected'), '$aws/things/agent-7/shadow/name/config/delete/rejected');
});

test('request topics parse into thing, shadow and operation', () => {
  assert.deepEqual(parseShadowRequestTopic('$aws/things/agent-7/shadow/update'), { thing: 'agent-7', operation: 'update' });
  assert.deepEqual(parseShadowRequestTopic('$aws/things/a:b_c/shadow/name/$cfg-1/delete'), { thing: 'a:b_c', shadow: '$cfg-1', operation: 'delete' });
});

test('reply topics, other topics and invalid names are not requests', () => {
  for (const topic of [
    '$aws/things/agent-7/shadow/update/accepted',
    '$aws/things/agent-7/shadow/name/config/get/rejected',
    '$aws/things/agent-7/shadow/list',
    '$aws/things/agent-7/shadow',
    '$aws/things/agent-7/shadow/name/config',
    '$aws/things/agent-7/shadow/name//get',
    '$aws/things//shadow/get',
    '$aws/things/bad.name/shadow/get',
    `$aws/things/${'t'.repeat(129)}/shadow/get`,
    `$aws/things/t/shadow/name/${'s'.repeat(65)}/get`,
    '$aws/things/agent-7/jobs/get',
    'aws/things/agent-7/shadow/get',
    '$tenants/acme/$aws/things/agent-7/shadow/get',
  ]) assert.equal(parseShadowRequestTopic(topic), undefined, topic);
});

test('names follow AWS patterns and lengths', () => {
  assert.equal(isValidThingName('t'.repeat(128)), true);
  assert.equal(isValidThingName('t'.repeat(129)), false);
  assert.equal(isValidThingName(''), false);
  assert.equal(isValidThingName('$t'), false, 'thing names have no $');
  assert.equal(isValidThingName('a/b'), false);
  assert.equal(isValidThingName('a+b'), false);
  assert.equal(isValidShadowName('s'.repeat(64)), true);
  assert.equal(isValidShadowName('s'.repeat(65)), false);
  assert.equal(isValidShadowName('$s:_-9'), true);
  assert.equal(isValidShadowName('é'), false);
});

test('every request topic built by shadowTopic parses back to its parts', () => {
  const thing = fc.stringMatching(/^[a-zA-Z0-9:_-]{1,128}$/);
  const shadow = fc.option(fc.stringMatching(/^[$a-zA-Z0-9:_-]{1,64}$/), { nil: undefined });
  const operation = fc.constantFrom<ShadowOperation>('get', 'update', 'delete');
  fc.assert(fc.property(thing, shadow, operation, (t, s, op) => {
    const parsed = parseShadowRequestTopic(shadowTopic(t, s, op));
    assert.deepEqual(parsed, s === undefined ? { thing: t, operation: op } : { thing: t, shadow: s, operation: op });
    assert.equal(parseShadowRequestTopic(shadowTopic(t, s, op, 'accepted')), undefined);
  }));
});
