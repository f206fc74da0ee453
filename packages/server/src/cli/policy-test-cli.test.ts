/** `gatehouse policy test` as a real child process against a real admin API. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startAdminApiHarness, testIdentityServices, type AdminApiHarness } from '../api/admin-api-harness.js';
import { opensslCertificate, perThingPolicy, policyText, registerCertificate, thingRecord } from '../services/authorization/authorization-fixtures.js';
import { MemoryIdentityStore, MemoryStore } from '../store/index.js';
import { cliRunner } from './cli-test-kit.js';

describe('gatehouse policy test', () => {
  let harness: AdminApiHarness;
  let identity: MemoryIdentityStore;
  let certificateId: string;

  const gatehouse = cliRunner(() => harness);

  before(async () => {
    identity = new MemoryIdentityStore();
    await identity.open();
    harness = await startAdminApiHarness({ store: new MemoryStore(), identity: await testIdentityServices(identity) });
    await identity.createPolicy('acme', 'agent', perThingPolicy, Date.now());
    await identity.createPolicy('acme', 'no-admin', policyText({ Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/customer-1/*/admin' }), Date.now());
    await identity.putThing(thingRecord('acme', 'agent-7'));
    certificateId = await registerCertificate(identity, 'acme', opensslCertificate('/CN=agent-7'), 'agent-7');
    await identity.attachPolicy('acme', 'agent', { kind: 'certificate', id: certificateId });
    await identity.attachPolicy('acme', 'no-admin', { kind: 'tenant', id: 'acme' });
  });
  after(async () => {
    await harness.close();
    await identity.close();
  });

  test('prints the decision, the deciding statement and the policies', async () => {
    const allowed = await gatehouse('policy', 'test', '--tenant', 'acme', '--certificate', certificateId, '--client-id', 'agent-7', '--action', 'iot:Publish', '--resource', 'topic/customer-1/agent-7/status');
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, [
      'ALLOW: iot:Publish on topic/customer-1/agent-7/status: allowed by policy "agent" v1 statement 1',
      'Decided by: policy "agent" version 1, statement 1 (Allow)',
      'Policies: agent, no-admin',
      '',
    ].join('\n'));
    const denied = await gatehouse('policy', 'test', '--tenant', 'acme', '--certificate', certificateId, '--client-id', 'agent-7', '--action', 'iot:Publish', '--resource', 'topic/customer-1/agent-7/admin', '--json');
    assert.equal(denied.code, 0, denied.stderr);
    const answer = JSON.parse(denied.stdout) as Record<string, unknown>;
    assert.equal(answer['decision'], 'EXPLICIT_DENY');
    assert.deepEqual(answer['decidedBy'], { policy: 'no-admin', version: 1, statementIndex: 0, effect: 'Deny' });
  });

  test('passes the CONNECT context and reports an implicit deny', async () => {
    const connect = await gatehouse('policy', 'test', '--tenant', 'acme', '--certificate', certificateId, '--client-id', 'agent-8', '--action', 'iot:Connect', '--resource', 'client/agent-8', '--persistent', '--will-topic', 'customer-1/agent-8/gone');
    assert.equal(connect.code, 0, connect.stderr);
    assert.match(connect.stdout, /^IMPLICIT_DENY: iot:Connect on client\/agent-8: no statement allows it \(policies: agent v1, no-admin v1\)\nPolicies: agent, no-admin\n$/);
  });

  test('fails with the API message for a bad request, and with exit 2 for a bad kind', async () => {
    const wrong = await gatehouse('policy', 'test', '--tenant', 'acme', '--certificate', certificateId, '--client-id', 'agent-7', '--action', 'iot:Publish', '--resource', 'client/agent-7');
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr, 'Error: Invalid request: iot:Publish is checked on topic/... resources, not "client/agent-7"\n');
    const usage = await gatehouse('policy', 'test', '--tenant', 'acme', '--client-id', 'x', '--action', 'iot:Publish', '--resource', 'topic/a', '--kind', 'robot');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /"robot" is not one of certificate, sigv4/);
  });
});
