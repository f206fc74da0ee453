/** `POST /v1/test-authorization` against a real admin API on loopback, with policies in a memory identity store. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { opensslCertificate, perThingPolicy, policyText, registerCertificate, thingRecord } from '../services/authorization/authorization-fixtures.js';
import { MemoryIdentityStore, MemoryStore } from '../store/index.js';
import { startAdminApiHarness, testIdentityServices, type AdminApiHarness } from './admin-api-harness.js';

describe('test-authorization API', () => {
  let harness: AdminApiHarness;
  let identity: MemoryIdentityStore;
  let certificateId: string;
  const ask = async (body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const answer = await harness.request('/v1/test-authorization', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  };

  before(async () => {
    identity = new MemoryIdentityStore();
    await identity.open();
    harness = await startAdminApiHarness({ store: new MemoryStore(), identity: await testIdentityServices(identity) });
    const at = Date.now();
    await identity.createPolicy('acme', 'agent', perThingPolicy, at);
    await identity.createPolicy('acme', 'no-admin', policyText({ Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/customer-1/*/admin' }), at);
    await identity.createPolicy('acme', 'office-only', policyText({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/office', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }), at);
    await identity.putThing(thingRecord('acme', 'agent-7', { groups: ['fleet'] }));
    certificateId = await registerCertificate(identity, 'acme', opensslCertificate('/CN=agent-7'), 'agent-7');
    await identity.attachPolicy('acme', 'agent', { kind: 'certificate', id: certificateId });
    await identity.attachPolicy('acme', 'no-admin', { kind: 'thing-group', id: 'fleet' });
    await identity.attachPolicy('acme', 'office-only', { kind: 'tenant', id: 'acme' });
  });
  after(async () => {
    await harness.close();
    await identity.close();
  });

  test('ALLOW names the allowing statement and the policies that apply', async () => {
    const { status, body } = await ask({ tenant: 'acme', principal: { certificateId, clientId: 'agent-7' }, action: 'iot:Publish', resource: 'topic/customer-1/agent-7/status' });
    assert.equal(status, 200);
    assert.deepEqual(body, {
      decision: 'ALLOW',
      decidedBy: { policy: 'agent', version: 1, statementIndex: 1, effect: 'Allow' },
      policies: ['agent', 'no-admin', 'office-only'],
      resource: 'topic/customer-1/agent-7/status',
      explanation: 'iot:Publish on topic/customer-1/agent-7/status: allowed by policy "agent" v1 statement 1',
    });
  });

  test("EXPLICIT_DENY from the thing group's policy; IMPLICIT_DENY for another agent's topic and ARNs of the tenant", async () => {
    const denied = await ask({ tenant: 'acme', principal: { certificateId, clientId: 'agent-7' }, action: 'iot:Publish', resource: 'topic/customer-1/agent-7/admin' });
    assert.equal(denied.body['decision'], 'EXPLICIT_DENY');
    assert.deepEqual(denied.body['decidedBy'], { policy: 'no-admin', version: 1, statementIndex: 0, effect: 'Deny' });
    const implicit = await ask({ tenant: 'acme', principal: { certificateId, clientId: 'agent-7' }, action: 'iot:Subscribe', resource: 'arn:aws:iot:eu-west-1:acme:topicfilter/customer-1/agent-8/#' });
    assert.equal(implicit.body['decision'], 'IMPLICIT_DENY');
    assert.equal('decidedBy' in implicit.body, false);
    assert.equal(implicit.body['resource'], 'topicfilter/customer-1/agent-8/#');
  });

  test('takes the source address and the CONNECT context into account', async () => {
    const principal = { certificateId, clientId: 'agent-7' };
    assert.equal((await ask({ tenant: 'acme', principal, action: 'iot:Publish', resource: 'topic/office' })).body['decision'], 'IMPLICIT_DENY');
    assert.equal((await ask({ tenant: 'acme', principal: { ...principal, sourceIp: '10.1.2.3' }, action: 'iot:Publish', resource: 'topic/office' })).body['decision'], 'ALLOW');
    assert.equal((await ask({ tenant: 'acme', principal: { ...principal, clientId: 'agent-8' }, action: 'iot:Connect', resource: 'client/agent-8' })).body['decision'], 'IMPLICIT_DENY');
    assert.equal((await ask({ tenant: 'acme', principal, action: 'iot:Connect', resource: 'client/agent-7', context: { connectAttributes: ['PersistentConnect'] } })).body['decision'], 'ALLOW');
  });

  test('a token principal gets the tenant policies only', async () => {
    const { body } = await ask({ tenant: 'acme', principal: { thingName: 'agent-7', clientId: 'agent-7' }, action: 'iot:Publish', resource: 'topic/customer-1/agent-7/status' });
    assert.equal(body['decision'], 'IMPLICIT_DENY');
    assert.deepEqual(body['policies'], ['office-only']);
  });

  test('refuses a resource the action is not checked on, another account, an unknown action, and a certificate of another tenant', async () => {
    const principal = { certificateId, clientId: 'agent-7' };
    const wrongType = await ask({ tenant: 'acme', principal, action: 'iot:Publish', resource: 'topicfilter/a/#' });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.body['message'], 'Invalid request: iot:Publish is checked on topic/... resources, not "topicfilter/a/#"');
    const otherAccount = await ask({ tenant: 'acme', principal, action: 'iot:Publish', resource: 'arn:aws:iot:us-east-1:globex:topic/a' });
    assert.equal(otherAccount.status, 400);
    assert.match(String(otherAccount.body['message']), /account "globex" is not the tenant "acme"/);
    assert.equal((await ask({ tenant: 'acme', principal, action: 'iot:Publsh', resource: 'topic/a' })).status, 400);
    const elsewhere = await ask({ tenant: 'globex', principal, action: 'iot:Publish', resource: 'topic/a' });
    assert.equal(elsewhere.status, 404);
    assert.equal(elsewhere.body['code'], 'NOT_FOUND');
    assert.equal((await ask({ tenant: 'acme', principal: { clientId: 'x', kind: 'certificate' }, action: 'iot:Publish', resource: 'topic/a' })).status, 400);
  });
});
