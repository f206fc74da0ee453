import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeSection, metadataOf } from './shadow-merge.js';

test('keys merge recursively; untouched keys keep their value and timestamp', () => {
  const merged = mergeSection(
    { state: { a: 1, o: { x: 1, y: 2 } }, metadata: { a: { timestamp: 1 }, o: { x: { timestamp: 1 }, y: { timestamp: 1 } } } },
    { o: { y: 3, z: 'new' } },
    9,
  );
  assert.deepEqual(merged.state, { a: 1, o: { x: 1, y: 3, z: 'new' } });
  assert.deepEqual(merged.metadata, { a: { timestamp: 1 }, o: { x: { timestamp: 1 }, y: { timestamp: 9 }, z: { timestamp: 9 } } });
});

test('null deletes a key and its metadata; an emptied object stays as {}', () => {
  const merged = mergeSection({ state: { a: 1, o: { x: 1 } }, metadata: { a: { timestamp: 1 }, o: { x: { timestamp: 1 } } } }, { a: null, o: { x: null } }, 9);
  assert.deepEqual(merged.state, { o: {} });
  assert.deepEqual(merged.metadata, { o: {} });
  assert.deepEqual(mergeSection({}, { gone: null }, 9), { state: {}, metadata: {} }, 'deleting a missing key is a no-op');
});

test('arrays are replaced whole and get an array of item metadata', () => {
  const merged = mergeSection({ state: { colors: ['RED', 'GREEN', 'BLUE'] }, metadata: { colors: [{ timestamp: 1 }, { timestamp: 1 }, { timestamp: 1 }] } }, { colors: ['RED'] }, 9);
  assert.deepEqual(merged.state, { colors: ['RED'] });
  assert.deepEqual(merged.metadata, { colors: [{ timestamp: 9 }] });
});

test('a value of another kind replaces the old one, metadata included', () => {
  const start = { state: { v: { deep: 1 }, w: 5 }, metadata: { v: { deep: { timestamp: 1 } }, w: { timestamp: 1 } } };
  const merged = mergeSection(start, { v: 'flat', w: { now: { nested: true } } }, 9);
  assert.deepEqual(merged.state, { v: 'flat', w: { now: { nested: true } } });
  assert.deepEqual(merged.metadata, { v: { timestamp: 9 }, w: { now: { nested: { timestamp: 9 } } } });
});

test('nulls inside a new object are dropped, not stored', () => {
  const merged = mergeSection({}, { o: { keep: 1, drop: null } }, 9);
  assert.deepEqual(merged.state, { o: { keep: 1 } });
  assert.deepEqual(merged.metadata, { o: { keep: { timestamp: 9 } } });
});

test('the inputs are not modified', () => {
  const state = { o: { x: 1 } };
  const metadata = { o: { x: { timestamp: 1 } } };
  mergeSection({ state, metadata }, { o: { x: 2, y: null } }, 9);
  assert.deepEqual(state, { o: { x: 1 } });
  assert.deepEqual(metadata, { o: { x: { timestamp: 1 } } });
});

test('__proto__ and constructor are stored as ordinary keys', () => {
  const patch = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":1}}');
  const merged = mergeSection({}, patch, 9);
  assert.deepEqual(Object.keys(merged.state), ['__proto__', 'constructor']);
  assert.equal(JSON.stringify(merged.state), '{"__proto__":{"polluted":true},"constructor":{"prototype":1}}');
  assert.equal(Object.getPrototypeOf(merged.state), Object.prototype);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  const again = mergeSection(merged, JSON.parse('{"__proto__":{"more":2}}'), 10);
  assert.equal(JSON.stringify(again.state), '{"__proto__":{"polluted":true,"more":2},"constructor":{"prototype":1}}');
});

test('metadataOf mirrors a value with timestamp leaves', () => {
  assert.deepEqual(metadataOf({ a: [1, { b: 'x' }], c: null }, 5), { a: [{ timestamp: 5 }, { b: { timestamp: 5 } }], c: { timestamp: 5 } });
  assert.deepEqual(metadataOf('x', 5), { timestamp: 5 });
  assert.deepEqual(metadataOf([], 5), []);
});
