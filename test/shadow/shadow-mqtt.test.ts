/**
 * Smoke test of the Device Shadow over MQTT against the real server: an onboarded agent reports,
 * the backend sets desired through the admin API, the agent gets the delta and reads the document.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestGatehouse } from '../helpers/index.ts';
import { adminShadow, onboard, shadowPrefix, ShadowClient, startShadowGatehouse } from './shadow-kit.ts';

describe('shadow over MQTT', () => {
  let gh: TestGatehouse;
  let agent: ShadowClient;

  before(async () => {
    gh = await startShadowGatehouse();
    agent = await ShadowClient.connectDevice(gh, await onboard(gh, 'agent-7'));
  });
  after(async () => {
    await agent?.end();
    await gh?.stop();
  });

  test('update, delta from a REST change, get', async () => {
    const prefix = shadowPrefix('agent-7');
    await agent.subscribe(`${prefix}/update/delta`, `${prefix}/update/documents`);

    const reported = await agent.request(prefix, 'update', { state: { reported: { interval: 60, mode: 'eco' } }, clientToken: 'r1' });
    assert.equal(reported.topic, `${prefix}/update/accepted`);
    assert.equal(reported.body['version'], 1);
    assert.equal(reported.body['clientToken'], 'r1');
    assert.equal(reported.retain, false);

    const from = agent.messages.length;
    const pushed = await adminShadow(gh, 'POST', { tenant: 'default', thing: 'agent-7', body: { state: { desired: { interval: 10, mode: 'eco' } } } });
    assert.equal(pushed.status, 200);
    const delta = await agent.next(`${prefix}/update/delta`, { from });
    assert.deepEqual(delta.body['state'], { interval: 10 }, 'only what differs from reported');
    assert.equal(delta.body['version'], 2);
    const documents = await agent.next(`${prefix}/update/documents`, { from });
    assert.equal((documents.body['previous'] as { version: number }).version, 1);
    assert.equal((documents.body['current'] as { version: number }).version, 2);

    const got = await agent.request(prefix, 'get', { clientToken: 'g1' });
    assert.equal(got.topic, `${prefix}/get/accepted`);
    assert.deepEqual(got.body['state'], { desired: { interval: 10, mode: 'eco' }, reported: { interval: 60, mode: 'eco' }, delta: { interval: 10 } });
    assert.equal(got.body['version'], 2);
    assert.equal(got.body['clientToken'], 'g1');

    const missing = await agent.request(shadowPrefix('agent-7', 'firmware'), 'get', { clientToken: 'g2' });
    assert.equal(missing.topic, `${shadowPrefix('agent-7', 'firmware')}/get/rejected`);
    assert.equal(missing.body['code'], 404);
    assert.equal(missing.body['message'], "No shadow exists with name: 'firmware'");
  });
});
