// Presence events and tenants, black-box over real TLS with Gatehouse-issued certificates: an agent
// sees its own tenant's events under AWS's names and never another tenant's; the SaaS backend, as a
// service principal, watches every granted tenant's events by their full names; a CONNECT that the
// certificate's policy refuses is AWS's connect_failed.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT, importPKCS8 } from 'jose';
import type { MqttClient } from 'mqtt';
import { connectClient, sleep, startGatehouse, waitFor, type TestGatehouse } from '../helpers/index.ts';
import { onboardDevice, requestJson, type JsonAnswer, type OnboardedDevice } from '../identity/onboarding-kit.ts';

interface Inbox {
  readonly client: MqttClient;
  readonly messages: Array<{ readonly topic: string; readonly body: Record<string, unknown> }>;
}

describe('presence events and tenants', () => {
  let gh: TestGatehouse;
  let dir: string;
  const devices = new Map<string, OnboardedDevice>();
  let signServiceToken: (tenants: string[] | '*') => Promise<string>;
  const open: MqttClient[] = [];
  const admin = (path: string, options: { method?: string; body?: unknown } = {}): Promise<JsonAnswer> =>
    requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` }, ...options });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-presence-'));
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(join(dir, 'backend.pem'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const key = await importPKCS8(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'ES256');
    signServiceToken = (tenants) => new SignJWT({ 'gatehouse:tenants': tenants }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('5m').sign(key);
    gh = await startGatehouse({
      config: {
        listeners: { mqtts: { allowAnonymous: false } },
        auth: { authorizers: [{ name: 'backend', keysFile: join(dir, 'backend.pem'), tokenKeyName: 'token', tenantClaim: 'tenant', thingClaim: 'thing' }] },
      },
    });
    for (const id of ['acme', 'globex']) assert.equal((await admin('/v1/tenants', { body: { id } })).status, 201);
    const server = { adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem };
    for (const [tenant, thing] of [['acme', 'watcher'], ['acme', 'agent-1'], ['acme', 'picky'], ['globex', 'agent-1'], ['globex', 'watcher']] as const) {
      devices.set(`${tenant}/${thing}`, await onboardDevice(server, thing, { tenant }));
    }
    // picky may connect only as itself.
    const ownId = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' }] };
    assert.equal((await admin('/v1/tenants/acme/policies/own-id', { method: 'PUT', body: { policyDocument: JSON.stringify(ownId) } })).status, 201);
    const picky = devices.get('acme/picky')!;
    assert.equal((await admin(`/v1/tenants/acme/policies/own-id/targets/certificate/${picky.certificateId}`, { method: 'PUT' })).status < 300, true);
  });
  after(async () => {
    await Promise.all(open.map((client) => client.endAsync(true)));
    await gh.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const mqtts = (): string => gh.urls.mqtts.replace('127.0.0.1', 'localhost');
  async function agent(name: string, clientId: string, filters: string[] = []): Promise<Inbox> {
    const device = devices.get(name)!;
    const messages: Inbox['messages'] = [];
    const { client } = await connectClient(mqtts(), { ca: gh.caPem, cert: device.certificatePem, key: device.keyPem, clientId, protocolVersion: 5 }, (topic, payload) => {
      messages.push({ topic, body: JSON.parse(String(payload)) as Record<string, unknown> });
    });
    open.push(client);
    if (filters.length > 0) await client.subscribeAsync(filters, { qos: 1 });
    return { client, messages };
  }
  async function service(tenants: string[] | '*', clientId: string, filters: string[]): Promise<Inbox> {
    const messages: Inbox['messages'] = [];
    const token = await signServiceToken(tenants);
    const { client } = await connectClient(mqtts(), { ca: gh.caPem, clientId, protocolVersion: 5, username: `?x-amz-customauthorizer-name=backend&token=${token}` }, (topic, payload) => {
      messages.push({ topic, body: JSON.parse(String(payload)) as Record<string, unknown> });
    });
    open.push(client);
    await client.subscribeAsync(filters, { qos: 1 });
    return { client, messages };
  }

  test("an agent sees its own tenant's events under AWS's names, never another tenant's with the same client id", async () => {
    const acmeWatcher = await agent('acme/watcher', 'acme-watcher', ['$aws/events/presence/+/+']);
    const globexWatcher = await agent('globex/watcher', 'globex-watcher', ['$aws/events/presence/+/+']);
    const backend = await service('*', 'backend-all', ['$tenants/+/$aws/events/presence/+/+']);
    const acmeAgent = await agent('acme/agent-1', 'agent-1');
    await agent('globex/agent-1', 'agent-1');
    await acmeAgent.client.endAsync();

    await waitFor(() => acmeWatcher.messages.some((m) => m.topic === '$aws/events/presence/disconnected/agent-1'), 'acme agent-1 disconnected');
    await waitFor(() => globexWatcher.messages.some((m) => m.topic === '$aws/events/presence/connected/agent-1'), 'globex agent-1 connected');
    await sleep(200);
    const acmeAgentEvents = acmeWatcher.messages.filter((m) => m.body['clientId'] === 'agent-1');
    assert.deepEqual(acmeAgentEvents.map((m) => m.topic), ['$aws/events/presence/connected/agent-1', '$aws/events/presence/disconnected/agent-1']);
    assert.equal(acmeAgentEvents[0]?.body['principalIdentifier'], devices.get('acme/agent-1')!.certificateId, 'mTLS: the certificate id');
    const globexAgentEvents = globexWatcher.messages.filter((m) => m.body['clientId'] === 'agent-1');
    assert.deepEqual(globexAgentEvents.map((m) => m.topic), ['$aws/events/presence/connected/agent-1'], 'acme\'s disconnect stays in acme');
    assert.equal(globexAgentEvents[0]?.body['principalIdentifier'], devices.get('globex/agent-1')!.certificateId);
    assert.ok(globexWatcher.messages.every((m) => m.body['clientId'] !== 'acme-watcher'));

    // The backend's view: both tenants, full names, its own connection in neither.
    await waitFor(() => backend.messages.some((m) => m.topic === '$tenants/acme/$aws/events/presence/disconnected/agent-1'), 'backend sees acme');
    assert.ok(backend.messages.some((m) => m.topic === '$tenants/globex/$aws/events/presence/connected/agent-1'), 'backend sees globex');
    assert.ok(backend.messages.every((m) => m.topic.startsWith('$tenants/acme/') || m.topic.startsWith('$tenants/globex/')));
    assert.ok(backend.messages.every((m) => m.body['clientId'] !== 'backend-all'), 'service principals have no presence events');
  });

  test('a service principal granted one tenant watches that tenant only', async () => {
    const acmeOnly = await service(['acme'], 'backend-acme', ['$tenants/acme/$aws/events/presence/connected/+']);
    await agent('globex/agent-1', 'agent-1-again');
    await agent('acme/agent-1', 'agent-1-again');
    await waitFor(() => acmeOnly.messages.some((m) => m.body['clientId'] === 'agent-1-again'), 'acme connect');
    await sleep(200);
    assert.deepEqual(acmeOnly.messages.filter((m) => m.body['clientId'] === 'agent-1-again').map((m) => m.topic), ['$tenants/acme/$aws/events/presence/connected/agent-1-again']);
  });

  test("a CONNECT the certificate's policy refuses is connect_failed with AUTHORIZATION_FAILED, in the device's tenant", async () => {
    const watcher = await agent('acme/watcher', 'acme-watcher-2', ['$aws/events/presence/connect_failed/+']);
    const globexWatcher = await agent('globex/watcher', 'globex-watcher-2', ['$aws/events/presence/connect_failed/+']);
    const picky = devices.get('acme/picky')!;
    await assert.rejects(connectClient(mqtts(), { ca: gh.caPem, cert: picky.certificatePem, key: picky.keyPem, clientId: 'impostor', protocolVersion: 5 }), /Not authorized/);
    await waitFor(() => watcher.messages.length > 0, 'connect_failed event');
    const [failed] = watcher.messages;
    assert.equal(failed?.topic, '$aws/events/presence/connect_failed/impostor');
    assert.deepEqual(Object.keys(failed!.body), ['clientId', 'timestamp', 'eventType', 'connectFailureReason', 'principalIdentifier', 'sessionIdentifier', 'ipAddress']);
    assert.equal(failed?.body['eventType'], 'connect_failed');
    assert.equal(failed?.body['connectFailureReason'], 'AUTHORIZATION_FAILED');
    assert.equal(failed?.body['principalIdentifier'], picky.certificateId);
    assert.equal(failed?.body['ipAddress'], '127.0.0.1');
    await sleep(200);
    assert.deepEqual(globexWatcher.messages, []);
    // Allowed as itself: a normal connect, and no connect_failed for it.
    await agent('acme/picky', 'picky');
    await sleep(200);
    assert.equal(watcher.messages.length, 1);
  });
});
