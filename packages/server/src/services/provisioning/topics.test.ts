import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchTopic } from '@gatehouse/protocol';
import { answerTopic, FLEET_PROVISIONING_FILTERS, parseProvisioningTopic } from './topics.js';

test('request topics parse into their operation, format and template', () => {
  assert.deepEqual(parseProvisioningTopic('$aws/certificates/create/json'), { kind: 'create-keys-and-certificate', topic: '$aws/certificates/create/json', format: 'json' });
  assert.deepEqual(parseProvisioningTopic('$aws/certificates/create-from-csr/cbor'), { kind: 'create-certificate-from-csr', topic: '$aws/certificates/create-from-csr/cbor', format: 'cbor' });
  assert.deepEqual(parseProvisioningTopic('$aws/provisioning-templates/factory/provision/json'), {
    kind: 'register-thing', topic: '$aws/provisioning-templates/factory/provision/json', format: 'json', templateName: 'factory',
  });
});

test('other topics, formats and answer topics are not requests', () => {
  for (const topic of [
    '$aws/certificates/create/xml', '$aws/certificates/create/json/accepted', '$aws/certificates/delete/json',
    '$aws/provisioning-templates//provision/json', '$aws/provisioning-templates/t/provision/json/rejected', 'aws/certificates/create/json',
  ]) assert.equal(parseProvisioningTopic(topic), undefined, topic);
});

test('answers go one level below the request, where the service filters do not reach', () => {
  // The broker's names: the tenant's `$aws/...` topics live under `$tenants/{tenant}/`.
  const request = parseProvisioningTopic('$tenants/acme/$aws/provisioning-templates/factory/provision/json')!;
  assert.equal(request.kind === 'register-thing' ? request.templateName : '', 'factory');
  const accepted = answerTopic(request, 'accepted');
  assert.equal(accepted, '$tenants/acme/$aws/provisioning-templates/factory/provision/json/accepted');
  assert.equal(answerTopic(request, 'rejected'), '$tenants/acme/$aws/provisioning-templates/factory/provision/json/rejected');
  for (const filter of FLEET_PROVISIONING_FILTERS) {
    assert.equal(matchTopic(filter, accepted), false, filter);
    assert.equal(matchTopic(filter, '$tenants/acme/$aws/certificates/create/json/accepted'), false, filter);
  }
  assert.ok(FLEET_PROVISIONING_FILTERS.some((filter) => matchTopic(filter, request.topic)));
});
