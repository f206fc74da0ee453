/**
 * AWS's shadow data plane on the agent-facing HTTPS port: mTLS with Gatehouse-issued certificates,
 * the tenant taken from the certificate, and every call decided by the certificate's IoT policies
 * (`thing/{thing}` for the classic shadow, `thing/{thing}/{shadow}` for named ones).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestGatehouse } from '../helpers/index.ts';
import { requestJson } from '../identity/onboarding-kit.ts';
import { adminShadow, agentShadow, httpRequestRaw, onboard, shadowPrefix, ShadowClient, startShadowGatehouse, type OnboardedDevice } from './shadow-kit.ts';

/** acme's agent-7 may only read its classic shadow and its `config` shadow. */
const readOnly = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:GetThingShadow', Resource: ['arn:aws:iot:*:*:thing/agent-7', 'arn:aws:iot:*:*:thing/agent-7/config'] },
  ],
};

describe('shadow data plane (HTTPS, mTLS)', () => {
  let gh: TestGatehouse;
  let device: OnboardedDevice;
  let acmeDevice: OnboardedDevice;
  const admin = async (path: string, options: { method?: string; body?: unknown } = {}): Promise<void> => {
    const answer = await requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` }, ...options });
    assert.ok(answer.status < 300, `${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  };

  before(async () => {
    gh = await startShadowGatehouse();
    device = await onboard(gh, 'agent-7');
    await admin('/v1/tenants', { body: { id: 'acme' } });
    acmeDevice = await onboard(gh, 'agent-7', 'acme');
  });
  after(() => gh?.stop());

  test('GET, POST and DELETE with the device certificate act on its own tenant\'s shadow and publish the MQTT events', async () => {
    const missing = await agentShadow(gh, device, 'GET', { thing: 'agent-7' });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['x-amzn-errortype'], 'ResourceNotFoundException');
    assert.deepEqual({ ...missing.body, timestamp: 0 }, { code: 404, message: "No shadow exists with name: 'agent-7'", timestamp: 0 });

    const agent = await ShadowClient.connectDevice(gh, device);
    try {
      await agent.subscribe(`${shadowPrefix('agent-7')}/update/accepted`);
      const updated = await agentShadow(gh, device, 'POST', { thing: 'agent-7', body: { state: { reported: { firmware: '1.2.0' } } } });
      assert.equal(updated.status, 200);
      assert.equal(updated.body['version'], 1);
      const event = await agent.next(`${shadowPrefix('agent-7')}/update/accepted`);
      assert.deepEqual(event.body['state'], { reported: { firmware: '1.2.0' } }, 'a REST update reaches MQTT subscribers');
    } finally {
      await agent.end();
    }
    const got = await agentShadow(gh, device, 'GET', { thing: 'agent-7' });
    assert.equal(got.status, 200);
    assert.deepEqual(got.body['state'], { reported: { firmware: '1.2.0' } });

    assert.equal((await agentShadow(gh, device, 'POST', { thing: 'agent-7', name: 'config', body: { state: { desired: { a: 1 } } } })).status, 200);
    const listed = await httpRequestRaw(`https://localhost:${gh.ports.wss}/api/things/shadow/ListNamedShadowsForThing/agent-7`, { ca: gh.caPem, cert: device.certificatePem, key: device.keyPem });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body['results'], ['config']);
    const deleted = await agentShadow(gh, device, 'DELETE', { thing: 'agent-7', name: 'config' });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body['version'], 1);

    const acme = await agentShadow(gh, acmeDevice, 'GET', { thing: 'agent-7' });
    assert.equal(acme.status, 404, "acme's agent-7 reads acme's shadow, which does not exist");
    assert.equal((await adminShadow(gh, 'GET', { tenant: 'default', thing: 'agent-7' })).body['version'], 1, 'the default tenant\'s shadow is untouched');
  });

  test('bad JSON gets AWS\'s 400; no client certificate is 401', async () => {
    const bad = await agentShadow(gh, device, 'POST', { thing: 'agent-7', body: '{"state": {"reported": ' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body['message'], 'Invalid JSON');
    const anonymous = await httpRequestRaw(`https://localhost:${gh.ports.wss}/things/agent-7/shadow`, { ca: gh.caPem });
    assert.equal(anonymous.status, 401);
    assert.deepEqual({ ...anonymous.body, timestamp: 0 }, { code: 401, message: 'Unauthorized', timestamp: 0 });
  });

  test('the certificate\'s IoT policy decides: denied actions and shadows are 403 Forbidden', async () => {
    await admin('/v1/tenants/acme/policies/read-only', { method: 'PUT', body: { policyDocument: readOnly } });
    await admin(`/v1/tenants/acme/policies/read-only/targets/certificate/${acmeDevice.certificateId}`, { method: 'PUT' });
    await adminShadow(gh, 'POST', { tenant: 'acme', thing: 'agent-7', name: 'config', body: { state: { desired: { a: 1 } } } });

    assert.equal((await agentShadow(gh, acmeDevice, 'GET', { thing: 'agent-7' })).status, 404, 'allowed: thing/agent-7 (and missing)');
    assert.equal((await agentShadow(gh, acmeDevice, 'GET', { thing: 'agent-7', name: 'config' })).status, 200, 'allowed: thing/agent-7/config');
    for (const [method, name] of [['GET', 'other'], ['POST', undefined], ['POST', 'config'], ['DELETE', 'config']] as const) {
      const denied = await agentShadow(gh, acmeDevice, method, { thing: 'agent-7', ...(name === undefined ? {} : { name }), ...(method === 'POST' ? { body: { state: { reported: { x: 1 } } } } : {}) });
      assert.equal(denied.status, 403, `${method} ${name ?? '(classic)'}`);
      assert.equal(denied.headers['x-amzn-errortype'], 'ForbiddenException');
      assert.deepEqual({ ...denied.body, timestamp: 0 }, { code: 403, message: 'Forbidden', timestamp: 0 });
    }
    const list = await httpRequestRaw(`https://localhost:${gh.ports.wss}/api/things/shadow/ListNamedShadowsForThing/agent-7`, { ca: gh.caPem, cert: acmeDevice.certificatePem, key: acmeDevice.keyPem });
    assert.equal(list.status, 403, 'iot:ListNamedShadowsForThing is not granted');
    const config = await adminShadow(gh, 'GET', { tenant: 'acme', thing: 'agent-7', name: 'config' });
    assert.equal(config.body['version'], 1, 'nothing denied was applied');
  });
});
