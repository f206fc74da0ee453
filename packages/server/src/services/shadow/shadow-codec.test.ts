import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentFromRecord, recordFields } from './shadow-codec.js';

const record = { tenant: 't', thing: 'agent-7', name: '', version: 3, updatedAt: 5000 };

test('a document survives the trip through the store text', () => {
  const document = {
    state: { desired: { a: [1, { b: 'x' }] }, reported: { c: 'y' } },
    metadata: { desired: { a: [{ timestamp: 1 }, { b: { timestamp: 1 } }] } },
    version: 3,
  };
  const fields = recordFields(JSON.parse(JSON.stringify(document)));
  assert.deepEqual(documentFromRecord({ ...record, ...fields }), JSON.parse(JSON.stringify(document)));
});

test('only the two sections are stored and read', () => {
  assert.deepEqual(recordFields({ state: {}, metadata: {}, version: 1 }), { state: '{}', metadata: '{}' });
  const read = documentFromRecord({ ...record, state: '{"desired":{"a":1},"delta":{"a":1},"reported":5}', metadata: '{"desired":{"a":{"timestamp":1}}}' });
  assert.deepEqual(read, { state: { desired: { a: 1 } }, metadata: { desired: { a: { timestamp: 1 } } }, version: 3 });
});

test('a tombstone reads as an empty shadow at its version', () => {
  assert.deepEqual(documentFromRecord({ ...record, state: '{}', metadata: '{}', version: 9, deletedAt: 6000 }), { state: {}, metadata: {}, version: 9 });
});

test('corrupt store text throws instead of passing as a shadow', () => {
  assert.throws(() => documentFromRecord({ ...record, state: 'not json', metadata: '{}' }), SyntaxError);
  assert.throws(() => documentFromRecord({ ...record, state: '[]', metadata: '{}' }), /state is not a JSON object/);
});
