import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SHADOW_LIMITS, type ShadowDocument } from './shadow-document.js';
import { ShadowRejection } from './shadow-rejection.js';
import { parseUpdateRequest } from './shadow-request.js';
import { applyShadowUpdate, type UpdateOutcome } from './shadow-update.js';

const limits = DEFAULT_SHADOW_LIMITS;
const apply = (current: ShadowDocument | undefined, json: string, now = 100, baseVersion?: number): UpdateOutcome =>
  applyShadowUpdate(current, parseUpdateRequest(Buffer.from(json), limits), { now, limits, ...(baseVersion === undefined ? {} : { baseVersion }) });

function assertRejects(run: () => unknown, code: number, message: string, clientToken?: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ShadowRejection, String(error));
    assert.deepEqual({ code: error.code, message: error.message, clientToken: error.clientToken }, { code, message, clientToken });
    return true;
  });
}

test('the first update creates the shadow at version 1; documents.previous is null', () => {
  const outcome = apply(undefined, '{"state":{"desired":{"mode":"eco"}},"clientToken":"c1"}');
  assert.deepEqual(outcome.document, { state: { desired: { mode: 'eco' } }, metadata: { desired: { mode: { timestamp: 100 } } }, version: 1 });
  assert.deepEqual(outcome.accepted, {
    state: { desired: { mode: 'eco' } }, metadata: { desired: { mode: { timestamp: 100 } } }, version: 1, timestamp: 100, clientToken: 'c1',
  });
  assert.deepEqual(outcome.documents, {
    previous: null,
    current: { state: { desired: { mode: 'eco' } }, metadata: { desired: { mode: { timestamp: 100 } } }, version: 1 },
    timestamp: 100,
    clientToken: 'c1',
  });
  assert.deepEqual(outcome.delta, { state: { mode: 'eco' }, metadata: { mode: { timestamp: 100 } }, version: 1, timestamp: 100, clientToken: 'c1' });
});

test('a recreated shadow continues from baseVersion (a deleted one younger than 48 h)', () => {
  const outcome = apply(undefined, '{"state":{"reported":{"on":true}},"version":7}', 100, 7);
  assert.equal(outcome.document.version, 8);
  assert.equal(outcome.documents.previous, null);
  assertRejects(() => apply(undefined, '{"state":{},"version":0}', 100, 7), 409, 'Version conflict');
});

test('accepted carries only the keys sent, nulls included; documents carry previous and current whole', () => {
  const first = apply(undefined, '{"state":{"desired":{"a":1,"b":{"c":2,"d":3}},"reported":{"a":0}}}', 100).document;
  const outcome = apply(first, '{"state":{"desired":{"b":{"c":null},"e":[1,2]}},"clientToken":"t"}', 200);
  assert.deepEqual(outcome.accepted, {
    state: { desired: { b: { c: null }, e: [1, 2] } },
    metadata: { desired: { b: { c: { timestamp: 200 } }, e: [{ timestamp: 200 }, { timestamp: 200 }] } },
    version: 2, timestamp: 200, clientToken: 't',
  });
  assert.deepEqual(outcome.document.state, { desired: { a: 1, b: { d: 3 }, e: [1, 2] }, reported: { a: 0 } });
  assert.deepEqual(outcome.document.metadata, {
    desired: { a: { timestamp: 100 }, b: { d: { timestamp: 100 } }, e: [{ timestamp: 200 }, { timestamp: 200 }] },
    reported: { a: { timestamp: 100 } },
  });
  assert.deepEqual(outcome.documents.previous, { state: first.state, metadata: first.metadata, version: 1 });
  assert.deepEqual(outcome.documents.current, { state: outcome.document.state, metadata: outcome.document.metadata, version: 2 });
});

test('the delta event carries the whole delta after any update that leaves one, reported-only updates included', () => {
  const start = apply(undefined, '{"state":{"desired":{"a":1,"b":2},"reported":{"a":1,"b":2}}}', 100).document;
  assert.equal(apply(start, '{"state":{"reported":{"c":3}}}').delta, undefined, 'reported-only keys make no delta');
  const drifted = apply(start, '{"state":{"reported":{"b":5}}}', 150);
  assert.deepEqual(drifted.delta, { state: { b: 2 }, metadata: { b: { timestamp: 100 } }, version: 2, timestamp: 150 });
  // A desired change to "a" still reports "b", which differed before the update.
  const both = apply(drifted.document, '{"state":{"desired":{"a":9}}}', 200);
  assert.deepEqual(both.delta?.state, { a: 9, b: 2 });
  assert.deepEqual(both.delta?.metadata, { a: { timestamp: 200 }, b: { timestamp: 100 } });
  assert.equal(apply(both.document, '{"state":{"reported":{"a":9,"b":2}}}').delta, undefined, 'converged: no delta');
});

