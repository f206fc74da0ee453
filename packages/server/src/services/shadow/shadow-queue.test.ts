import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { shadowKey, ShadowQueue } from './shadow-queue.js';

/** A promise with its resolve and reject, to finish tasks in a chosen order. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ShadowQueue', () => {
  test('runs the tasks of one key one at a time, in arrival order, whatever order they would finish in', async () => {
    const queue = new ShadowQueue();
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const results = gates.map((gate, i) =>
      queue.run('a', async () => {
        log.push(`start ${i}`);
        await gate.promise;
        log.push(`end ${i}`);
        return i;
      }));
    await tick();
    assert.deepEqual(log, ['start 0'], 'the second task waits for the first');
    gates[2]!.resolve();
    gates[1]!.resolve();
    await tick();
    assert.deepEqual(log, ['start 0'], 'later tasks finishing their wait early change nothing');
    gates[0]!.resolve();
    assert.deepEqual(await Promise.all(results), [0, 1, 2]);
    assert.deepEqual(log, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  test('different keys run side by side', async () => {
    const queue = new ShadowQueue();
    const gate = deferred();
    const started: string[] = [];
    const blocked = queue.run('a', async () => {
      started.push('a');
      await gate.promise;
    });
    const other = queue.run('b', async () => {
      started.push('b');
      return 'b done';
    });
    assert.equal(await other, 'b done', 'key b does not wait for key a');
    assert.deepEqual(started, ['a', 'b']);
    gate.resolve();
    await blocked;
  });

  test('a task that throws or rejects passes its error to its caller and the next task still runs', async () => {
    const queue = new ShadowQueue();
    const sync = queue.run('a', () => {
      throw new Error('sync failure');
    });
    const failed = queue.run('a', async () => {
      throw new Error('async failure');
    });
    const next = queue.run('a', async () => 'ran');
    await assert.rejects(sync, /sync failure/);
    await assert.rejects(failed, /async failure/);
    assert.equal(await next, 'ran');
  });

  test('forgets a key once its tasks have settled, and idle() waits for everything queued', async () => {
    const queue = new ShadowQueue();
    const gate = deferred();
    let finished = false;
    void queue.run('a', async () => {
      await gate.promise;
      // Queued from inside a running task: idle() must wait for this one too.
      void queue.run('b', async () => {
        await tick();
        finished = true;
      });
    });
    assert.equal(queue.size, 1);
    let idle = false;
    const waiting = queue.idle().then(() => (idle = true));
    await tick();
    assert.equal(idle, false, 'idle() waits for the task under way');
    gate.resolve();
    await waiting;
    assert.equal(finished, true, 'idle() waited for the task queued meanwhile');
    assert.equal(queue.size, 0, 'no key is held once everything settled');
  });

  test('shadowKey keeps tenants, things and shadow names apart', () => {
    assert.notEqual(shadowKey('a', 'b', ''), shadowKey('a', '', 'b'));
    assert.notEqual(shadowKey('acme', 'x', 'y'), shadowKey('acm', 'ex', 'y'));
    assert.equal(shadowKey('acme', 'agent-7', 'config'), shadowKey('acme', 'agent-7', 'config'));
  });
});
