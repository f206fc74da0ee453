import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matchTopic } from '@gatehouse/protocol';
import { parseShadowRequest, SHADOW_REQUEST_FILTERS, shadowReplyTopic } from './topics.js';

const matchesAFilter = (topic: string): boolean => SHADOW_REQUEST_FILTERS.some((filter) => matchTopic(filter, topic));

describe('shadow topics', () => {
  test('the filters catch classic and named requests in any tenant, and none of the replies', () => {
    for (const topic of [
      '$tenants/acme/$aws/things/agent-7/shadow/get',
      '$tenants/acme/$aws/things/agent-7/shadow/update',
      '$tenants/globex/$aws/things/agent-7/shadow/delete',
      '$tenants/acme/$aws/things/agent-7/shadow/name/config/update',
    ]) assert.equal(matchesAFilter(topic), true, topic);
    for (const topic of [
      '$tenants/acme/$aws/things/agent-7/shadow/update/accepted',
      '$tenants/acme/$aws/things/agent-7/shadow/update/delta',
      '$tenants/acme/$aws/things/agent-7/shadow/name/config/get/rejected',
      '$aws/things/agent-7/shadow/update',
    ]) assert.equal(matchesAFilter(topic), false, topic);
  });

  test('parseShadowRequest splits tenant, thing, shadow and operation; refuses other topics', () => {
    assert.deepEqual(parseShadowRequest('$tenants/acme/$aws/things/agent-7/shadow/name/config/update'), { tenant: 'acme', thing: 'agent-7', shadow: 'config', operation: 'update' });
    assert.deepEqual(parseShadowRequest('$tenants/acme/$aws/things/agent-7/shadow/get'), { tenant: 'acme', thing: 'agent-7', shadow: undefined, operation: 'get' });
    assert.equal(parseShadowRequest('$aws/things/agent-7/shadow/get'), undefined, 'outside any tenant');
    assert.equal(parseShadowRequest('$tenants/acme/$aws/things/agent-7/shadow/get/accepted'), undefined);
    assert.equal(parseShadowRequest('$tenants/acme/$aws/things/a b/shadow/get'), undefined, 'invalid thing name');
  });

  test('replies go to the same tenant', () => {
    assert.equal(shadowReplyTopic({ tenant: 'acme', thing: 'agent-7', shadow: undefined }, 'update', 'delta'), '$tenants/acme/$aws/things/agent-7/shadow/update/delta');
    assert.equal(shadowReplyTopic({ tenant: 'globex', thing: 'x', shadow: 'cfg' }, 'get', 'rejected'), '$tenants/globex/$aws/things/x/shadow/name/cfg/get/rejected');
  });
});
