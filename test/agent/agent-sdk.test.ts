/**
 * The agent SDK against a real Gatehouse: onboarded certificate, mqtts and wss, own topics, retained
 * configuration, commands with replies on MQTT 5 and 3.1.1, and the shadow's delta applied and reported.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { Agent } from '../../packages/agent/src/index.ts';
import { connectClient, waitFor, type TestGatehouse } from '../helpers/index.ts';
import { endpointsOf, eventually, nextEvent, onboard, removeQueueDirs, startAgent, startAgentGatehouse, type OnboardedDevice } from './agent-kit.ts';

describe('agent SDK against Gatehouse', () => {
  let gh: TestGatehouse;
  let device: OnboardedDevice;
  let backend: MqttClient;
  const agents: Agent[] = [];

  before(async () => {
    gh = await startAgentGatehouse();
    device = await onboard(gh, 'pump-7');
    // The backend: anonymous on the loopback TCP listener, unrestricted in the default tenant.
    ({ client: backend } = await connectClient(gh.urls.mqtt, { clientId: 'backend', protocolVersion: 5 }));
  });
  after(async () => {
    await Promise.all(agents.map((agent) => agent.close()));
    await backend.endAsync();
    await gh.stop();
    await removeQueueDirs();
  });

  for (const transport of ['mqtts', 'wss'] as const) {
    test(`connects over ${transport} with its certificate, publishes and receives on its own topics`, async () => {
      const agent = await startAgent(gh, device, { endpoints: [endpointsOf(gh)[transport]], clientId: `pump-7-${transport}` });
      agents.push(agent);
      const connected = await nextEvent(agent, 'connected');
      assert.equal(connected.endpoint, endpointsOf(gh)[transport]);
      assert.equal(agent.topic('telemetry'), 'acme/pump-7/telemetry');

      const inbox: string[] = [];
      await agent.subscribe(`inbox-${transport}`, (message) => {
        inbox.push(`${message.subject} ${message.text()}`);
      });
      await backend.publishAsync(`acme/pump-7/inbox-${transport}`, 'hello agent', { qos: 1 });
      await waitFor(() => inbox.length === 1, 'the backend\'s message at the agent');
      assert.deepEqual(inbox, [`inbox-${transport} hello agent`]);

      const seen: string[] = [];
      const onMessage = (topic: string, payload: Buffer): void => void seen.push(`${topic} ${payload.toString()}`);
      backend.on('message', onMessage);
      await backend.subscribeAsync(`acme/pump-7/telemetry-${transport}`, { qos: 1 });
      await agent.publish(`telemetry-${transport}`, JSON.stringify({ rpm: 1200 }));
      await waitFor(() => seen.length === 1, 'the agent\'s telemetry at the backend');
      backend.off('message', onMessage);
      assert.deepEqual(seen, [`acme/pump-7/telemetry-${transport} {"rpm":1200}`]);

      const clients = await adminClients(gh);
      const entry = clients.find((client) => client['clientId'] === `pump-7-${transport}`);
      assert.equal((entry?.['principal'] as Record<string, unknown> | undefined)?.['kind'], 'certificate', JSON.stringify(entry));
      assert.deepEqual(agent.errors, []);
      await agent.close();
    });
  }

  test('configuration comes from the retained message when it subscribes, and from each change', async () => {
    await backend.publishAsync('acme/pump-7/config', JSON.stringify({ rate: 5 }), { qos: 1, retain: true });
    const agent = await startAgent(gh, device, { endpoints: [endpointsOf(gh).mqtts], clientId: 'pump-7-config' });
    agents.push(agent);
    const configs: unknown[] = [];
    await agent.onConfig((config) => void configs.push(config));
    await nextEvent(agent, 'connected');
    await waitFor(() => configs.length === 1, 'the retained configuration');
    await backend.publishAsync('acme/pump-7/config', JSON.stringify({ rate: 9 }), { qos: 1, retain: true });
    await waitFor(() => configs.length === 2, 'the changed configuration');
    assert.deepEqual(configs, [{ rate: 5 }, { rate: 9 }]);
    await agent.close();
  });

  for (const protocolVersion of [5, 4] as const) {
    test(`answers commands: MQTT ${protocolVersion === 5 ? '5 response topic and correlation data' : '3.1.1 reply topic in the payload'}`, async () => {
      const agent = await startAgent(gh, device, { endpoints: [endpointsOf(gh).mqtts], clientId: `pump-7-cmd-${protocolVersion}`, protocolVersion });
      agents.push(agent);
      const received: unknown[] = [];
      await agent.onCommand('set-speed', ({ body }) => {
        received.push(body);
        const speed = (body as { speed?: unknown }).speed;
        if (typeof speed !== 'number') throw new Error('speed must be a number');
        return { speed, applied: true };
      });
      await nextEvent(agent, 'connected');
      
      const { client: requester } = await connectClient(gh.urls.mqtt, { clientId: `requester-${protocolVersion}`, protocolVersion });
      try {
        const replies: Array<{ payload: string; correlation?: string }> = [];
        requester.on('message', (_topic, payload, packet) => {
          const correlation = packet.properties?.correlationData;
          replies.push({ payload: payload.toString(), ...(correlation === undefined ? {} : { correlation: correlation.toString() }) });
        });
        await requester.subscribeAsync(`backend/replies/${protocolVersion}`, { qos: 1 });
        if (protocolVersion === 5) {
          const properties = (id: string) => ({ properties: { responseTopic: 'backend/replies/5', correlationData: Buffer.from(id) } });
          await requester.publishAsync('acme/pump-7/commands/set-speed', JSON.stringify({ speed: 3 }), { qos: 1, ...properties('req-1') });
          await requester.publishAsync('acme/pump-7/commands/set-speed', JSON.stringify({ speed: 'fast' }), { qos: 1, ...properties('req-2') });
          await waitFor(() => replies.length === 2, 'two replies');
          assert.deepEqual(replies, [
            { payload: '{"result":{"speed":3,"applied":true}}', correlation: 'req-1' },
            { payload: '{"error":{"message":"speed must be a number"}}', correlation: 'req-2' },
          ]);
        } else {
          const envelope = (id: string, request: unknown) => JSON.stringify({ replyTo: 'backend/replies/4', correlationId: id, request });
          await requester.publishAsync('acme/pump-7/commands/set-speed', envelope('req-1', { speed: 3 }), { qos: 1 });
          await requester.publishAsync('acme/pump-7/commands/set-speed', envelope('req-2', { speed: 'fast' }), { qos: 1 });
          await waitFor(() => replies.length === 2, 'two replies');
          assert.deepEqual(replies.map((reply) => JSON.parse(reply.payload)), [
            { correlationId: 'req-1', result: { speed: 3, applied: true } },
            { correlationId: 'req-2', error: { message: 'speed must be a number' } },
          ]);
        }
        assert.deepEqual(received, [{ speed: 3 }, { speed: 'fast' }]);
      } finally {
        await requester.endAsync();
        await agent.close();
      }
    });
  }

  test('the shadow delta waiting at connect and a later one are applied and reported', async () => {
    const shadowTopic = '$aws/things/pump-7/shadow';
    await backend.publishAsync(`${shadowTopic}/update`, JSON.stringify({ state: { desired: { mode: 'eco', rate: 5 } } }), { qos: 1 });
    const applied: unknown[] = [];
    const agent = await startAgent(gh, device, {
      endpoints: [endpointsOf(gh).mqtts],
      shadow: { onDelta: (delta) => (applied.push(delta), delta) },
    });
    agents.push(agent);
    await waitFor(() => applied.length === 1, 'the delta waiting at connect');
    assert.deepEqual(applied, [{ mode: 'eco', rate: 5 }]);
    const reportedOf = async (): Promise<Record<string, unknown>> => {
      const { client } = await connectClient(gh.urls.mqtt, { clientId: `reader-${Date.now()}` });
      try {
        const reply = new Promise<Record<string, unknown>>((resolve) => client.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString()) as Record<string, unknown>)));
        await client.subscribeAsync(`${shadowTopic}/get/accepted`, { qos: 1 });
        await client.publishAsync(`${shadowTopic}/get`, '{}', { qos: 1 });
        return await reply;
      } finally {
        await client.endAsync();
      }
    };
    await eventually(async () => ((await reportedOf())['state'] as Record<string, unknown>)['delta'] === undefined, 'the delta reported away');
    assert.deepEqual(((await reportedOf())['state'] as Record<string, unknown>)['reported'], { mode: 'eco', rate: 5 });

    await backend.publishAsync(`${shadowTopic}/update`, JSON.stringify({ state: { desired: { rate: 7 } } }), { qos: 1 });
    await waitFor(() => applied.length === 2, 'the live delta');
    assert.deepEqual(applied[1], { rate: 7 });
    await eventually(async () => (((await reportedOf())['state'] as Record<string, Record<string, unknown>>)['reported'] ?? {})['rate'] === 7, 'rate 7 reported');
    assert.deepEqual(agent.errors, []);
    await agent.close();
  });
});

async function adminClients(gh: TestGatehouse): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${gh.urls.admin}/v1/clients`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
  const body = (await response.json()) as { items?: Array<Record<string, unknown>> };
  return body.items ?? [];
}
