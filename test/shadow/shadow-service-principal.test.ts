/**
 * The backend's view of the fleet's shadows: a service principal (a JWT with `gatehouse:tenants`)
 * watches `$tenants/+/$aws/things/+/shadow/update/documents`, sees an agent's update with its tenant
 * in the topic, and changes that agent's desired state by publishing on the agent's shadow topic under
 * `$tenants/{tenant}/`; the agent gets the delta under its own topic names. A service granted one
 * tenant can neither watch nor change another's shadows.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { subackCodes, type TestGatehouse } from '../helpers/index.ts';
import {
  adminShadow, makeServiceAuthorizer, mqttsUrl, onboard, shadowPrefix, ShadowClient, startShadowGatehouse,
  type OnboardedDevice, type ServiceAuthorizer,
} from './shadow-kit.ts';

describe('a service principal and the fleet\'s shadows', () => {
  let gh: TestGatehouse;
  let dir: string;
  let backend: ServiceAuthorizer;
  let acmeDevice: OnboardedDevice;
  let globexDevice: OnboardedDevice;
  const open: ShadowClient[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-shadow-service-'));
    backend = await makeServiceAuthorizer(dir);
    gh = await startShadowGatehouse({ config: { auth: { authorizers: [backend.authorizer] } } });
    acmeDevice = await onboard(gh, 'agent-1', 'acme');
    globexDevice = await onboard(gh, 'agent-1', 'globex');
  });
  after(async () => {
    await Promise.all(open.map((client) => client.end()));
    await gh?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function service(tenants: string[] | '*', clientId: string): Promise<ShadowClient> {
    const token = await backend.sign(tenants);
    const client = await ShadowClient.connect(mqttsUrl(gh), { ca: gh.caPem, clientId, protocolVersion: 5, username: backend.username(token) });
    open.push(client);
    return client;
  }
  async function agent(device: OnboardedDevice): Promise<ShadowClient> {
    const client = await ShadowClient.connectDevice(gh, device);
    open.push(client);
    return client;
  }

  test('watches every tenant\'s documents, and pushes desired state that reaches the agent as a delta', async () => {
    const watcher = await service('*', 'backend-all');
    await watcher.subscribe('$tenants/+/$aws/things/+/shadow/update/documents');
    const acme = await agent(acmeDevice);
    const globex = await agent(globexDevice);
    const own = shadowPrefix('agent-1');
    await acme.subscribe(`${own}/update/delta`);

    const reported = await acme.request(own, 'update', { state: { reported: { firmware: '3.1', interval: 60 } }, clientToken: 'acme-report' });
    assert.equal(reported.topic, `${own}/update/accepted`, reported.text);
    await globex.request(own, 'update', { state: { reported: { firmware: '9.9' } }, clientToken: 'globex-report' });

    const seen = await watcher.next('$tenants/acme/$aws/things/agent-1/shadow/update/documents', { accept: (message) => message.body['clientToken'] === 'acme-report' });
    assert.deepEqual((seen.body['current'] as { state: unknown }).state, { reported: { firmware: '3.1', interval: 60 } });
    const other = await watcher.next('$tenants/globex/$aws/things/agent-1/shadow/update/documents');
    assert.equal(other.body['clientToken'], 'globex-report', 'the same thing name in another tenant is another shadow, named by its tenant');

    // The backend changes acme's agent: the full name of the agent's own topic.
    const acmeShadow = `$tenants/acme/${own}`;
    const fromDelta = acme.messages.length;
    const pushed = await watcher.request(acmeShadow, 'update', { state: { desired: { interval: 15 } }, clientToken: 'backend-push' });
    assert.equal(pushed.topic, `${acmeShadow}/update/accepted`, pushed.text);
    assert.equal(pushed.body['version'], 2);
    const delta = await acme.next(`${own}/update/delta`, { from: fromDelta });
    assert.deepEqual(delta.body['state'], { interval: 15 }, 'the agent gets the delta under its own topic name');
    assert.equal(delta.body['version'], 2);
    assert.equal(delta.body['clientToken'], 'backend-push');

    const got = await watcher.request(acmeShadow, 'get', { clientToken: 'backend-get' });
    assert.deepEqual((got.body['state'] as Record<string, unknown>)['delta'], { interval: 15 });
    const globexView = await adminShadow(gh, 'GET', { tenant: 'globex', thing: 'agent-1' });
    assert.deepEqual(globexView.body['state'], { reported: { firmware: '9.9' } }, "globex's shadow of the same name is untouched");
  });

  test('a service granted acme only cannot watch or change globex\'s shadows', async () => {
    const acmeOnly = await service(['acme'], 'backend-acme');
    for (const filter of ['$tenants/globex/$aws/things/+/shadow/update/documents', '$tenants/+/$aws/things/+/shadow/update/documents']) {
      assert.deepEqual(await subackCodes(acmeOnly.client, filter), [0x87], `${filter} is refused`);
    }
    await acmeOnly.subscribe('$tenants/acme/$aws/things/+/shadow/update/documents');
    const before = await adminShadow(gh, 'GET', { tenant: 'globex', thing: 'agent-1' });
    assert.equal(before.status, 200, before.text);

    const globexShadow = `$tenants/globex/${shadowPrefix('agent-1')}`;
    await assert.rejects(
      acmeOnly.client.publishAsync(`${globexShadow}/update`, JSON.stringify({ state: { desired: { interval: 1 } } }), { qos: 1 }),
      (error: { code?: number }) => error.code === 0x87,
      'PUBACK 0x87 for another tenant\'s shadow',
    );
    await assert.rejects(acmeOnly.client.publishAsync(`${globexShadow}/delete`, '', { qos: 1 }), (error: { code?: number }) => error.code === 0x87);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await adminShadow(gh, 'GET', { tenant: 'globex', thing: 'agent-1' });
    assert.equal(after.status, 200, 'globex\'s shadow still exists');
    assert.deepEqual(after.body['state'], before.body['state']);
    assert.equal(after.body['version'], before.body['version']);

    // Its own tenant works.
    const own = await acmeOnly.request(`$tenants/acme/${shadowPrefix('agent-1')}`, 'update', { state: { desired: { interval: 20 } }, clientToken: 'acme-only' });
    assert.equal(own.topic, `$tenants/acme/${shadowPrefix('agent-1')}/update/accepted`, own.text);
    const documents = await acmeOnly.next('$tenants/acme/$aws/things/agent-1/shadow/update/documents', { accept: (message) => message.body['clientToken'] === 'acme-only' });
    assert.equal((documents.body['current'] as { version: number }).version, own.body['version']);
    assert.equal(acmeOnly.messages.some((message) => message.topic.startsWith('$tenants/globex/')), false, 'nothing of globex reached it');
  });
});
