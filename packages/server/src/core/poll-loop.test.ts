/** startPollLoop with real timers: rounds never overlap, errors go to onError and the loop goes on, runNow passes errors to its caller. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { startPollLoop } from './poll-loop.js';

test('runNow queues behind the round under way, so two rounds never overlap', async () => {
  let running = 0;
  let most = 0;
  let count = 0;
  const loop = startPollLoop({
    intervalMs: 60_000,
    round: async () => {
      running++;
      most = Math.max(most, running);
      await sleep(10);
      running--;
      return { more: false, count: ++count };
    },
    onError: () => assert.fail('no round throws'),
  });
  const results = await Promise.all([loop.runNow(), loop.runNow(), loop.runNow()]);
  loop.stop();
  assert.deepEqual(results.map((result) => result.count), [1, 2, 3]);
  assert.equal(most, 1);
});

test('rounds with more and a failing round keep the loop going (the error to onError); stop ends it', async () => {
  // The loop's timer is unref'd: this handle keeps the process alive while the test waits on it.
  const keepAlive = setInterval(() => undefined, 1_000);
  const errors: unknown[] = [];
  let rounds = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const loop = startPollLoop({
    intervalMs: 20,
    round: async () => {
      rounds++;
      if (rounds === 2) throw new Error('store down');
      if (rounds === 4) done();
      return { more: rounds === 1 || rounds === 3 };
    },
    onError: (error) => errors.push(error),
  });
  await finished.finally(() => clearInterval(keepAlive));
  loop.stop();
  const stoppedAt = rounds;
  await sleep(60);
  assert.equal(rounds, stoppedAt, 'no round after stop');
  assert.deepEqual(errors.map((error) => (error as Error).message), ['store down']);
});

test('runNow passes a round\'s error to its caller', async () => {
  const loop = startPollLoop({ intervalMs: 60_000, round: () => Promise.reject(new Error('boom')), onError: () => undefined });
  await assert.rejects(loop.runNow(), /boom/);
  loop.stop();
});
