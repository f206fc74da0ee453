/**
 * aws-iot-device-sdk-v2, unmodified, over MQTT 5 with a certificate from Gatehouse's onboarding: its
 * IotShadowClientv2 for requests (replies matched by clientToken) and IotShadowClient for the delta
 * and documents events. Classic shadow: get (404), update, update with the right and a stale version,
 * get, delete. Named shadow: live delta and documents; desired state the backend wrote through the
 * admin API while the agent was offline, delivered from its session when it reconnects and shown by
 * get; applied, reported, deleted.
 *
 * Events go through IotShadowClient rather than IotShadowClientv2's streaming operations: in aws-crt
 * 1.x a created StreamingOperation keeps Node's event loop alive for good, closed or not, so the test
 * process would never end.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { iot, iotshadow, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import type { TestGatehouse } from '../helpers/index.ts';
import { adminShadow, collectClosedCrtClients, onboard, startShadowGatehouse, type Json, type OnboardedDevice } from './shadow-kit.ts';

const THING = 'v2-agent';

interface Agent {
  readonly client: mqtt5.Mqtt5Client;
  /** Requests (get, update, delete), matched to their replies by clientToken. */
  readonly shadow: iotshadow.IotShadowClientv2;
  /** Events (delta, documents). */
  readonly events: iotshadow.IotShadowClient;
}

/** The modeled error (AWS's `{code, message, clientToken}`) of a rejected v2 request. */
async function refusal(request: Promise<unknown>): Promise<Json> {
  try {
    await request;
  } catch (error) {
    const modeled = (error as { modeledError?: Json }).modeledError;
    assert.ok(modeled !== undefined, `a service error with AWS's body, got ${String(error)}`);
    return modeled;
  }
  assert.fail('the request was accepted');
}

