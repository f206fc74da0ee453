/**
 * The one suite every ConnectivityStore backend passes (memory, SQLite, PostgreSQL): reading what was
 * written, the newest record winning inside a batch and across batches, a storm of writes in one tick,
 * tenant isolation, lists, marking a restarted node's rows, writes queued at close, and bad input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConnectivityRecord, ConnectivityStoreBackend } from '../connectivity-ports.js';

export interface ConnectivityStoreHarness {
  /** An opened, empty store. */
  readonly store: ConnectivityStoreBackend;
  /** A second, opened store on the same data (same file, schema or tables), as a restarted process would have. */
  reopen(): Promise<ConnectivityStoreBackend>;
  /** Closes whatever the harness opened and removes its data. */
  cleanup(): Promise<void>;
}

const T0 = 1_700_000_000_000;

function record(thing: string, extra: Partial<ConnectivityRecord> = {}): ConnectivityRecord {
  return { tenant: 'acme', thing, connected: true, timestamp: T0, clientId: thing, nodeId: 'node-a', ...extra };
}

/**
 * Registers the connectivity store contract suite for one backend.
 *
 * @example
 * runConnectivityStoreContract('memory', async () => {
 *   const store = new MemoryConnectivityStore();
 *   return { store, reopen: async () => new MemoryConnectivityStore({ tables: store.tables }), cleanup: () => store.close() };
 * });
 */
