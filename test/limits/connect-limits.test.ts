/** Client identifier length and the connection limit, both refused in CONNACK. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient, startInProcessBroker, type InProcessBroker } from '../durability/fixtures.js';

let server: InProcessBroker;

before(async () => {
  server = await startInProcessBroker({ limits: { maxClientIdLength: 24, maxConnections: 3 } });
});

after(async () => {
  await server.close();
});

describe('maxClientIdLength', () => {
  it('refuses a longer client id with CONNACK 0x85 (MQTT 5) and return code 2 (3.1.1)', async () => {
    const ok = await RawClient.connect(server.port, { cmd: 'connect', clientId: 'c'.repeat(24), protocolVersion: 5, clean: true, keepalive: 0 });
    assert.equal(ok.connack.reasonCode, 0);
    ok.client.destroy();
    const v5 = await RawClient.connect(server.port, { cmd: 'connect', clientId: 'c'.repeat(25), protocolVersion: 5, clean: true, keepalive: 0 });
    assert.equal(v5.connack.reasonCode, 0x85);
    await v5.client.waitClosed();
    const v4 = await RawClient.connect(server.port, { cmd: 'connect', clientId: 'c'.repeat(25), protocolVersion: 4, clean: true, keepalive: 0 });
    assert.equal(v4.connack.returnCode, 2);
    await v4.client.waitClosed();
  });
});

describe('maxConnections', () => {
  it('refuses the connection past the limit with CONNACK 0x89 Server busy, and accepts again once one closes', async () => {
    const open: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      const { client, connack } = await RawClient.connect(server.port, { cmd: 'connect', clientId: `conn-${i}`, protocolVersion: 5, clean: true, keepalive: 0 });
      assert.equal(connack.reasonCode, 0);
      open.push(client);
    }
    const busy = await RawClient.connect(server.port, { cmd: 'connect', clientId: 'conn-busy', protocolVersion: 5, clean: true, keepalive: 0 });
    assert.equal(busy.connack.reasonCode, 0x89);
    await busy.client.waitClosed();
    const busy4 = await RawClient.connect(server.port, { cmd: 'connect', clientId: 'conn-busy-4', protocolVersion: 4, clean: true, keepalive: 0 });
    assert.equal(busy4.connack.returnCode, 3, '3.1.1: Server unavailable');
    await busy4.client.waitClosed();
    assert.equal(server.broker.admin.counters.connections, 3);

    const leaving = open.pop()!;
    leaving.destroy();
    await leaving.waitClosed();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await RawClient.connect(server.port, { cmd: 'connect', clientId: 'conn-again', protocolVersion: 5, clean: true, keepalive: 0 });
    assert.equal(again.connack.reasonCode, 0);
    again.client.destroy();
    for (const client of open) client.destroy();
  });
});
