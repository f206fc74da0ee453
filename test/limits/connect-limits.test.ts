/** Client identifier length and the connection limit, both refused in CONNACK. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectWith, startGatehouse, type RawMqtt, type TestGatehouse } from '../helpers/index.js';

let server: TestGatehouse;

before(async () => {
  server = await startGatehouse({ limits: { maxClientIdLength: 24, maxConnections: 3 } });
});

after(async () => {
  await server.stop();
});

describe('maxClientIdLength', () => {
  it('refuses a longer client id with CONNACK 0x85 (MQTT 5) and return code 2 (3.1.1)', async () => {
    const ok = await connectWith(server.urls.mqtt, 5, { clientId: 'c'.repeat(24) }, { waitMs: 5000 });
    assert.equal(ok.connack.reasonCode, 0);
    ok.client.destroy();
    const v5 = await connectWith(server.urls.mqtt, 5, { clientId: 'c'.repeat(25) }, { waitMs: 5000 });
    assert.equal(v5.connack.reasonCode, 0x85);
    await v5.client.closed();
    const v4 = await connectWith(server.urls.mqtt, 4, { clientId: 'c'.repeat(25) }, { waitMs: 5000 });
    assert.equal(v4.connack.returnCode, 2);
    await v4.client.closed();
  });
});

describe('maxConnections', () => {
  it('refuses the connection past the limit with CONNACK 0x89 Server busy, and accepts again once one closes', async () => {
    const open: RawMqtt[] = [];
    for (let i = 0; i < 3; i++) {
      const { client, connack } = await connectWith(server.urls.mqtt, 5, { clientId: `conn-${i}` }, { waitMs: 5000 });
      assert.equal(connack.reasonCode, 0);
      open.push(client);
    }
    const busy = await connectWith(server.urls.mqtt, 5, { clientId: 'conn-busy' }, { waitMs: 5000 });
    assert.equal(busy.connack.reasonCode, 0x89);
    await busy.client.closed();
    const busy4 = await connectWith(server.urls.mqtt, 4, { clientId: 'conn-busy-4' }, { waitMs: 5000 });
    assert.equal(busy4.connack.returnCode, 3, '3.1.1: Server unavailable');
    await busy4.client.closed();
    assert.equal(server.broker.admin.counters.connections, 3);

    const leaving = open.pop()!;
    leaving.destroy();
    await leaving.closed();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await connectWith(server.urls.mqtt, 5, { clientId: 'conn-again' }, { waitMs: 5000 });
    assert.equal(again.connack.reasonCode, 0);
    again.client.destroy();
    for (const client of open) client.destroy();
  });
});
