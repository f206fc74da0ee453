// Registry changes reach live connections within a second, black-box over real TLS with a
// Gatehouse-issued certificate and the SQLite store: a policy that names
// `${iot:Connection.Thing.Attributes[site]}` follows the thing's attribute as the admin API changes it,
// and a policy attached to a thing group's parent applies while the thing is in the subgroup, all on
// one connection that never reconnects.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { connectClient, sleep, startGatehouse, type TestGatehouse } from '../helpers/index.ts';
import { onboardDevice, requestJson, type JsonAnswer, type OnboardedDevice } from '../identity/onboarding-kit.ts';

/** Connect as the thing; publish under `site/{its site attribute}/`. Attached to the tenant. */
const sitePolicy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' },
    { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/site/${iot:Connection.Thing.Attributes[site]}/*' },
  ],
};
/** Publish under `fleet/{thing}/`. Attached to the thing group `sites`, the parent of `berlin`. */
const fleetPolicy = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/fleet/${iot:Connection.Thing.ThingName}/*' }],
};

describe('registry changes on live connections', () => {
  let gh: TestGatehouse;
  let device: OnboardedDevice;
  let agent: MqttClient;
  let closes = 0;
  const admin = (path: string, options: { method?: string; body?: unknown } = {}): Promise<JsonAnswer> =>
    requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` }, ...options });

  before(async () => {
    gh = await startGatehouse({ store: 'sqlite', config: { listeners: { mqtts: { allowAnonymous: false } }, auth: { unattachedPolicy: 'deny' } } });
    await ok(admin('/v1/tenants', { body: { id: 'acme' } }));
    const server = { adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem };
    device = await onboardDevice(server, 'agent-1', { tenant: 'acme' });
    await ok(admin('/v1/tenants/acme/policies/site', { method: 'PUT', body: { policyDocument: sitePolicy } }));
    await ok(admin('/v1/tenants/acme/policies/site/targets/tenant/acme', { method: 'PUT' }));
    await ok(admin('/v1/tenants/acme/thing-groups/sites', { method: 'PUT', body: {} }));
    await ok(admin('/v1/tenants/acme/thing-groups/berlin', { method: 'PUT', body: { parent: 'sites' } }));
    await ok(admin('/v1/tenants/acme/policies/fleet', { method: 'PUT', body: { policyDocument: fleetPolicy } }));
    await ok(admin('/v1/tenants/acme/policies/fleet/targets/thing-group/sites', { method: 'PUT' }));
    await ok(admin('/v1/tenants/acme/things/agent-1', { method: 'PATCH', body: { attributePayload: { attributes: { site: 'lyon' } } } }));

    ({ client: agent } = await connectClient(gh.urls.mqtts.replace('127.0.0.1', 'localhost'), {
      ca: gh.caPem, cert: device.certificatePem, key: device.keyPem, clientId: 'agent-1', protocolVersion: 5,
    }));
    agent.on('close', () => closes++);
  });
  after(async () => {
    await agent.endAsync(true);
    await gh.stop();
  });

  /** Whether the broker accepts a QoS 1 publish (MQTT 5: a refused one is PUBACK 0x87, the connection stays). */
  async function mayPublish(topic: string): Promise<boolean> {
    try {
      await agent.publishAsync(topic, 'x', { qos: 1 });
      return true;
    } catch (error) {
      assert.equal((error as { code?: number }).code, 0x87, `publish to ${topic}: ${String(error)}`);
      return false;
    }
  }

  /** Publishes to `topic` until the answer is `allowed`; resolves with how long that took after `since`. */
  async function untilPublish(topic: string, allowed: boolean, since: number): Promise<number> {
    while ((await mayPublish(topic)) !== allowed) {
      assert.ok(performance.now() - since < 3000, `publish to ${topic} never became ${allowed ? 'allowed' : 'refused'}`);
      await sleep(20);
    }
    return performance.now() - since;
  }

  test("a changed attribute moves what the agent may publish within a second (PATCH, then PUT's merge removing it)", async () => {
    assert.equal(await mayPublish('site/lyon/status'), true);
    assert.equal(await mayPublish('site/paris/status'), false);

    const changedAt = performance.now();
    await ok(admin('/v1/tenants/acme/things/agent-1', { method: 'PATCH', body: { attributePayload: { attributes: { site: 'paris' } } } }));
    const tookMs = await untilPublish('site/paris/status', true, changedAt);
    assert.ok(tookMs < 1000, `the new attribute reached the live connection after ${tookMs.toFixed(0)} ms`);
    assert.equal(await mayPublish('site/lyon/status'), false, 'the old site is refused');

    const removedAt = performance.now();
    await ok(admin('/v1/tenants/acme/things/agent-1', { method: 'PATCH', body: { attributePayload: { attributes: { site: null }, merge: true } } }));
    const removedMs = await untilPublish('site/paris/status', false, removedAt);
    assert.ok(removedMs < 1000, `the removal reached the live connection after ${removedMs.toFixed(0)} ms`);
    assert.equal(closes, 0, 'the agent never reconnected');
  });

  test('joining a subgroup brings the policy of its parent within a second; leaving it takes the policy away', async () => {
    assert.equal(await mayPublish('fleet/agent-1/status'), false);

    const joinedAt = performance.now();
    await ok(admin('/v1/tenants/acme/thing-groups/berlin/things/agent-1', { method: 'PUT' }));
    const joinedMs = await untilPublish('fleet/agent-1/status', true, joinedAt);
    assert.ok(joinedMs < 1000, `the membership reached the live connection after ${joinedMs.toFixed(0)} ms`);
    assert.equal(await mayPublish('fleet/agent-2/status'), false, "the group's policy still names the agent's own thing");

    const leftAt = performance.now();
    await ok(admin('/v1/tenants/acme/thing-groups/berlin/things/agent-1', { method: 'DELETE' }));
    const leftMs = await untilPublish('fleet/agent-1/status', false, leftAt);
    assert.ok(leftMs < 1000, `leaving the group reached the live connection after ${leftMs.toFixed(0)} ms`);
    assert.equal(closes, 0, 'the agent never reconnected');
  });

  test('moving the subgroup out from under the parent takes the policy away within a second', async () => {
    await ok(admin('/v1/tenants/acme/thing-groups/berlin/things/agent-1', { method: 'PUT' }));
    await untilPublish('fleet/agent-1/status', true, performance.now());

    const movedAt = performance.now();
    await ok(admin('/v1/tenants/acme/thing-groups/berlin', { method: 'PUT', body: {} }));
    const movedMs = await untilPublish('fleet/agent-1/status', false, movedAt);
    assert.ok(movedMs < 1000, `the move reached the live connection after ${movedMs.toFixed(0)} ms`);
    assert.equal(closes, 0, 'the agent never reconnected');
  });
});

async function ok(answer: Promise<JsonAnswer>): Promise<JsonAnswer> {
  const done = await answer;
  assert.ok(done.status >= 200 && done.status < 300, `${done.status} ${JSON.stringify(done.body)}`);
  return done;
}
