import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mayClientPublishAwsTopic } from './aws-reserved-topics.ts';

test('request topics of the AWS services are publishable', () => {
  for (const topic of [
    '$aws/things/agent-7/shadow/get', '$aws/things/agent-7/shadow/update', '$aws/things/agent-7/shadow/delete',
    '$aws/things/agent-7/shadow/name/config/update', '$aws/things/agent-7/jobs/get', '$aws/things/agent-7/jobs/start-next',
    '$aws/things/agent-7/jobs/job-1/get', '$aws/things/agent-7/jobs/$next/update', '$aws/things/agent-7/defender/metrics/json',
    '$aws/certificates/create/json', '$aws/certificates/create-from-csr/cbor', '$aws/provisioning-templates/factory/provision/json',
    '$aws/rules/my_rule/sensors/1', 'plain/topic', '$other/topic',
  ]) assert.equal(mayClientPublishAwsTopic(topic), true, topic);
});

test('replies, events, notifications and unknown $aws topics are the server\'s', () => {
  for (const topic of [
    '$aws/things/agent-7/shadow/update/accepted', '$aws/things/agent-7/shadow/update/delta', '$aws/things/agent-7/shadow/update/documents',
    '$aws/things/agent-7/shadow/get/rejected', '$aws/things/agent-7/shadow/name/config/delete/accepted', '$aws/things/agent-7/shadow/name//update',
    '$aws/things/agent-7/shadow', '$aws/things//shadow/update', '$aws/things/agent-7/jobs/notify', '$aws/things/agent-7/jobs/notify-next',
    '$aws/things/agent-7/jobs/job-1/update/accepted', '$aws/things/agent-7/defender/metrics/json/accepted',
    '$aws/certificates/create/json/accepted', '$aws/certificates/create/xml', '$aws/provisioning-templates/factory/provision/json/rejected',
    '$aws/events/presence/connected/agent-7', '$aws/events/thing/agent-7/created', '$aws/rules/', '$aws/rules/r', '$aws/sitewise/x', '$aws/',
  ]) assert.equal(mayClientPublishAwsTopic(topic), false, topic);
});