test('"desired": null removes the section and its metadata; the version still bumps', () => {
  const start = apply(undefined, '{"state":{"desired":{"a":1},"reported":{"a":2}}}', 100).document;
  const outcome = apply(start, '{"state":{"reported":{"a":1},"desired":null}}', 200);
  assert.deepEqual(outcome.document, { state: { reported: { a: 1 } }, metadata: { reported: { a: { timestamp: 200 } } }, version: 2 });
  assert.deepEqual(outcome.accepted.state, { desired: null, reported: { a: 1 } });
  assert.deepEqual(outcome.accepted.metadata, { desired: { timestamp: 200 }, reported: { a: { timestamp: 200 } } });
  assert.equal(outcome.delta, undefined);
});

test('"state": null and deleting every key leave an empty shadow that still exists', () => {
  const start = apply(undefined, '{"state":{"desired":{"a":1},"reported":{"b":2}}}', 100).document;
  const cleared = apply(start, '{"state":null}', 200);
  assert.deepEqual(cleared.document, { state: {}, metadata: {}, version: 2 });
  const emptied = apply(start, '{"state":{"desired":{"a":null},"reported":{"b":null}}}', 200);
  assert.deepEqual(emptied.document, { state: {}, metadata: {}, version: 2 }, 'an emptied section is dropped');
  assert.deepEqual(apply(undefined, '{"state":{}}').document, { state: {}, metadata: {}, version: 1 }, '{} is a valid document');
});

test('a request version must equal the current version: 409 Version conflict', () => {
  const start = apply(undefined, '{"state":{"reported":{"a":1}}}').document;
  assert.equal(apply(start, '{"state":{"reported":{"a":2}},"version":1}').document.version, 2);
  assertRejects(() => apply(start, '{"state":{"reported":{"a":2}},"version":2,"clientToken":"c"}'), 409, 'Version conflict', 'c');
  assertRejects(() => apply(start, '{"state":{"reported":{"a":2}},"version":0}'), 409, 'Version conflict');
  assert.equal(apply(undefined, '{"state":{},"version":0}').document.version, 1, 'a new shadow is at version 0');
});

test('413 when desired + reported JSON exceeds the limit after the merge; metadata does not count', () => {
  const small = { maxDocumentBytes: 20, maxDepth: 6 };
  const run = (current: ShadowDocument | undefined, json: string) => applyShadowUpdate(current, parseUpdateRequest(Buffer.from(json), small), { now: 1, limits: small });
  // {"a":"123456789012"} is 20 bytes: exactly the limit.
  const full = run(undefined, '{"state":{"desired":{"a":"123456789012"}}}').document;
  assertRejects(() => run(full, '{"state":{"reported":{"b":1}},"clientToken":"c"}'), 413, 'The payload exceeds the maximum size allowed', 'c');
  // The request alone is larger than the limit, the result is not: deletions shrink the shadow.
  assert.deepEqual(run(full, '{"state":{"desired":{"a":null,"x":null,"y":null,"z":null}}}').document.state, {});
});

test('depth and array nulls are checked on requests built by code too', () => {
  const deep = { state: { desired: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } } };
  assertRejects(() => applyShadowUpdate(undefined, { ...deep, clientToken: 'k' }, { now: 1, limits }), 400, 'JSON contains too many levels of nesting; maximum is 6', 'k');
  assertRejects(() => applyShadowUpdate(undefined, { state: { reported: { l: [1, null] } } }, { now: 1, limits }), 400, 'State contains an invalid node');
});

test('the current document is not modified by an update', () => {
  const start = apply(undefined, '{"state":{"desired":{"o":{"x":1}}}}').document;
  const before = JSON.stringify(start);
  apply(start, '{"state":{"desired":{"o":{"x":null,"y":2}},"reported":{"z":1}}}');
  assert.equal(JSON.stringify(start), before);
});
