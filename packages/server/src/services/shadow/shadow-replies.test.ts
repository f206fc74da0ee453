import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteAcceptedPayload, getAcceptedPayload, snapshotOf } from './shadow-replies.js';

const shadow = {
  state: { desired: { mode: 'eco', net: { ssid: 'a' } }, reported: { mode: 'eco', net: { ssid: 'b' }, rssi: -60 } },
  metadata: {
    desired: { mode: { timestamp: 5 }, net: { ssid: { timestamp: 6 } } },
    reported: { mode: { timestamp: 7 }, net: { ssid: { timestamp: 7 } }, rssi: { timestamp: 7 } },
  },
  version: 4,
};

test('get/accepted holds state with the computed delta, metadata, version, timestamp and the clientToken', () => {
  assert.deepEqual(getAcceptedPayload(shadow, { now: 9, clientToken: 'g1' }), {
    state: { ...shadow.state, delta: { net: { ssid: 'a' } } },
    metadata: shadow.metadata,
    version: 4,
    timestamp: 9,
    clientToken: 'g1',
  });
});

test('get/accepted has no delta when desired is met, and no absent sections', () => {
  const met = { state: { reported: { on: true } }, metadata: { reported: { on: { timestamp: 1 } } }, version: 1 };
  assert.deepEqual(getAcceptedPayload(met, { now: 2 }), { state: { reported: { on: true } }, metadata: { reported: { on: { timestamp: 1 } } }, version: 1, timestamp: 2 });
  assert.deepEqual(getAcceptedPayload({ state: {}, metadata: {}, version: 3 }, { now: 2 }), { state: {}, metadata: {}, version: 3, timestamp: 2 });
});

test('delete/accepted holds the version, timestamp and clientToken', () => {
  assert.deepEqual(deleteAcceptedPayload(7, { now: 9 }), { version: 7, timestamp: 9 });
  assert.deepEqual(deleteAcceptedPayload(7, { now: 9, clientToken: 'd' }), { version: 7, timestamp: 9, clientToken: 'd' });
});

test('a snapshot is state, metadata and version, without delta', () => {
  assert.deepEqual(snapshotOf(shadow), { state: shadow.state, metadata: shadow.metadata, version: 4 });
});