async function waitForEvents<T>(events: T[], count: number, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (events.length < count) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what} (have ${events.length})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('aws-iot-device-sdk-v2 IotShadowClientv2 over MQTT 5', () => {
  let gh: TestGatehouse;
  let device: OnboardedDevice;
  const running: Agent[] = [];

  before(async () => {
    gh = await startShadowGatehouse();
    device = await onboard(gh, THING);
  });
  after(async () => {
    for (const agent of [...running]) await stopAgent(agent);
    await gh?.stop();
    collectClosedCrtClients();
  });

  /**
   * An MQTT 5 client with the agent's certificate and the two shadow clients on it. `persistent`: a
   * session that outlives the connection (Session Expiry 300 s, rejoined on reconnect), so QoS 1
   * events published while the agent is away wait for it. `subscribe` runs before the client starts,
   * as an agent that subscribes first and connects second.
   */
  async function startAgent(options: { persistent?: boolean; subscribe?: (agent: Agent) => Promise<unknown> } = {}): Promise<Agent> {
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory('localhost', device.certificatePem, device.keyPem)
      .withCertificateAuthority(gh.caPem)
      .withPort(gh.ports.mqtts)
      .withConnectProperties({ clientId: THING, keepAliveIntervalSeconds: 60, ...(options.persistent === true ? { sessionExpiryIntervalSeconds: 300 } : {}) });
    if (options.persistent === true) builder.withSessionBehavior(mqtt5.ClientSessionBehavior.RejoinAlways);
    const client = new mqtt5.Mqtt5Client(builder.build());
    const shadow = iotshadow.IotShadowClientv2.newFromMqtt5(client, { maxRequestResponseSubscriptions: 6, maxStreamingSubscriptions: 2, operationTimeoutInSeconds: 10 });
    const agent: Agent = { client, shadow, events: iotshadow.IotShadowClient.newFromMqtt5Client(client) };
    running.push(agent);
    const subscribed = options.subscribe?.(agent);
    const connected = once(client, mqtt5.Mqtt5Client.CONNECTION_SUCCESS);
    client.start();
    await connected;
    await subscribed;
    return agent;
  }

  async function stopAgent(agent: Agent): Promise<void> {
    running.splice(running.indexOf(agent), 1);
    agent.shadow.close();
    const stopped = once(agent.client, mqtt5.Mqtt5Client.STOPPED);
    agent.client.stop();
    await stopped;
    agent.client.close();
  }

  test('classic shadow: get before it exists, update, update with a version, a stale version refused, get, delete', async () => {
    const agent = await startAgent();
    const { shadow } = agent;

    const missing = await refusal(shadow.getShadow({ thingName: THING }));
    assert.equal(missing['code'], 404);
    assert.equal(missing['message'], `No shadow exists with name: '${THING}'`);
    assert.equal(typeof missing['clientToken'], 'string', 'the SDK matched the rejection by its clientToken');

    const created = await shadow.updateShadow({ thingName: THING, state: { reported: { firmware: '2.0.0', interval: 60 } } });
    assert.equal(created.version, 1);
    assert.deepEqual(created.state, { reported: { firmware: '2.0.0', interval: 60 } });
    assert.equal(typeof created.clientToken, 'string');

    const versioned = await shadow.updateShadow({ thingName: THING, state: { reported: { interval: 30 } }, version: 1 });
    assert.equal(versioned.version, 2);

    const stale = await refusal(shadow.updateShadow({ thingName: THING, state: { reported: { interval: 15 } }, version: 1 }));
    assert.equal(stale['code'], 409);
    assert.equal(stale['message'], 'Version conflict');

    const read = await shadow.getShadow({ thingName: THING });
    assert.deepEqual(read.state, { reported: { firmware: '2.0.0', interval: 30 } }, 'the stale update changed nothing');
    assert.equal(read.version, 2);
    assert.equal(typeof (read.metadata?.reported as Json | undefined)?.['interval'], 'object');

    const deleted = await shadow.deleteShadow({ thingName: THING });
    assert.equal(deleted.version, 2);
    const gone = await refusal(shadow.getShadow({ thingName: THING }));
    assert.equal(gone['code'], 404);
    await stopAgent(agent);
  });

  test('named shadow: live delta and documents; desired written over REST while the agent was offline reaches it after it reconnects, it applies and reports', async () => {
    const deltas: iotshadow.model.ShadowDeltaUpdatedEvent[] = [];
    const documents: iotshadow.model.ShadowUpdatedEvent[] = [];
    const config = { thingName: THING, shadowName: 'config' };
    const first = await startAgent({
      persistent: true,
      subscribe: (agent) => Promise.all([
        agent.events.subscribeToNamedShadowDeltaUpdatedEvents(config, mqtt.QoS.AtLeastOnce, (_error, event) => event !== undefined && deltas.push(event)),
        agent.events.subscribeToNamedShadowUpdatedEvents(config, mqtt.QoS.AtLeastOnce, (_error, event) => event !== undefined && documents.push(event)),
      ]),
    });

    await first.shadow.updateNamedShadow({ ...config, state: { reported: { sampling: 60, mode: 'normal' } } });
    // The backend pushes a change while the agent is online: the delta arrives at once.
    const live = await adminShadow(gh, 'POST', { tenant: 'default', thing: THING, name: 'config', body: { state: { desired: { sampling: 30 } } } });
    assert.equal(live.status, 200, live.text);
    await waitForEvents(deltas, 1, 'the live delta');
    assert.deepEqual(deltas[0]?.state, { sampling: 30 });
    assert.equal(deltas[0]?.version, 2);
    await waitForEvents(documents, 2, 'two documents events');
    assert.equal(documents[1]?.previous?.version, 1);
    assert.deepEqual(documents[1]?.current?.state, { desired: { sampling: 30 }, reported: { sampling: 60, mode: 'normal' } });

    const reported = await first.shadow.updateNamedShadow({ ...config, state: { reported: { sampling: 30 } }, version: 2 });
    assert.equal(reported.version, 3);
    assert.equal(deltas.length, 1, 'reporting the desired value sends no delta');
    await stopAgent(first);

    // Offline: the backend writes the next configuration.
    const pushed = await adminShadow(gh, 'POST', { tenant: 'default', thing: THING, name: 'config', body: { state: { desired: { sampling: 5, mode: 'eco' } } } });
    assert.equal(pushed.status, 200, pushed.text);
    assert.equal(pushed.body['version'], 4);

    // Back online on the same session, subscribed again: the delta queued while it was away arrives.
    const queued: iotshadow.model.ShadowDeltaUpdatedEvent[] = [];
    const back = await startAgent({
      persistent: true,
      subscribe: (agent) => agent.events.subscribeToNamedShadowDeltaUpdatedEvents(config, mqtt.QoS.AtLeastOnce, (_error, event) => event !== undefined && queued.push(event)),
    });
    await waitForEvents(queued, 1, 'the delta written while the agent was offline');
    assert.deepEqual(queued[0]?.state, { sampling: 5, mode: 'eco' });
    assert.equal(queued[0]?.version, 4);
    // And the get an agent makes on every reconnect shows the same delta.
    const current = await back.shadow.getNamedShadow(config);
    assert.equal(current.version, 4);
    assert.deepEqual(current.state?.delta, { sampling: 5, mode: 'eco' });

    const applied = await back.shadow.updateNamedShadow({ ...config, state: { reported: { sampling: 5, mode: 'eco' } }, version: current.version ?? 0 });
    assert.equal(applied.version, 5);
    const synced = await back.shadow.getNamedShadow(config);
    assert.equal(synced.state?.delta, undefined, 'nothing left to apply');

    const deleted = await back.shadow.deleteNamedShadow(config);
    assert.equal(deleted.version, 5);
    const gone = await refusal(back.shadow.getNamedShadow(config));
    assert.equal(gone['code'], 404);
    assert.equal(gone['message'], "No shadow exists with name: 'config'");
    await stopAgent(back);
  });
});
