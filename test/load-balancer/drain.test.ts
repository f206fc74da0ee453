// The graceful drain (what SIGTERM starts): /readyz turns 503 on the admin and the agent port,
// no new connections, MQTT 5 clients are sent elsewhere with DISCONNECT 0x9C and a Server
// Reference (0x8B without one), 3.1.1 clients are closed, all at the configured pace.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { IDisconnectPacket, MqttClient } from 'mqtt';
import { connectClient, httpRequest, startGatehouse, type TestGatehouse } from '../helpers/index.ts';

interface Ended {
  readonly at: number;
  readonly disconnect?: IDisconnectPacket;
}

/** Resolves when the client's connection ends, with the server's DISCONNECT if it sent one. */
function ended(client: MqttClient): Promise<Ended> {
  let disconnect: IDisconnectPacket | undefined;
  client.on('disconnect', (packet) => (disconnect = packet));
  return new Promise((resolve) => client.once('close', () => resolve({ at: Date.now(), ...(disconnect === undefined ? {} : { disconnect }) })));
}

describe('graceful drain', () => {
  const servers: TestGatehouse[] = [];
  const clients: MqttClient[] = [];
  after(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await Promise.all(servers.map((gh) => gh.stop()));
  });

  async function start(drain: { serverReference?: string; ratePerSecond: number }): Promise<TestGatehouse> {
    const gh = await startGatehouse({ config: { drain: { ...drain, timeoutMs: 10_000 } } });
    servers.push(gh);
    return gh;
  }

  async function connect(gh: TestGatehouse, clientId: string, protocolVersion: 4 | 5): Promise<MqttClient> {
    const { client } = await connectClient(gh.urls.mqtt, { clientId, protocolVersion });
    clients.push(client);
    return client;
  }

  test('MQTT 5 clients get 0x9C with the server reference, 3.1.1 clients are closed, paced, while /readyz is 503', async () => {
    const gh = await start({ serverReference: 'mqtt-b.example.com:8883', ratePerSecond: 4 });
    const v5 = await connect(gh, 'v5', 5);
    const v311 = await Promise.all(['a', 'b', 'c'].map((id) => connect(gh, `v311-${id}`, 4)));
    const ends = [ended(v5), ...v311.map(ended)];
    const agentReady = `https://127.0.0.1:${gh.ports.wss}/readyz`;
    assert.equal((await fetch(`${gh.urls.admin}/readyz`)).status, 200);
    assert.equal((await httpRequest(agentReady, { ca: gh.caPem })).status, 200);

    const began = Date.now();
    const drain = gh.running.drain();
    const ready = await fetch(`${gh.urls.admin}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'not-ready', reasons: ['draining'] });
    assert.equal((await fetch(`${gh.urls.admin}/healthz`)).status, 200, 'alive while draining');
    // No new connections: the MQTT listeners stopped accepting.
    await assert.rejects(connectClient(gh.urls.mqtt, { clientId: 'late', connectTimeout: 1000 }));

    const [v5End, ...v311Ends] = await Promise.all(ends);
    assert.equal(v5End?.disconnect?.reasonCode, 0x9c);
    assert.equal(v5End?.disconnect?.properties?.serverReference, 'mqtt-b.example.com:8883');
    for (const end of v311Ends) assert.equal(end.disconnect, undefined, '3.1.1 has no DISCONNECT from the server');
    // 4 clients at 4 a second: one at once, the last about 750 ms later.
    const last = Math.max(...[v5End, ...v311Ends].map((end) => end!.at));
    assert.ok(last - began >= 600, `paced: the last client went after ${last - began} ms`);
    await drain.done;
  });

  test('without a server reference MQTT 5 clients get 0x8B, and hurry() ends the drain at once', async () => {
    const gh = await start({ ratePerSecond: 1 });
    const v5 = await Promise.all(['x', 'y', 'z'].map((id) => connect(gh, id, 5)));
    const ends = v5.map(ended);
    const began = Date.now();
    const drain = gh.running.drain();
    assert.equal(gh.running.drain(), drain, 'one drain');
    await new Promise((resolve) => setTimeout(resolve, 100));
    drain.hurry();
    const all = await Promise.all(ends);
    for (const end of all) assert.equal(end.disconnect?.reasonCode, 0x8b);
    assert.ok(Math.max(...all.map((end) => end.at)) - began < 900, 'at 1 a second the third would have waited 2 s');
    await drain.done;
    assert.equal((await fetch(`${gh.urls.admin}/readyz`).catch(() => undefined))?.status ?? 'closed', 'closed', 'the node is gone once drained');
  });
});
