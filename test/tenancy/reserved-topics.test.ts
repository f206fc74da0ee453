// AWS's reserved reply and event topics are the server's to publish: a client that could would forge
// shadow deltas, job notifications or presence events for its whole tenant. Black-box over MQTT.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { connectClient, sleep, startGatehouse, type TestGatehouse } from '../helpers/index.ts';

describe('reserved $aws topics', () => {
  let gh: TestGatehouse;
  const open: MqttClient[] = [];
  before(async () => {
    gh = await startGatehouse();
  });
  after(async () => {
    await Promise.all(open.map((client) => client.endAsync(true)));
    await gh.stop();
  });

  async function client(clientId: string, protocolVersion: 4 | 5, heard?: string[]): Promise<MqttClient> {
    const { client } = await connectClient(gh.urls.mqtt, { clientId, protocolVersion, reconnectPeriod: 0 }, (topic) => heard?.push(topic));
    open.push(client);
    return client;
  }

  test('an MQTT 5 client hears 0x87 for a reply or event topic, and no subscriber gets it; request topics pass', async () => {
    const heard: string[] = [];
    const watcher = await client('watcher', 5, heard);
    await watcher.subscribeAsync(['$aws/things/agent-7/shadow/#', '$aws/events/#', '$aws/things/agent-7/jobs/#'], { qos: 1 });
    const forger = await client('forger', 5);
    for (const topic of [
      '$aws/things/agent-7/shadow/update/delta',
      '$aws/things/agent-7/shadow/name/config/update/accepted',
      '$aws/things/agent-7/jobs/notify-next',
      '$aws/events/presence/connected/agent-7',
      '$aws/anything-else',
    ]) {
      // MQTT.js turns a PUBACK with a failure reason code into a rejected publish.
      await assert.rejects(forger.publishAsync(topic, '{"state":{"port":1}}', { qos: 1 }), (error: { code?: number }) => error.code === 0x87, `${topic} is refused with Not authorized`);
    }
    // A request topic is accepted (MQTT.js resolves only for a success reason code).
    await forger.publishAsync('$aws/things/agent-7/shadow/get', '', { qos: 1 });
    await sleep(300);
    // The server's own presence events and the shadow's answers do arrive; the forged payload never does.
    assert.ok(heard.includes('$aws/events/presence/connected/forger'), 'real events reach the watcher');
    assert.deepEqual(heard.filter((topic) => topic.includes('/update/') || topic.includes('/jobs/') || topic.endsWith('/connected/agent-7') || topic === '$aws/anything-else'), [], 'nothing forged reached the subscriber');
    assert.ok(forger.connected, 'an MQTT 5 client stays connected');
  });

  test('an MQTT 3.1.1 client that publishes to a reserved reply topic is disconnected, as AWS IoT does', async () => {
    const forger = await client('forger-311', 4);
    const closed = new Promise<void>((resolve) => forger.once('close', () => resolve()));
    forger.publish('$aws/things/agent-7/shadow/update/accepted', '{}', { qos: 1 });
    await closed;
  });
});
