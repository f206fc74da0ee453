/**
 * The one suite every BrokerStore backend passes (memory, SQLite, PostgreSQL): round trips of every op
 * kind, upserts, cascades, ordering, atomicity, reopening and a large batch. Each test opens a fresh store.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrokerStore, LoadedSession, OutgoingMessage, PendingWill, RetainedMessage, StoredMessage, StoreOp } from '../ports.js';

export interface StoreHarness {
  /** An opened, empty store. */
  readonly store: BrokerStore;
  /** A second, opened store on the same data (same file, schema or tables); absent: reopening is not tested. */
  reopen?(): Promise<BrokerStore>;
  /** Closes whatever the harness opened and removes its data. */
  cleanup(): Promise<void>;
}

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));

function message(topic: string, payload: Buffer, extra: Partial<StoredMessage> = {}): StoredMessage {
  return { topic, payload, qos: 1, retain: false, ...extra };
}

const richMessage: StoredMessage = {
  topic: 'tenant-ü/设备/温度 🌡',
  payload: allBytes,
  qos: 2,
  retain: true,
  properties: {
    payloadFormatIndicator: false,
    contentType: 'application/octet-stream',
    responseTopic: 'reply/ß',
    correlationData: Buffer.from([0, 1, 254, 255, 0]),
    userProperties: { single: 'one', many: ['a', 'b', 'a'], empty: [], 'ключ': 'значение' },
  },
  expiresAt: 1_900_000_000_123,
};

function add(clientId: string, seq: number, payload = Buffer.from(`m${seq}`)): StoreOp {
  return { kind: 'outgoing.add', clientId, entry: { seq, state: 'queued', message: message(`q/${seq}`, payload) } };
}

function sessionPut(clientId: string, extra: { disconnectedAt?: number; expiryInterval?: number } = {}): StoreOp {
  return { kind: 'session.put', session: { clientId, protocolVersion: 5, expiryInterval: extra.expiryInterval ?? 3600, ...extra } };
}

function findSession(sessions: readonly LoadedSession[], clientId: string): LoadedSession {
  const session = sessions.find((candidate) => candidate.clientId === clientId);
  assert.ok(session, `session ${clientId} loaded`);
  return session;
}

/**
 * Registers the contract suite for one backend.
 *
 * @example
 * runBrokerStoreContract('memory', async () => ({ store: new MemoryStore(), cleanup: async () => {} }));
 */
