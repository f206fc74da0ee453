import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_BACKOFF, backoffDelay, failoverBound } from './backoff.ts';

test('each wait lies in the upper half of min(max, initial × 2^failures)', () => {
  const options = { initialDelayMs: 100, maxDelayMs: 5000 };
  for (let failures = 0; failures < 12; failures++) {
    const ceiling = Math.min(5000, 100 * 2 ** failures);
    assert.equal(backoffDelay(failures, options, () => 0), ceiling / 2);
    assert.equal(backoffDelay(failures, options, () => 0.999999), Math.round(ceiling / 2 + 0.999999 * (ceiling / 2)));
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay(failures, options);
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `${delay} outside [${ceiling / 2}, ${ceiling}] after ${failures} failures`);
    }
  }
});

test('the wait never exceeds maxDelayMs, however many failures', () => {
  for (const failures of [10, 30, 1000, 100_000]) assert.ok(backoffDelay(failures, DEFAULT_BACKOFF, () => 1) <= DEFAULT_BACKOFF.maxDelayMs);
  assert.equal(backoffDelay(100_000, DEFAULT_BACKOFF, () => 1), DEFAULT_BACKOFF.maxDelayMs);
});

test('jitter spreads the waits (a fleet does not reconnect in lockstep)', () => {
  const delays = new Set(Array.from({ length: 100 }, () => backoffDelay(5, DEFAULT_BACKOFF)));
  assert.ok(delays.size > 20, `only ${delays.size} distinct waits out of 100`);
});

test('bad failure counts are refused', () => {
  assert.throws(() => backoffDelay(-1), RangeError);
  assert.throws(() => backoffDelay(1.5), RangeError);
});

test('failoverBound sums the ceilings up to the endpoint', () => {
  assert.equal(failoverBound(0, DEFAULT_BACKOFF), 1000);
  assert.equal(failoverBound(1, DEFAULT_BACKOFF), 3000);
  assert.equal(failoverBound(2, { initialDelayMs: 1000, maxDelayMs: 1500 }), 4000);
});
