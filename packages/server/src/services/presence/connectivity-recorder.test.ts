import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../../auth/index.js';
import type { ConnectedEvent, DisconnectedEvent } from '../../broker/index.js';
import { silentLogger } from '../../core/index.js';
import { MemoryConnectivityStore } from '../../store/index.js';
import { ConnectivityRecorder } from './connectivity-recorder.js';

const peer = { transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 1, localPort: 2, listener: 'mqtt' } as const;

function connected(clientId: string, at: number, extra: Partial<ConnectedEvent> = {}): ConnectedEvent {
  return { kind: 'connected', clientId, sessionKey: `acme/${clientId}`, tenant: 'acme', sessionId: 's', at, peer, protocolVersion: 5, cleanStart: true, sessionExpiry: 0, versionNumber: at, ...extra };
}

function disconnected(clientId: string, at: number, extra: Partial<DisconnectedEvent> = {}): DisconnectedEvent {
  return {
    kind: 'disconnected', clientId, sessionKey: `acme/${clientId}`, tenant: 'acme', sessionId: 's', at, peer, protocolVersion: 5, versionNumber: at,
    clientInitiatedDisconnect: false, disconnectReason: 'CONNECTION_LOST', ...extra,
  };
}

/** A registry of `names` in tenant acme that counts its lookups. */
function registry(names: string[]): { getThing(tenant: string, name: string): Promise<{ name: string } | undefined>; lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    async getThing(tenant, name) {
      lookups.push(name);
      return tenant === 'acme' && names.includes(name) ? { name } : undefined;
    },
  };
}

describe('ConnectivityRecorder', () => {
  it('records things by principal or by client id, in order, looking each unknown client id up once per batch', async () => {
    const store = new MemoryConnectivityStore();
    const things = registry(['agent-1']);
    const recorder = new ConnectivityRecorder({ store, things: things as never, nodeId: 'node-a', logger: silentLogger() });
    const principal = { kind: 'certificate', tenant: 'acme', thingName: 'agent-cert', clientId: 'x', sourceIp: '', attributes: {} } as Principal;
    recorder.record(connected('agent-1', 10));
    recorder.record(disconnected('agent-1', 11, { disconnectReason: 'DUPLICATE_CLIENTID' }));
    recorder.record(connected('agent-1', 11));
    recorder.record(connected('not-a-thing', 12));
    recorder.record(connected('some-client', 13, { principal }));
    recorder.record(connected('bad/name', 14));
    const { tenant: _tenant, ...tenantless } = connected('no-tenant', 15);
    recorder.record(tenantless);
    await recorder.flush();
    assert.deepEqual(await store.getConnectivity('acme', 'agent-1'), {
      tenant: 'acme', thing: 'agent-1', connected: true, timestamp: 11, disconnectReason: 'DUPLICATE_CLIENTID', clientId: 'agent-1', nodeId: 'node-a',
    });
    assert.equal((await store.getConnectivity('acme', 'agent-cert'))?.clientId, 'some-client', "the principal's thing, whatever the client id");
    assert.equal(await store.getConnectivity('acme', 'not-a-thing'), undefined);
    assert.equal(await store.getConnectivity('acme', 'some-client'), undefined);
    assert.deepEqual(things.lookups.sort(), ['agent-1', 'not-a-thing'], 'one lookup per distinct id; none for principals, bad names or tenantless events');
  });

  it('trusts a lookup for its time to live, then asks again', async () => {
    const store = new MemoryConnectivityStore();
    const things = registry(['agent-1']);
    const recorder = new ConnectivityRecorder({ store, things: things as never, nodeId: 'n', logger: silentLogger(), lookupTtlMs: 50 });
    recorder.record(connected('agent-1', 1));
    await recorder.flush();
    recorder.record(disconnected('agent-1', 2));
    await recorder.flush();
    assert.equal(things.lookups.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    recorder.record(connected('agent-1', 3));
    await recorder.flush();
    assert.equal(things.lookups.length, 2);
    assert.equal((await store.getConnectivity('acme', 'agent-1'))?.connected, true);
  });

  it('logs and goes on when the registry or the store fails', async () => {
    const store = new MemoryConnectivityStore();
    const failing = { getThing: async () => { throw new Error('registry down'); } };
    const recorder = new ConnectivityRecorder({ store, things: failing as never, nodeId: 'n', logger: silentLogger() });
    recorder.record(connected('agent-1', 1));
    await recorder.flush();
    assert.equal(await store.getConnectivity('acme', 'agent-1'), undefined);
    const working = new ConnectivityRecorder({ store, things: registry(['agent-1']) as never, nodeId: 'n', logger: silentLogger() });
    working.record(connected('agent-1', 2));
    await working.flush();
    assert.equal((await store.getConnectivity('acme', 'agent-1'))?.connected, true);
  });
});
