// IoT policies enforced on live connections, black-box over real TLS with Gatehouse-issued
// certificates: the per-thing policy `customer-1/${iot:Connection.Thing.ThingName}/*` keeps each agent
// to its own topics; denials answer as AWS IoT does on MQTT 5 and 3.1.1; source-IP conditions; and a
// detached or changed policy reaches a live connection within a second.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IClientOptions, MqttClient } from 'mqtt';
import { connectClient, startGatehouse, subackCodes, type TestGatehouse } from '../helpers/index.ts';
import { onboardDevice, requestJson, type JsonAnswer, type OnboardedDevice } from '../identity/onboarding-kit.ts';

const perThing = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: 'arn:aws:iot:*:*:topic/customer-1/${iot:Connection.Thing.ThingName}/*' },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topicfilter/customer-1/${iot:Connection.Thing.ThingName}/*' },
  ],
};

describe('IoT policies on live connections', () => {
  let gh: TestGatehouse;
  const devices = new Map<string, OnboardedDevice>();
  const open: MqttClient[] = [];
  const admin = (path: string, options: { method?: string; body?: unknown } = {}): Promise<JsonAnswer> =>
    requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` }, ...options });

  before(async () => {
    gh = await startGatehouse({ store: 'sqlite', config: { listeners: { mqtts: { allowAnonymous: false } }, auth: { unattachedPolicy: 'deny' } } });
    for (const id of ['acme', 'iplab']) await ok(admin('/v1/tenants', { body: { id } }));
    const server = { adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem };
    for (const [tenant, thing] of [['acme', 'agent-1'], ['acme', 'agent-2'], ['acme', 'agent-3'], ['iplab', 'lab-1']] as const) {
      devices.set(thing, await onboardDevice(server, thing, { tenant }));
    }
    await ok(admin('/v1/tenants/acme/policies/per-thing', { method: 'PUT', body: { policyDocument: perThing } }));
    await ok(admin('/v1/tenants/acme/policies/per-thing/targets/tenant/acme', { method: 'PUT' }));
  });
  after(async () => {
    await Promise.all(open.map((client) => client.endAsync(true)));
    await gh.stop();
  });

  async function connect(thing: string, options: IClientOptions = {}, messages: string[] = []): Promise<MqttClient> {
    const device = devices.get(thing)!;
    const { client } = await connectClient(gh.urls.mqtts.replace('127.0.0.1', 'localhost'), {
      ca: gh.caPem, cert: device.certificatePem, key: device.keyPem, clientId: thing, protocolVersion: 5, ...options,
    }, (topic, payload) => messages.push(`${topic} ${String(payload)}`));
    open.push(client);
    return client;
  }

  test('each agent uses its own topics only (MQTT 5: SUBACK and PUBACK 0x87)', async () => {
    const inbox: string[] = [];
    const agent = await connect('agent-1', {}, inbox);
    assert.deepEqual(await subackCodes(agent, 'customer-1/agent-1/#'), [1]);
    assert.deepEqual(await subackCodes(agent, 'customer-1/agent-2/#'), [0x87]);
    assert.deepEqual(await subackCodes(agent, '#'), [0x87]);
    await agent.publishAsync('customer-1/agent-1/status', 'up', { qos: 1 });
    await assert.rejects(agent.publishAsync('customer-1/agent-2/cmd', 'reboot', { qos: 1 }), (error: { code?: number }) => error.code === 0x87);
    await waitFor(() => inbox.includes('customer-1/agent-1/status up'));
    assert.deepEqual(inbox, ['customer-1/agent-1/status up']);

    const denied = await metric('gatehouse_authorization_denied_total');
    assert.ok(denied >= 3, `denials are counted (${denied})`);
  });

  test('MQTT 3.1.1 as AWS IoT: SUBACK 0x80 for a refused filter, disconnect for a refused publish', async () => {
    const agent = await connect('agent-2', { protocolVersion: 4 });
    assert.deepEqual(await subackCodes(agent, 'customer-1/agent-1/#'), [0x80]);
    const closed = new Promise<void>((resolve) => agent.once('close', () => resolve()));
    agent.publish('customer-1/agent-1/cmd', 'spoof', { qos: 1 });
    await closed;
  });

  test('a client id that is not the thing name is refused at CONNECT (iot:Connect)', async () => {
    await assert.rejects(connect('agent-3', { clientId: 'not-agent-3' }), /Not authorized/);
  });

  test('detaching the policy stops a live subscription within a second; attaching it again restores it', async () => {
    const inbox: string[] = [];
    const agent = await connect('agent-3', {}, inbox);
    assert.deepEqual(await subackCodes(agent, 'customer-1/agent-3/#'), [1]);
    await gh.running.broker.admin.publish({ topic: 'customer-1/agent-3/cmd', tenant: 'acme', payload: Buffer.from('before'), qos: 0, retain: false });
    await waitFor(() => inbox.length === 1);

    const detachedAt = performance.now();
    await ok(admin('/v1/tenants/acme/policies/per-thing/targets/tenant/acme', { method: 'DELETE' }));
    // Publish every 50 ms until the agent stops receiving: that is when Receive is refused.
    let last = inbox.length;
    let quietSince = performance.now();
    while (performance.now() - quietSince < 300) {
      await gh.running.broker.admin.publish({ topic: 'customer-1/agent-3/cmd', tenant: 'acme', payload: Buffer.from('during'), qos: 0, retain: false });
      await delay(50);
      if (inbox.length !== last) {
        last = inbox.length;
        quietSince = performance.now();
      }
      assert.ok(performance.now() - detachedAt < 3000, 'deliveries never stopped');
    }
    const tookMs = quietSince - detachedAt;
    assert.ok(tookMs < 1000, `the detach reached the live connection after ${tookMs.toFixed(0)} ms`);

    await ok(admin('/v1/tenants/acme/policies/per-thing/targets/tenant/acme', { method: 'PUT' }));
    const before = inbox.length;
    await waitFor(async () => {
      await gh.running.broker.admin.publish({ topic: 'customer-1/agent-3/cmd', tenant: 'acme', payload: Buffer.from('after'), qos: 0, retain: false });
      return inbox.length > before;
    }, 1000);
  });

  test('a new default version with a Deny applies to a live connection within a second', async () => {
    const agent = await connect('agent-1', { clientId: 'agent-1' });
    await agent.publishAsync('customer-1/agent-1/secret/x', 'ok', { qos: 1 });
    const withDeny = { ...perThing, Statement: [...perThing.Statement, { Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/customer-1/*/secret/*' }] };
    await ok(admin('/v1/tenants/acme/policies/per-thing', { method: 'PUT', body: { policyDocument: withDeny, setAsDefault: true } }));
    await waitFor(async () => {
      try {
        await agent.publishAsync('customer-1/agent-1/secret/x', 'again', { qos: 1 });
        return false;
      } catch (error) {
        return (error as { code?: number }).code === 0x87;
      }
    }, 1000);
  });

  test('source-IP conditions: allowed from 127.0.0.0/8, refused when the policy names 10.0.0.0/8', async () => {
    const fromLoopback = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } } }] };
    await ok(admin('/v1/tenants/iplab/policies/lab', { method: 'PUT', body: { policyDocument: fromLoopback } }));
    await ok(admin('/v1/tenants/iplab/policies/lab/targets/tenant/iplab', { method: 'PUT' }));
    const lab = await connect('lab-1');
    await lab.endAsync();

    const fromOffice = { ...fromLoopback, Statement: [{ ...fromLoopback.Statement[0], Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }] };
    await ok(admin('/v1/tenants/iplab/policies/lab', { method: 'PUT', body: { policyDocument: fromOffice, setAsDefault: true } }));
    await waitFor(async () => {
      try {
        (await connect('lab-1')).end(true);
        return false;
      } catch {
        return true;
      }
    }, 2000);
  });

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`${gh.urls.admin}/metrics`, { headers: { authorization: `Bearer ${gh.adminKey}` } })).text();
    return text.split('\n').filter((line) => line.startsWith(name)).reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  }
});

async function ok(answer: Promise<JsonAnswer>): Promise<JsonAnswer> {
  const done = await answer;
  assert.ok(done.status >= 200 && done.status < 300, `${done.status} ${JSON.stringify(done.body)}`);
  return done;
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await delay(25);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
