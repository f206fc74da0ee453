// Tenants as hard boundaries, black-box over real TLS with Gatehouse-issued certificates: agents of
// two tenants use the same plain topic names and client ids and never meet; the SaaS backend, as a
// service principal, addresses a granted tenant's topics as `$tenants/{tenant}/...` and nothing else.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT, importPKCS8 } from 'jose';
import type { MqttClient } from 'mqtt';
import { connectClient, startGatehouse, subackCodes, type TestGatehouse } from '../helpers/index.ts';
import { cliRunner } from '../../packages/server/src/cli/cli-test-kit.ts';
import { onboardDevice, requestJson, type OnboardedDevice } from '../identity/onboarding-kit.ts';

interface Inbox {
  readonly client: MqttClient;
  readonly messages: string[];
}

describe('tenants', () => {
  let gh: TestGatehouse;
  let dir: string;
  let acme: OnboardedDevice;
  let globex: OnboardedDevice;
  let signServiceToken: (tenants: string[] | '*') => Promise<string>;
  const open: MqttClient[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-tenants-'));
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(join(dir, 'backend.pem'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const key = await importPKCS8(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'ES256');
    signServiceToken = (tenants) => new SignJWT({ 'gatehouse:tenants': tenants }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('5m').sign(key);
    gh = await startGatehouse({
      store: 'sqlite',
      config: {
        listeners: { mqtts: { allowAnonymous: false } },
        auth: { authorizers: [{ name: 'backend', keysFile: join(dir, 'backend.pem'), tokenKeyName: 'token', tenantClaim: 'tenant', thingClaim: 'thing' }] },
      },
    });
    const server = { adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem };
    acme = await onboardDevice(server, 'agent-1', { tenant: 'acme' });
    globex = await onboardDevice(server, 'agent-1', { tenant: 'globex' });
  });
  after(async () => {
    await Promise.all(open.map((client) => client.endAsync()));
    await gh.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const mqtts = (): string => gh.urls.mqtts.replace('127.0.0.1', 'localhost');
  async function agent(device: OnboardedDevice, clientId = device.thing, filters: string[] = []): Promise<Inbox> {
    const messages: string[] = [];
    const { client } = await connectClient(mqtts(), { ca: gh.caPem, cert: device.certificatePem, key: device.keyPem, clientId, protocolVersion: 5 }, (topic, payload) => messages.push(`${topic} ${String(payload)}`));
    open.push(client);
    for (const filter of filters) await client.subscribeAsync(filter, { qos: 1 });
    return { client, messages };
  }
  async function service(tenants: string[] | '*', clientId: string): Promise<Inbox> {
    const messages: string[] = [];
    const token = await signServiceToken(tenants);
    const { client } = await connectClient(mqtts(), { ca: gh.caPem, clientId, protocolVersion: 5, username: `?x-amz-customauthorizer-name=backend&token=${token}` }, (topic, payload) => messages.push(`${topic} ${String(payload)}`));
    open.push(client);
    return { client, messages };
  }
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));

  test('two tenants use the same client id and topic names without meeting: live, retained and `#`', async () => {
    const a = await agent(acme, 'agent-1', ['#']);
    const g = await agent(globex, 'agent-1', ['#']);
    assert.equal(a.client.connected && g.client.connected, true, 'the same client id in two tenants is two sessions, no takeover');

    await a.client.publishAsync('site/agent-1/config', 'acme config', { qos: 1, retain: true });
    await g.client.publishAsync('site/agent-1/config', 'globex config', { qos: 1, retain: true });
    await settle();
    assert.deepEqual(a.messages, ['site/agent-1/config acme config'], 'acme sees its own message under its own name');
    assert.deepEqual(g.messages, ['site/agent-1/config globex config']);

    // A later `#` subscription gets its own tenant's retained message only.
    const late = await agent(globex, 'agent-1-late', ['#']);
    await settle();
    assert.deepEqual(late.messages, ['site/agent-1/config globex config']);

    const acmeRetained = await admin(`/v1/retained?tenant=acme`);
    assert.deepEqual((acmeRetained.body['items'] as Array<{ topic: string }>).map((item) => item.topic), ['site/agent-1/config']);
  });

  test("inside a tenant `#` does not reach its `$aws/...` topics; an explicit filter does", async () => {
    const wildcard = await agent(acme, 'acme-wildcard', ['#']);
    const shadow = await agent(acme, 'acme-shadow', ['$aws/things/agent-1/shadow/#']);
    const publisher = await agent(acme, 'acme-publisher');
    await publisher.client.publishAsync('$aws/things/agent-1/shadow/update', '{"state":{}}', { qos: 1 });
    await settle();
    assert.deepEqual(wildcard.messages.filter((message) => message.startsWith('$')), [], wildcard.messages.join('\n'));
    assert.ok(wildcard.messages.length > 0, 'the wildcard subscription works (the retained config reached it)');
    // The request itself, then the shadow service's answers in the same tenant.
    assert.deepEqual(shadow.messages.map((message) => message.split(' ')[0]), ['$aws/things/agent-1/shadow/update', '$aws/things/agent-1/shadow/update/accepted', '$aws/things/agent-1/shadow/update/documents']);
  });

  test('a service principal addresses its granted tenants by full name, and nothing else', async () => {
    const backend = await service(['acme'], 'backend-1');
    const granted = await backend.client.subscribeAsync('$tenants/acme/site/#', { qos: 1 });
    assert.deepEqual(granted.map((grant) => grant.qos), [1]);
    for (const filter of ['$tenants/globex/#', '$tenants/+/#', '#']) {
      assert.deepEqual(await subackCodes(backend.client, filter), [0x87], `${filter} is refused`);
    }

    const device = await agent(acme, 'acme-listener', ['site/agent-1/cmd']);
    const globexDevice = await agent(globex, 'globex-listener', ['site/agent-1/cmd']);
    await backend.client.publishAsync('$tenants/acme/site/agent-1/cmd', 'reboot', { qos: 1 });
    await assert.rejects(backend.client.publishAsync('$tenants/globex/site/agent-1/cmd', 'reboot', { qos: 1 }), (error: { code?: number }) => error.code === 0x87, 'PUBACK 0x87 for another tenant');
    await agent(acme, 'acme-speaker').then((speaker) => speaker.client.publishAsync('site/agent-1/status', 'up', { qos: 1 }));
    await settle();
    assert.deepEqual(device.messages, ['site/agent-1/cmd reboot'], 'the agent gets it under its own name');
    assert.deepEqual(globexDevice.messages, []);
    assert.ok(backend.messages.includes('$tenants/acme/site/agent-1/status up'), 'the backend sees full names');
    assert.ok(backend.messages.every((message) => message.startsWith('$tenants/acme/')), backend.messages.join('\n'));

    const everything = await service('*', 'backend-all');
    const all = await everything.client.subscribeAsync('$tenants/+/site/#', { qos: 1 });
    assert.deepEqual(all.map((grant) => grant.qos), [1], 'a service granted every tenant may subscribe across tenants');
  });

  test('the admin API names sessions by tenant and client id', async () => {
    const sessions = await admin('/v1/sessions?tenant=globex');
    const ids = (sessions.body['items'] as Array<{ clientId: string; tenant?: string }>).map((session) => `${session.tenant}/${session.clientId}`);
    assert.ok(ids.includes('globex/agent-1'), ids.join(', '));
    assert.ok(ids.every((id) => id.startsWith('globex/')), ids.join(', '));
    const one = await admin('/v1/sessions/agent-1?tenant=acme');
    assert.equal(one.status, 200);
    assert.deepEqual((one.body['subscriptions'] as Array<{ filter: string }>).map((s) => s.filter), ['#'], 'filters as the client wrote them');
  });


  test('the CLI names the tenant: publish into one, list its retained messages', async () => {
    const gatehouse = cliRunner(() => ({ apiUrl: gh.urls.admin, adminKey: gh.adminKey }));
    const listener = await agent(globex, 'globex-cli-listener', ['site/cli/#']);
    const published = await gatehouse('publish', '--tenant', 'globex', '--qos', '1', '--retain', 'site/cli/hello', 'from the CLI');
    assert.equal(published.code, 0, published.stderr);
    await settle();
    assert.deepEqual(listener.messages, ['site/cli/hello from the CLI']);
    const listed = await gatehouse('retained', 'list', '--tenant', 'globex', '--prefix', 'site/cli', '--json');
    assert.deepEqual((JSON.parse(listed.stdout) as { items: Array<{ topic: string }> }).items.map((item) => item.topic), ['site/cli/hello']);
    const elsewhere = await gatehouse('retained', 'get', 'site/cli/hello', '--tenant', 'acme');
    assert.notEqual(elsewhere.code, 0, 'acme has no such retained message');
  });

  function admin(path: string): ReturnType<typeof requestJson> {
    return requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
  }
});
