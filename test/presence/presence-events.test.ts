// AWS IoT's lifecycle events, black-box over MQTT: the connected, disconnected (one per way a
// connection ends), subscribed and unsubscribed payloads an observer in the same tenant receives.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { connectClient, RawMqtt, sleep, startGatehouse, waitFor, type TestGatehouse } from '../helpers/index.ts';

interface Received {
  readonly topic: string;
  readonly body: Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('presence events', () => {
  let gh: TestGatehouse;
  let observer: MqttClient;
  const events: Received[] = [];
  const open: MqttClient[] = [];

  before(async () => {
    gh = await startGatehouse();
    ({ client: observer } = await connectClient(gh.urls.mqtt, { clientId: 'observer', protocolVersion: 5 }, (topic, payload) => {
      events.push({ topic, body: JSON.parse(String(payload)) as Record<string, unknown> });
    }));
    await observer.subscribeAsync(['$aws/events/presence/+/+', '$aws/events/subscriptions/+/+'], { qos: 1 });
  });
  after(async () => {
    await Promise.all(open.map((client) => client.endAsync(true)));
    await observer.endAsync();
    await gh.stop();
  });

  /** The events about `clientId` so far, waiting until there are at least `count`. */
  async function eventsOf(clientId: string, count: number): Promise<Received[]> {
    await waitFor(() => events.filter((event) => event.body['clientId'] === clientId).length >= count, `${count} events of ${clientId}`);
    return events.filter((event) => event.body['clientId'] === clientId);
  }

  async function agent(clientId: string, options: Parameters<typeof connectClient>[1] = {}): Promise<MqttClient> {
    const { client } = await connectClient(gh.urls.mqtt, { clientId, protocolVersion: 5, ...options });
    open.push(client);
    return client;
  }

  test('connected and a clean disconnect carry AWS\'s fields, with one session id and version for both', async () => {
    const before = Date.now();
    const client = await agent('agent-clean');
    await client.endAsync();
    const [connected, disconnected] = await eventsOf('agent-clean', 2);
    assert.equal(connected?.topic, '$aws/events/presence/connected/agent-clean');
    assert.deepEqual(Object.keys(connected!.body), ['clientId', 'timestamp', 'eventType', 'sessionIdentifier', 'principalIdentifier', 'ipAddress', 'versionNumber']);
    const body = connected!.body;
    assert.equal(body['eventType'], 'connected');
    assert.equal(body['principalIdentifier'], 'anonymous');
    assert.equal(body['ipAddress'], '127.0.0.1');
    assert.match(String(body['sessionIdentifier']), UUID);
    assert.ok(Number(body['timestamp']) >= before && Number(body['timestamp']) <= Date.now(), 'timestamp in epoch ms');
    assert.ok(Number.isSafeInteger(body['versionNumber']));

    assert.equal(disconnected?.topic, '$aws/events/presence/disconnected/agent-clean');
    assert.deepEqual(disconnected!.body, {
      clientId: 'agent-clean',
      timestamp: disconnected!.body['timestamp'],
      eventType: 'disconnected',
      sessionIdentifier: body['sessionIdentifier'],
      principalIdentifier: 'anonymous',
      clientInitiatedDisconnect: true,
      disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
      versionNumber: body['versionNumber'],
    });
    assert.deepEqual(Object.keys(disconnected!.body), ['clientId', 'timestamp', 'eventType', 'sessionIdentifier', 'principalIdentifier', 'clientInitiatedDisconnect', 'disconnectReason', 'versionNumber']);
  });

  test('a keepalive timeout is MQTT_KEEP_ALIVE_TIMEOUT, not client-initiated', async () => {
    const raw = await RawMqtt.connect(gh.urls.mqtt);
    await raw.handshake({ clientId: 'agent-silent', keepalive: 1 });
    // 1.5 x 1 s without a packet, found by the once-a-second sweep.
    await raw.closed(4000);
    const [, disconnected] = await eventsOf('agent-silent', 2);
    assert.equal(disconnected?.body['disconnectReason'], 'MQTT_KEEP_ALIVE_TIMEOUT');
    assert.equal(disconnected?.body['clientInitiatedDisconnect'], false);
  });

  test('a second connection with the same client id ends the first with DUPLICATE_CLIENTID, and its version is higher', async () => {
    await agent('agent-twice');
    await agent('agent-twice');
    const [first, taken, second] = await eventsOf('agent-twice', 3);
    assert.deepEqual([first?.body['eventType'], taken?.body['eventType'], second?.body['eventType']], ['connected', 'disconnected', 'connected']);
    assert.equal(taken?.body['disconnectReason'], 'DUPLICATE_CLIENTID');
    assert.equal(taken?.body['versionNumber'], first?.body['versionNumber'], 'the disconnect repeats its connection\'s version');
    assert.ok(Number(second?.body['versionNumber']) > Number(first?.body['versionNumber']));
    assert.notEqual(second?.body['sessionIdentifier'], first?.body['sessionIdentifier'], 'clean start: a new session');
  });

  test('an operator\'s kick through the admin API is API_INITIATED_DISCONNECT', async () => {
    await agent('agent-kicked');
    await eventsOf('agent-kicked', 1);
    const answer = await fetch(`${gh.urls.admin}/v1/clients/agent-kicked`, { method: 'DELETE', headers: { authorization: `Bearer ${gh.adminKey}` } });
    assert.equal(answer.status, 204);
    const [, disconnected] = await eventsOf('agent-kicked', 2);
    assert.equal(disconnected?.body['disconnectReason'], 'API_INITIATED_DISCONNECT');
  });

  test('a dropped socket is CONNECTION_LOST, and a protocol violation CLIENT_ERROR', async () => {
    const dropped = await RawMqtt.connect(gh.urls.mqtt);
    await dropped.handshake({ clientId: 'agent-dropped' });
    dropped.destroy();
    const violator = await RawMqtt.connect(gh.urls.mqtt);
    await violator.handshake({ clientId: 'agent-violator' });
    // [MQTT-3.1.0-2] a second CONNECT is a protocol error.
    violator.send({ cmd: 'connect', protocolVersion: 4, clientId: 'agent-violator', clean: true, keepalive: 0 });
    await violator.closed();
    assert.equal((await eventsOf('agent-dropped', 2))[1]?.body['disconnectReason'], 'CONNECTION_LOST');
    assert.equal((await eventsOf('agent-violator', 2))[1]?.body['disconnectReason'], 'CLIENT_ERROR');
  });

  test('subscribed and unsubscribed list the filters that took effect, as the client wrote them', async () => {
    const client = await agent('agent-subscriber');
    await client.subscribeAsync(['site/+/status', '$share/workers/jobs/#'], { qos: 1 });
    await client.unsubscribeAsync(['site/+/status', 'never/subscribed']);
    const [, subscribed, unsubscribed] = await eventsOf('agent-subscriber', 3);
    assert.equal(subscribed?.topic, '$aws/events/subscriptions/subscribed/agent-subscriber');
    assert.deepEqual(Object.keys(subscribed!.body), ['clientId', 'timestamp', 'eventType', 'sessionIdentifier', 'principalIdentifier', 'topics']);
    assert.deepEqual(subscribed?.body['topics'], ['site/+/status', '$share/workers/jobs/#']);
    assert.equal(unsubscribed?.topic, '$aws/events/subscriptions/unsubscribed/agent-subscriber');
    assert.equal(unsubscribed?.body['eventType'], 'unsubscribed');
    assert.deepEqual(unsubscribed?.body['topics'], ['site/+/status']);
    assert.equal(unsubscribed?.body['sessionIdentifier'], subscribed?.body['sessionIdentifier']);
  });

  test('a client id with a wildcard character has no events', async () => {
    await agent('agent+plus');
    await agent('agent-after-plus');
    await eventsOf('agent-after-plus', 1);
    await sleep(100);
    assert.deepEqual(events.filter((event) => event.body['clientId'] === 'agent+plus'), []);
  });
});