export function runBrokerStoreContract(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`BrokerStore contract: ${name}`, () => {
    async function withStore(test: (store: BrokerStore, harness: StoreHarness) => Promise<void>): Promise<void> {
      const harness = await makeStore();
      try {
        await test(harness.store, harness);
      } finally {
        await harness.cleanup();
      }
    }

    it('starts empty, answers ping and accepts an empty batch', () =>
      withStore(async (store) => {
        await store.ping();
        await store.apply([]);
        assert.deepEqual(await store.loadSessions(), []);
        assert.deepEqual(await store.loadRetained(), []);
        assert.deepEqual(await store.loadWills(), []);
      }));

    it('round-trips sessions with their subscriptions, sorted by client id and filter', () =>
      withStore(async (store) => {
        await store.apply([
          { kind: 'session.put', session: { clientId: 'b-3', protocolVersion: 4, expiryInterval: 0xffffffff, disconnectedAt: 1_700_000_000_001 } },
          { kind: 'session.put', session: { clientId: 'a-5', protocolVersion: 5, expiryInterval: 60 } },
          { kind: 'session.put', session: { clientId: 'c-3', protocolVersion: 3, expiryInterval: 1 } },
          { kind: 'subscription.put', clientId: 'a-5', subscription: { filter: 'z/#', options: { qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 } } },
          {
            kind: 'subscription.put',
            clientId: 'a-5',
            subscription: { filter: '$share/workers/jobs/+/ü', options: { qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionIdentifier: 268_435_455 } },
          },
          { kind: 'subscription.put', clientId: 'b-3', subscription: { filter: 'x/+', options: { qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 1 } } },
        ]);
        assert.deepStrictEqual(await store.loadSessions(), [
          {
            clientId: 'a-5',
            protocolVersion: 5,
            expiryInterval: 60,
            subscriptions: [
              { filter: '$share/workers/jobs/+/ü', options: { qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionIdentifier: 268_435_455 } },
              { filter: 'z/#', options: { qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 } },
            ],
            outgoing: [],
            incomingPacketIds: [],
          },
          {
            clientId: 'b-3',
            protocolVersion: 4,
            expiryInterval: 0xffffffff,
            disconnectedAt: 1_700_000_000_001,
            subscriptions: [{ filter: 'x/+', options: { qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 1 } }],
            outgoing: [],
            incomingPacketIds: [],
          },
          { clientId: 'c-3', protocolVersion: 3, expiryInterval: 1, subscriptions: [], outgoing: [], incomingPacketIds: [] },
        ]);
      }));

    it('session.put and subscription.put replace what was there; subscription.delete removes', () =>
      withStore(async (store) => {
        await store.apply([
          sessionPut('c', { disconnectedAt: 5 }),
          { kind: 'subscription.put', clientId: 'c', subscription: { filter: 'a', options: { qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionIdentifier: 9 } } },
          { kind: 'subscription.put', clientId: 'c', subscription: { filter: 'b', options: { qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 } } },
        ]);
        await store.apply([
          { kind: 'session.put', session: { clientId: 'c', protocolVersion: 4, expiryInterval: 7 } },
          { kind: 'subscription.put', clientId: 'c', subscription: { filter: 'a', options: { qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 1 } } },
          { kind: 'subscription.delete', clientId: 'c', filter: 'b' },
          { kind: 'subscription.delete', clientId: 'c', filter: 'never-there' },
        ]);
        const session = findSession(await store.loadSessions(), 'c');
        assert.equal(session.protocolVersion, 4);
        assert.equal(session.expiryInterval, 7);
        assert.equal('disconnectedAt' in session, false, 'an absent disconnectedAt clears the stored one');
        assert.deepStrictEqual(session.subscriptions, [{ filter: 'a', options: { qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 1 } }]);
      }));

    it('round-trips outgoing messages: all byte values, empty payload, unicode topic, properties, expiry', () =>
      withStore(async (store) => {
        const entries: OutgoingMessage[] = [
          { seq: 1, state: 'queued', message: richMessage },
          { seq: 2, state: 'sent', packetId: 65535, message: message('', Buffer.alloc(0), { qos: 0 }) },
          { seq: 3, state: 'released', packetId: 1, message: message('e/mpty', Buffer.alloc(0), { properties: {} }) },
          { seq: 2 ** 40, state: 'queued', message: message('big/seq', Buffer.from([0])) },
        ];
        await store.apply([sessionPut('c'), ...entries.map((entry): StoreOp => ({ kind: 'outgoing.add', clientId: 'c', entry }))]);
        assert.deepStrictEqual(findSession(await store.loadSessions(), 'c').outgoing, entries);
      }));

    it('orders outgoing by seq whatever the order of adds', () =>
      withStore(async (store) => {
        await store.apply([sessionPut('c'), add('c', 10), add('c', 2)]);
        await store.apply([add('c', 5), add('c', 1000), add('c', 3)]);
        assert.deepEqual(findSession(await store.loadSessions(), 'c').outgoing.map((entry) => entry.seq), [2, 3, 5, 10, 1000]);
      }));

    it('outgoing.update sets state and packet id; outgoing.remove removes', () =>
      withStore(async (store) => {
        await store.apply([sessionPut('c'), add('c', 1), add('c', 2), add('c', 3)]);
        await store.apply([
          { kind: 'outgoing.update', clientId: 'c', seq: 1, state: 'sent', packetId: 11 },
          { kind: 'outgoing.update', clientId: 'c', seq: 2, state: 'sent', packetId: 12 },
          { kind: 'outgoing.update', clientId: 'c', seq: 2, state: 'released', packetId: 12 },
          { kind: 'outgoing.update', clientId: 'c', seq: 99, state: 'sent', packetId: 1 },
          { kind: 'outgoing.remove', clientId: 'c', seq: 3 },
          { kind: 'outgoing.remove', clientId: 'c', seq: 98 },
        ]);
        let outgoing = findSession(await store.loadSessions(), 'c').outgoing;
        assert.deepStrictEqual(
          outgoing.map(({ seq, state, packetId }) => ({ seq, state, packetId })),
          [
            { seq: 1, state: 'sent', packetId: 11 },
            { seq: 2, state: 'released', packetId: 12 },
          ],
        );
        assert.deepStrictEqual(outgoing[0]!.message.payload, Buffer.from('m1'), 'an update keeps the message');
        await store.apply([{ kind: 'outgoing.update', clientId: 'c', seq: 1, state: 'queued' }]);
        outgoing = findSession(await store.loadSessions(), 'c').outgoing;
        assert.equal(outgoing[0]!.state, 'queued');
        assert.equal('packetId' in outgoing[0]!, false, 'an update without packetId clears it');
      }));

    it('keeps incoming QoS 2 packet ids, sorted; a repeated put is harmless', () =>
      withStore(async (store) => {
        await store.apply([
          sessionPut('c'),
          { kind: 'incoming.put', clientId: 'c', packetId: 300 },
          { kind: 'incoming.put', clientId: 'c', packetId: 2 },
          { kind: 'incoming.put', clientId: 'c', packetId: 65535 },
        ]);
        await store.apply([
          { kind: 'incoming.put', clientId: 'c', packetId: 2 },
          { kind: 'incoming.remove', clientId: 'c', packetId: 300 },
          { kind: 'incoming.remove', clientId: 'c', packetId: 4 },
        ]);
        assert.deepEqual(findSession(await store.loadSessions(), 'c').incomingPacketIds, [2, 65535]);
      }));

    it('session.delete removes subscriptions, outgoing and incoming of that client only', () =>
      withStore(async (store) => {
        const subscription = { filter: 'f', options: { qos: 1 as const, noLocal: false, retainAsPublished: false, retainHandling: 0 as const } };
        const will: PendingWill = { clientId: 'gone', message: message('will', Buffer.from('w')), publishAt: 1 };
        await store.apply([
          sessionPut('gone'),
          sessionPut('kept'),
          { kind: 'subscription.put', clientId: 'gone', subscription },
          { kind: 'subscription.put', clientId: 'kept', subscription },
          add('gone', 1),
          add('kept', 1),
          { kind: 'incoming.put', clientId: 'gone', packetId: 1 },
          { kind: 'incoming.put', clientId: 'kept', packetId: 1 },
          { kind: 'will.put', will },
        ]);
        await store.apply([{ kind: 'session.delete', clientId: 'gone' }]);
        const sessions = await store.loadSessions();
        assert.deepEqual(sessions.map((session) => session.clientId), ['kept']);
        assert.equal(sessions[0]!.subscriptions.length, 1);
        assert.equal(sessions[0]!.outgoing.length, 1);
        assert.deepEqual(sessions[0]!.incomingPacketIds, [1]);
        // Re-creating the session shows nothing of the old one survived.
        await store.apply([sessionPut('gone')]);
        const again = findSession(await store.loadSessions(), 'gone');
        assert.deepEqual([again.subscriptions, again.outgoing, again.incomingPacketIds], [[], [], []]);
        assert.deepEqual((await store.loadWills()).map((pending) => pending.clientId), ['gone'], 'wills are not part of the cascade');
      }));

    it('applies ops in order around a session.delete within one batch', () =>
      withStore(async (store) => {
        await store.apply([
          sessionPut('c', { expiryInterval: 1 }),
          add('c', 1, Buffer.from('old')),
          { kind: 'incoming.put', clientId: 'c', packetId: 9 },
          { kind: 'session.delete', clientId: 'c' },
          sessionPut('c', { expiryInterval: 2 }),
          add('c', 1, Buffer.from('new')),
        ]);
        const session = findSession(await store.loadSessions(), 'c');
        assert.equal(session.expiryInterval, 2);
        assert.deepEqual(session.incomingPacketIds, []);
        assert.deepStrictEqual(session.outgoing.map((entry) => entry.message.payload), [Buffer.from('new')]);
      }));

    it('loads only sessions that exist, though rows of other clients are kept', () =>
      withStore(async (store) => {
        await store.apply([
          { kind: 'subscription.put', clientId: 'later', subscription: { filter: 'f', options: { qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 } } },
          add('later', 4),
        ]);
        assert.deepEqual(await store.loadSessions(), []);
        await store.apply([sessionPut('later')]);
        const session = findSession(await store.loadSessions(), 'later');
        assert.equal(session.subscriptions.length, 1);
        assert.equal(session.outgoing.length, 1);
      }));

    it('round-trips retained messages: upsert replaces, delete removes, sorted by topic', () =>
      withStore(async (store) => {
        const first: RetainedMessage = { ...richMessage, storedAt: 1_700_000_000_000 };
        await store.apply([
          { kind: 'retained.put', message: first },
          { kind: 'retained.put', message: { ...message('b/old', Buffer.from('1')), retain: true, storedAt: 1 } },
          { kind: 'retained.put', message: { ...message('a/gone', Buffer.from('x')), retain: true, storedAt: 1 } },
        ]);
        const replacement: RetainedMessage = { topic: 'b/old', payload: Buffer.alloc(0), qos: 0, retain: true, storedAt: 2, expiresAt: 3 };
        await store.apply([
          { kind: 'retained.put', message: replacement },
          { kind: 'retained.delete', topic: 'a/gone' },
          { kind: 'retained.delete', topic: 'never/there' },
        ]);
        assert.deepStrictEqual(await store.loadRetained(), [replacement, first]);
      }));

    it('round-trips pending wills: upsert replaces, delete removes', () =>
      withStore(async (store) => {
        const kept: PendingWill = { clientId: 'a', message: richMessage, publishAt: 1_700_000_000_500 };
        await store.apply([
          { kind: 'will.put', will: { clientId: 'b', message: message('w/b', Buffer.from('1')), publishAt: 5 } },
          { kind: 'will.put', will: kept },
          { kind: 'will.put', will: { clientId: 'c', message: message('w/c', Buffer.from('3')), publishAt: 5 } },
        ]);
        const replacement: PendingWill = { clientId: 'b', message: message('w/b2', Buffer.from([0, 0]), { qos: 0 }), publishAt: 6 };
        await store.apply([{ kind: 'will.put', will: replacement }, { kind: 'will.delete', clientId: 'c' }]);
        assert.deepStrictEqual(await store.loadWills(), [kept, replacement]);
      }));

    it('keeps the last of repeated upserts within one batch', () =>
      withStore(async (store) => {
        await store.apply([
          { kind: 'retained.put', message: { ...message('t', Buffer.from('1')), storedAt: 1 } },
          { kind: 'retained.put', message: { ...message('t', Buffer.from('2')), storedAt: 2 } },
          sessionPut('c', { expiryInterval: 1 }),
          sessionPut('c', { expiryInterval: 2 }),
          { kind: 'outgoing.add', clientId: 'c', entry: { seq: 1, state: 'queued', message: message('q', Buffer.from('x')) } },
          { kind: 'outgoing.update', clientId: 'c', seq: 1, state: 'sent', packetId: 1 },
          { kind: 'outgoing.update', clientId: 'c', seq: 1, state: 'released', packetId: 1 },
        ]);
        assert.deepStrictEqual((await store.loadRetained()).map((retained) => retained.payload), [Buffer.from('2')]);
        const session = findSession(await store.loadSessions(), 'c');
        assert.equal(session.expiryInterval, 2);
        assert.equal(session.outgoing[0]!.state, 'released');
      }));

    it('is atomic: a batch with a failing op leaves nothing of that batch', () =>
      withStore(async (store) => {
        await store.apply([sessionPut('c'), add('c', 1, Buffer.from('original'))]);
        await assert.rejects(
          store.apply([
            { kind: 'retained.put', message: { ...message('t', Buffer.from('r')), storedAt: 1 } },
            sessionPut('other'),
            { kind: 'outgoing.remove', clientId: 'c', seq: 1 },
            add('c', 2),
            // The same (client, seq) twice breaks the key: the whole batch must roll back.
            add('c', 2),
          ]),
        );
        await assert.rejects(
          store.apply([
            { kind: 'will.put', will: { clientId: 'c', message: message('w', Buffer.from('w')), publishAt: 1 } },
            { kind: 'no.such.kind', clientId: 'c' } as unknown as StoreOp,
          ]),
        );
        assert.deepEqual(await store.loadRetained(), []);
        assert.deepEqual(await store.loadWills(), []);
        const sessions = await store.loadSessions();
        assert.deepEqual(sessions.map((session) => session.clientId), ['c']);
        assert.deepStrictEqual(sessions[0]!.outgoing.map((entry) => [entry.seq, entry.message.payload]), [[1, Buffer.from('original')]]);
        // And the store still works afterwards.
        await store.apply([add('c', 2)]);
        assert.equal(findSession(await store.loadSessions(), 'c').outgoing.length, 2);
      }));

    it('keeps its own copies: mutating what went in or came out changes nothing stored', () =>
      withStore(async (store) => {
        const payload = Buffer.from('abc');
        const correlationData = Buffer.from('id');
        const userProperties = { list: ['x'] };
        await store.apply([
          sessionPut('c'),
          { kind: 'outgoing.add', clientId: 'c', entry: { seq: 1, state: 'queued', message: message('t', payload, { properties: { correlationData, userProperties } }) } },
          { kind: 'retained.put', message: { ...message('t', payload), storedAt: 1 } },
        ]);
        payload.fill(0);
        correlationData.fill(0);
        userProperties.list.push('y');
        const loaded = findSession(await store.loadSessions(), 'c').outgoing[0]!;
        assert.deepStrictEqual(loaded.message.payload, Buffer.from('abc'));
        assert.deepStrictEqual(loaded.message.properties, { correlationData: Buffer.from('id'), userProperties: { list: ['x'] } });
        loaded.message.payload.fill(1);
        (loaded.message.properties!.userProperties!['list'] as string[]).push('z');
        (await store.loadRetained())[0]!.payload.fill(1);
        const again = findSession(await store.loadSessions(), 'c').outgoing[0]!;
        assert.deepStrictEqual(again.message.payload, Buffer.from('abc'));
        assert.deepStrictEqual(again.message.properties?.userProperties, { list: ['x'] });
        assert.deepStrictEqual((await store.loadRetained())[0]!.payload, Buffer.from('abc'));
      }));

    it('applies a batch of 20,000 outgoing messages and loads them back in order', () =>
      withStore(async (store) => {
        const count = 20_000;
        const ops: StoreOp[] = [sessionPut('bulk')];
        // Added in a scrambled order, so only ordering by seq can give them back sorted.
        for (let index = 0; index < count; index++) {
          const seq = ((index * 7919) % count) + 1;
          ops.push(add('bulk', seq, Buffer.from([seq & 0xff, seq >> 8])));
        }
        await store.apply(ops);
        const updates: StoreOp[] = [];
        for (let seq = 1; seq <= count; seq += 2) updates.push({ kind: 'outgoing.update', clientId: 'bulk', seq, state: 'sent', packetId: (seq % 65535) + 1 });
        for (let seq = 2; seq <= count; seq += 4) updates.push({ kind: 'outgoing.remove', clientId: 'bulk', seq });
        await store.apply(updates);
        const outgoing = findSession(await store.loadSessions(), 'bulk').outgoing;
        assert.equal(outgoing.length, count - count / 4);
        for (let index = 1; index < outgoing.length; index++) assert.ok(outgoing[index - 1]!.seq < outgoing[index]!.seq, 'ordered by seq');
        const first = outgoing[0]!;
        assert.deepStrictEqual([first.seq, first.state, first.packetId, first.message.payload], [1, 'sent', 2, Buffer.from([1, 0])]);
        assert.ok(outgoing.every((entry) => entry.seq % 4 !== 2), 'removed entries are gone');
        assert.ok(outgoing.every((entry) => (entry.seq % 2 === 1 ? entry.state === 'sent' : entry.state === 'queued')));
      }));

    it('gives the same data back after reopening', async (t) => {
      const harness = await makeStore();
      try {
        if (harness.reopen === undefined) {
          t.skip(`${name} has no reopen`);
          return;
        }
        await harness.store.apply([
          sessionPut('c', { disconnectedAt: 10 }),
          { kind: 'subscription.put', clientId: 'c', subscription: { filter: 'a/#', options: { qos: 1, noLocal: false, retainAsPublished: true, retainHandling: 0 } } },
          { kind: 'outgoing.add', clientId: 'c', entry: { seq: 1, state: 'sent', packetId: 3, message: richMessage } },
          { kind: 'incoming.put', clientId: 'c', packetId: 8 },
          { kind: 'retained.put', message: { ...richMessage, storedAt: 4 } },
          { kind: 'will.put', will: { clientId: 'c', message: richMessage, publishAt: 5 } },
        ]);
        const before = [await harness.store.loadSessions(), await harness.store.loadRetained(), await harness.store.loadWills()];
        await harness.store.close();
        await assert.rejects(harness.store.apply([sessionPut('x')]), 'a closed store refuses writes');
        const reopened = await harness.reopen();
        try {
          assert.deepStrictEqual([await reopened.loadSessions(), await reopened.loadRetained(), await reopened.loadWills()], before);
          assert.equal(before[0]!.length, 1);
        } finally {
          await reopened.close();
        }
      } finally {
        await harness.cleanup();
      }
    });
  });
}