export function runConnectivityStoreContract(name: string, makeStore: () => Promise<ConnectivityStoreHarness>): void {
  describe(`ConnectivityStore contract: ${name}`, () => {
    async function withStore(test: (store: ConnectivityStoreBackend, harness: ConnectivityStoreHarness) => Promise<void>): Promise<void> {
      const harness = await makeStore();
      try {
        await test(harness.store, harness);
      } finally {
        await harness.cleanup();
      }
    }

    it('reads back what was written, here and from a second store on the same data', () =>
      withStore(async (store, harness) => {
        assert.equal(await store.getConnectivity('acme', 'agent-7'), undefined);
        const connected = record('agent-7', { clientId: 'client-7' });
        await store.setConnectivity(connected);
        assert.deepEqual(await store.getConnectivity('acme', 'agent-7'), connected, 'no disconnectReason key appears');
        const disconnected = record('agent-7', { connected: false, timestamp: T0 + 5, disconnectReason: 'MQTT_KEEP_ALIVE_TIMEOUT' });
        await store.setConnectivity(disconnected);
        const other = await harness.reopen();
        assert.deepEqual(await other.getConnectivity('acme', 'agent-7'), disconnected);
        // Connected again: the last disconnect's reason stays until the next disconnect replaces it.
        await store.setConnectivity(record('agent-7', { timestamp: T0 + 9 }));
        assert.deepEqual(await other.getConnectivity('acme', 'agent-7'), record('agent-7', { timestamp: T0 + 9, disconnectReason: 'MQTT_KEEP_ALIVE_TIMEOUT' }));
      }));

    it('keeps the newest record per thing: inside one batch, and against an older write later', () =>
      withStore(async (store, harness) => {
        // One tick: connect, disconnect, reconnect, and a late record with an older time.
        await Promise.all([
          store.setConnectivity(record('a', { timestamp: T0 + 1 })),
          store.setConnectivity(record('a', { connected: false, timestamp: T0 + 2, disconnectReason: 'DUPLICATE_CLIENTID' })),
          store.setConnectivity(record('a', { timestamp: T0 + 3, clientId: 'a-2' })),
          store.setConnectivity(record('a', { connected: false, timestamp: T0 + 1, disconnectReason: 'CONNECTION_LOST' })),
        ]);
        const other = await harness.reopen();
        assert.deepEqual(await other.getConnectivity('acme', 'a'), record('a', { timestamp: T0 + 3, clientId: 'a-2', disconnectReason: 'DUPLICATE_CLIENTID' }));
        // Another node's record from before the stored one loses; one from the same millisecond wins.
        await store.setConnectivity(record('a', { connected: false, timestamp: T0 + 2, nodeId: 'node-b', disconnectReason: 'CONNECTION_LOST' }));
        assert.equal((await other.getConnectivity('acme', 'a'))?.timestamp, T0 + 3);
        const sameMs = record('a', { connected: false, timestamp: T0 + 3, disconnectReason: 'CLIENT_INITIATED_DISCONNECT' });
        await store.setConnectivity(sameMs);
        assert.deepEqual(await other.getConnectivity('acme', 'a'), sameMs);
      }));

    it('takes a storm of writes in one tick and keeps every one', () =>
      withStore(async (store, harness) => {
        const things = Array.from({ length: 2500 }, (_, i) => `storm-${String(i).padStart(4, '0')}`);
        await Promise.all(things.map((thing, i) => store.setConnectivity(record(thing, { timestamp: T0 + i }))));
        const other = await harness.reopen();
        const found = [];
        for (let start = 0; start < things.length; start += 1000) found.push(...(await other.listConnectivity('acme', things.slice(start, start + 1000))));
        assert.equal(found.length, things.length);
        assert.ok(found.every((each) => each.connected && each.timestamp === T0 + Number(each.thing.slice(6))));
      }));

    it('keeps tenants apart and lists only the things that have a record', () =>
      withStore(async (store) => {
        await store.setConnectivity(record('agent-1'));
        await store.setConnectivity(record('agent-1', { tenant: 'globex', connected: false, disconnectReason: 'CONNECTION_LOST' }));
        await store.setConnectivity(record('agent-2', { timestamp: T0 + 9 }));
        assert.equal((await store.getConnectivity('acme', 'agent-1'))?.connected, true);
        assert.equal((await store.getConnectivity('globex', 'agent-1'))?.connected, false);
        assert.equal(await store.getConnectivity('globex', 'agent-2'), undefined);
        const listed = await store.listConnectivity('acme', ['agent-2', 'agent-1', 'never', 'agent-1']);
        assert.deepEqual(listed.map((each) => each.thing).sort(), ['agent-1', 'agent-2']);
        assert.deepEqual(await store.listConnectivity('acme', []), []);
        assert.deepEqual((await store.listConnectivity('globex', ['agent-1', 'agent-2'])).map((each) => each.tenant), ['globex']);
      }));

    it("marks only the restarted node's connected rows disconnected", () =>
      withStore(async (store, harness) => {
        await Promise.all([
          store.setConnectivity(record('a1')),
          store.setConnectivity(record('a2', { tenant: 'globex' })),
          store.setConnectivity(record('a3', { connected: false, disconnectReason: 'CLIENT_INITIATED_DISCONNECT' })),
          store.setConnectivity(record('b1', { nodeId: 'node-b' })),
        ]);
        const restarted = await harness.reopen();
        assert.equal(await restarted.markNodeDisconnected('node-a', { at: T0 + 100, reason: 'SERVER_ERROR' }), 2);
        assert.deepEqual(await restarted.getConnectivity('acme', 'a1'), record('a1', { connected: false, timestamp: T0 + 100, disconnectReason: 'SERVER_ERROR' }));
        assert.equal((await restarted.getConnectivity('globex', 'a2'))?.disconnectReason, 'SERVER_ERROR');
        assert.deepEqual(await restarted.getConnectivity('acme', 'a3'), record('a3', { connected: false, disconnectReason: 'CLIENT_INITIATED_DISCONNECT' }), 'an earlier disconnect keeps its reason and time');
        assert.equal((await restarted.getConnectivity('acme', 'b1'))?.connected, true, "another node's row is untouched");
        assert.equal(await restarted.markNodeDisconnected('node-a', { at: T0 + 200, reason: 'SERVER_ERROR' }), 0);
      }));

    it('writes what is queued when it closes', async () => {
      const harness = await makeStore();
      try {
        const queued = harness.store.setConnectivity(record('late'));
        await harness.store.close();
        await queued;
        const other = await harness.reopen();
        assert.equal((await other.getConnectivity('acme', 'late'))?.connected, true);
      } finally {
        await harness.cleanup();
      }
    });

    it('refuses bad records and over-long lists as programmer errors', () =>
      withStore(async (store) => {
        await assert.rejects(store.setConnectivity(record('')), TypeError);
        await assert.rejects(store.setConnectivity(record('x', { timestamp: 1.5 })), RangeError);
        await assert.rejects(store.listConnectivity('acme', Array.from({ length: 1001 }, (_, i) => `t${i}`)), RangeError);
        assert.equal(await store.getConnectivity('acme', 'x'), undefined);
      }));
  });
}
