import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeDelta, deltaMetadata } from './shadow-delta.js';

test('desired keys missing from reported or different are in the delta; reported-only keys are not', () => {
  // AWS's example (developer guide, "Delta state").
  assert.deepEqual(computeDelta({ color: 'RED', state: 'STOP' }, { color: 'GREEN', engine: 'ON' }), { color: 'RED', state: 'STOP' });
  assert.equal(computeDelta({ a: 1 }, { a: 1, b: 2 }), undefined);
  assert.equal(computeDelta(undefined, { a: 1 }), undefined);
  assert.deepEqual(computeDelta({ a: 1 }, undefined), { a: 1 });
});

test('nested differences keep their path with only the differing leaves', () => {
  assert.deepEqual(
    computeDelta({ lights: { color: { r: 255, g: 255, b: 255 } } }, { lights: { color: { r: 255, g: 0, b: 255 } } }),
    { lights: { color: { g: 255 } } },
  );
});

test('arrays compare whole; the desired array is copied when they differ', () => {
  assert.deepEqual(computeDelta({ seq: [1, 2, 3] }, { seq: [1, 2] }), { seq: [1, 2, 3] });
  assert.equal(computeDelta({ seq: [1, { a: 2 }] }, { seq: [1, { a: 2 }] }), undefined);
  assert.deepEqual(computeDelta({ seq: [2, 1] }, { seq: [1, 2] }), { seq: [2, 1] });
});

test('values of another type differ; key order does not matter', () => {
  assert.deepEqual(computeDelta({ v: { x: 1 } }, { v: 'x' }), { v: { x: 1 } });
  assert.deepEqual(computeDelta({ v: '1' }, { v: 1 }), { v: '1' });
  assert.deepEqual(computeDelta({ v: 0 }, { v: false }), { v: 0 });
  assert.equal(computeDelta({ o: { a: 1, b: 2 } }, { o: { b: 2, a: 1 } }), undefined);
});

test('the delta metadata is the desired metadata of the delta paths', () => {
  const desiredMetadata = {
    mode: { timestamp: 1 },
    net: { ssid: { timestamp: 5 }, psk: { timestamp: 2 } },
    seq: [{ timestamp: 7 }, { timestamp: 7 }],
  };
  assert.deepEqual(deltaMetadata({ net: { ssid: 'a' }, seq: [1, 2] }, desiredMetadata), { net: { ssid: { timestamp: 5 } }, seq: [{ timestamp: 7 }, { timestamp: 7 }] });
});
