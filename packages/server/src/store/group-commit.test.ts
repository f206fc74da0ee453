import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setImmediate as nextTick } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { GroupCommit, type GroupCommitStats } from './group-commit.js';
import type { BrokerStore, StoreOp } from './ports.js';
import { createSqliteStore } from './sqlite/index.js';

let directory = '';
let path = '';
let store: BrokerStore;
let reader: Database.Database;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'gatehouse-group-commit-'));
  path = join(directory, 'broker.db');
  store = createSqliteStore({ path });
  await store.open();
  // A second, synchronous connection: callbacks can check what is committed at the moment they run.
  reader = new Database(path, { readonly: true });
});

afterEach(async () => {
  reader.close();
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

function add(clientId: string, seq: number, payload = `m${seq}`): StoreOp {
  return { kind: 'outgoing.add', clientId, entry: { seq, state: 'queued', message: { topic: `t/${seq}`, payload: Buffer.from(payload), qos: 1, retain: false } } };
}

function committedSeqs(clientId: string): number[] {
  return (reader.prepare('SELECT seq FROM outgoing WHERE client_id = ? ORDER BY seq').all(clientId) as { seq: number }[]).map((row) => row.seq);
}

/** The real store behind a gate and a recorder: tests decide when a commit may proceed and see what it got. */
class GatedStore implements BrokerStore {
  readonly batches: StoreOp[][] = [];
  failuresLeft = 0;
  #gate: Promise<void> | null = null;
  #release: (() => void) | null = null;

  constructor(readonly inner: BrokerStore) {}

  hold(): void {
    this.#gate = new Promise((resolve) => (this.#release = resolve));
  }

  release(): void {
    this.#release?.();
    this.#gate = null;
  }

  async apply(ops: readonly StoreOp[]): Promise<void> {
    this.batches.push([...ops]);
    if (this.#gate !== null) await this.#gate;
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    }
    await this.inner.apply(ops);
  }

  open = (): Promise<void> => this.inner.open();
  loadSessions = (): ReturnType<BrokerStore['loadSessions']> => this.inner.loadSessions();
  loadRetained = (): ReturnType<BrokerStore['loadRetained']> => this.inner.loadRetained();
  loadWills = (): ReturnType<BrokerStore['loadWills']> => this.inner.loadWills();
  ping = (): Promise<void> => this.inner.ping();
  close = (): Promise<void> => Promise.resolve();
}

describe('GroupCommit', () => {
  it('writes everything pushed in one tick as one apply', async () => {
    const commits: GroupCommitStats[] = [];
    const commit = new GroupCommit(store, { onCommit: (stats) => commits.push(stats) });
    commit.push({ kind: 'session.put', session: { clientId: 'c', protocolVersion: 5, expiryInterval: 60 } });
    for (let seq = 1; seq <= 1000; seq++) commit.push(add('c', seq));
    assert.equal(commit.pendingOps, 1001);
    assert.deepEqual(committedSeqs('c'), [], 'nothing is written synchronously');
    await commit.flush();
    assert.equal(commits.length, 1);
    assert.equal(commits[0]!.ops, 1001);
    assert.ok(commits[0]!.seconds >= 0);
    assert.equal(commit.pendingOps, 0);
    assert.equal(committedSeqs('c').length, 1000);
    await commit.close();
  });

  it('gathers ops pushed during a commit into the next one, which starts when the first ends', async () => {
    const gated = new GatedStore(store);
    const commit = new GroupCommit(gated);
    gated.hold();
    commit.push(add('c', 1));
    await nextTick();
    assert.equal(gated.batches.length, 1, 'first commit started');
    commit.push(add('c', 2));
    await nextTick();
    commit.push(add('c', 3));
    await nextTick();
    assert.equal(gated.batches.length, 1, 'no second commit while one is in flight');
    assert.equal(commit.pendingOps, 3);
    gated.release();
    await commit.flush();
    assert.deepEqual(gated.batches.map((batch) => batch.length), [1, 2]);
    assert.deepEqual(committedSeqs('c'), [1, 2, 3]);
    await commit.close();
  });

  it('coalesces ops of one outgoing entry inside a batch that has not started', async () => {
    await store.apply([add('c', 100), add('c', 101)]);
    const gated = new GatedStore(store);
    const commit = new GroupCommit(gated);
    commit.push(add('c', 1));
    commit.push({ kind: 'outgoing.update', clientId: 'c', seq: 1, state: 'sent', packetId: 7 });
    commit.push({ kind: 'outgoing.remove', clientId: 'c', seq: 1 }); // cancels the add and the update
    commit.push(add('c', 2));
    commit.push({ kind: 'outgoing.update', clientId: 'c', seq: 2, state: 'sent', packetId: 8 }); // folds into the add
    commit.push({ kind: 'outgoing.update', clientId: 'c', seq: 100, state: 'sent', packetId: 9 });
    commit.push({ kind: 'outgoing.update', clientId: 'c', seq: 100, state: 'released', packetId: 9 }); // keeps the last
    commit.push({ kind: 'outgoing.update', clientId: 'c', seq: 101, state: 'sent', packetId: 10 });
    commit.push({ kind: 'outgoing.remove', clientId: 'c', seq: 101 }); // the update goes, the remove stays
    assert.equal(commit.pendingOps, 3);
    await commit.flush();
    assert.deepEqual(gated.batches, [
      [
        { kind: 'outgoing.add', clientId: 'c', entry: { seq: 2, state: 'sent', packetId: 8, message: { topic: 't/2', payload: Buffer.from('m2'), qos: 1, retain: false } } },
        { kind: 'outgoing.update', clientId: 'c', seq: 100, state: 'released', packetId: 9 },
        { kind: 'outgoing.remove', clientId: 'c', seq: 101 },
      ],
    ]);
    assert.deepEqual(reader.prepare('SELECT seq, state, packet_id FROM outgoing ORDER BY seq').all(), [
      { seq: 2, state: 'sent', packet_id: 8 },
      { seq: 100, state: 'released', packet_id: 9 },
    ]);
    await commit.close();
  });

  it('does not coalesce across a session.delete of the client, nor across batches', async () => {
    const gated = new GatedStore(store);
    const commit = new GroupCommit(gated);
    gated.hold();
    commit.push(add('c', 1, 'first'));
    await nextTick(); // that batch is now in flight
    commit.push({ kind: 'outgoing.remove', clientId: 'c', seq: 1 }); // must not cancel the in-flight add
    commit.push(add('c', 2, 'old'));
    commit.push({ kind: 'session.delete', clientId: 'c' });
    commit.push({ kind: 'outgoing.remove', clientId: 'c', seq: 2 }); // after the delete: kept, a no-op
    commit.push(add('c', 3, 'new'));
    gated.release();
    await commit.flush();
    assert.deepEqual(
      gated.batches.map((batch) => batch.map((op) => op.kind)),
      [['outgoing.add'], ['outgoing.remove', 'outgoing.add', 'session.delete', 'outgoing.remove', 'outgoing.add']],
    );
    assert.deepEqual(committedSeqs('c'), [3]);
    await commit.close();
  });

  it('runs callbacks in order, each only after its ops are committed', async () => {
    const commit = new GroupCommit(store);
    const seen: string[] = [];
    commit.afterCommit(() => seen.push('idle (runs at once)'));
    assert.deepEqual(seen, ['idle (runs at once)']);

    commit.push(add('c', 1));
    commit.afterCommit(() => seen.push(`a sees ${committedSeqs('c').join(',')}`));
    commit.push(add('c', 2));
    commit.afterCommit(() => {
      seen.push(`b sees ${committedSeqs('c').join(',')}`);
      // Registered from inside a callback with nothing pending: must still run after c.
      commit.afterCommit(() => seen.push('nested'));
    });
    commit.afterCommit(() => seen.push(`c sees ${committedSeqs('c').join(',')}`));
    assert.equal(seen.length, 1, 'no callback runs before its commit');
    await nextTick();
    commit.push(add('c', 3));
    commit.afterCommit(() => seen.push(`d sees ${committedSeqs('c').join(',')}`));
    await commit.flush();
    assert.deepEqual(seen, ['idle (runs at once)', 'a sees 1,2', 'b sees 1,2', 'c sees 1,2', 'nested', 'd sees 1,2,3']);
    await commit.close();
  });

  it('keeps a failed batch and its callbacks, reports unhealthy, and retries until it commits', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }));
    const gated = new GatedStore(store);
    gated.failuresLeft = 2;
    const commits: GroupCommitStats[] = [];
    const commit = new GroupCommit(gated, { logger, retryDelayMs: 5, onCommit: (stats) => commits.push(stats) });
    const called: number[][] = [];
    commit.push(add('c', 1, 'secret-payload'));
    commit.afterCommit(() => called.push(committedSeqs('c')));
    await nextTick();
    await nextTick();
    assert.equal(commit.healthy, false);
    assert.deepEqual(called, [], 'no callback while the data is not committed');
    commit.push(add('c', 2));
    await commit.flush();
    assert.equal(commit.healthy, true);
    assert.deepEqual(called, [[1]]);
    assert.deepEqual(committedSeqs('c'), [1, 2]);
    assert.deepEqual(gated.batches.map((batch) => batch.length), [1, 1, 1, 1], 'the same batch three times, then the next one');
    assert.deepEqual(commits.map((stats) => stats.ops), [1, 1]);
    const errors = lines.filter((line) => line.includes('Cannot commit store batch'));
    assert.equal(errors.length, 2);
    assert.match(errors[0]!, /database is locked/);
    assert.ok(lines.every((line) => !line.includes('secret-payload')), 'payloads never reach the log');
    await commit.close();
  });

  it('close() commits what was pushed, then refuses new ops', async () => {
    const commit = new GroupCommit(store);
    commit.push(add('c', 1));
    commit.push(add('c', 2));
    await commit.close();
    assert.deepEqual(committedSeqs('c'), [1, 2]);
    assert.throws(() => commit.push(add('c', 3)), TypeError);
    assert.equal(commit.pendingOps, 0);
  });
});
