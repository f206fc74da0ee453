/**
 * Properties of the shadow core over generated documents and updates: the delta's meaning, that an
 * update reads back as sent, and that versions only go up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { computeDelta } from './shadow-delta.js';
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue, type ShadowDocument, type ShadowLimits } from './shadow-document.js';
import { mergeSection } from './shadow-merge.js';
import { getAcceptedPayload } from './shadow-replies.js';
import { ShadowRejection } from './shadow-rejection.js';
import { applyShadowUpdate, type UpdateOutcome } from './shadow-update.js';
import type { UpdateRequest } from './shadow-request.js';

const limits: ShadowLimits = { maxDocumentBytes: 1 << 20, maxDepth: 6 };

// Few keys, so documents and updates collide often.
const key = fc.constantFrom('a', 'b', 'c', 'd');
const scalar = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('x', 'y', ''), fc.boolean());

/** JSON objects without nulls, at most 4 levels: what a shadow section holds. */
const { object: stateObject } = fc.letrec<{ value: JsonValue; object: JsonObject }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(scalar, { maxLength: 3 }), tie('object')),
  object: fc.dictionary(key, tie('value'), { maxKeys: 3 }) as fc.Arbitrary<JsonObject>,
}));

/** Update patches: like state, plus nulls (deletions) at object keys. */
const { object: patchObject } = fc.letrec<{ value: JsonValue; object: JsonObject }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.constant(null), fc.array(scalar, { maxLength: 3 }), tie('object')),
  object: fc.dictionary(key, tie('value'), { maxKeys: 3 }) as fc.Arbitrary<JsonObject>,
}));

const section = fc.option(fc.oneof(patchObject, fc.constant(null)), { nil: undefined });
const updateRequest: fc.Arbitrary<UpdateRequest> = fc.record({ desired: section, reported: section }).map(({ desired, reported }) => ({
  state: { ...(desired === undefined ? {} : { desired }), ...(reported === undefined ? {} : { reported }) },
}));

/** Each path to a leaf: a scalar, an array, or an empty object. */
function leaves(object: JsonObject, path: string[] = []): Array<[string[], JsonValue]> {
  return Object.entries(object).flatMap(([k, value]): Array<[string[], JsonValue]> =>
    isJsonObject(value) && Object.keys(value).length > 0 ? leaves(value, [...path, k]) : [[[...path, k], value]]);
}

function valueAt(object: JsonObject | undefined, path: string[]): JsonValue | undefined {
  let node: JsonValue | undefined = object;
  for (const k of path) node = isJsonObject(node) && Object.hasOwn(node, k) ? node[k] : undefined;
  return node;
}

/** Builds a live shadow by applying updates in turn, as the service would. */
function shadowFrom(requests: UpdateRequest[]): ShadowDocument | undefined {
  let document: ShadowDocument | undefined;
  requests.forEach((request, i) => { document = applyShadowUpdate(document, request, { now: i + 1, limits }).document; });
  return document;
}

/** A desired leaf is met by an equal reported value; an empty desired object by any reported object. */
function leafMet(value: JsonValue, reported: JsonValue | undefined): boolean {
  return isJsonObject(value) ? isJsonObject(reported) : jsonEqual(value, reported);
}

test('the delta is empty exactly when every desired leaf equals reported', () => {
  fc.assert(fc.property(stateObject, stateObject, (desired, reported) => {
    const everyLeafEqual = leaves(desired).every(([path, value]) => leafMet(value, valueAt(reported, path)));
    assert.equal(computeDelta(desired, reported) === undefined, everyLeafEqual);
  }), { numRuns: 500 });
});

test('a device that applies the delta to reported converges: no delta remains', () => {
  fc.assert(fc.property(stateObject, stateObject, (desired, reported) => {
    const delta = computeDelta(desired, reported);
    if (delta === undefined) return;
    const applied = mergeSection({ state: reported }, delta, 1).state;
    assert.equal(computeDelta(desired, applied), undefined);
  }), { numRuns: 300 });
});

test('after an update, reading the shadow gives back the keys sent; deleted keys are gone', () => {
  fc.assert(fc.property(fc.array(updateRequest, { maxLength: 4 }), updateRequest, (history, request) => {
    const outcome = applyShadowUpdate(shadowFrom(history), request, { now: 1000, limits });
    const read = getAcceptedPayload(outcome.document, { now: 1001 });
    assert.deepEqual(outcome.accepted.state, request.state, 'accepted echoes exactly what was sent');
    for (const name of ['desired', 'reported'] as const) {
      const sent = request.state[name];
      if (sent === undefined) continue;
      if (sent === null) {
        assert.equal(read.state[name], undefined, `${name}: null removes the section`);
        continue;
      }
      for (const [path, value] of leaves(sent)) {
        const stored = valueAt(read.state[name], path);
        if (value === null) assert.equal(stored, undefined, `${name}.${path.join('.')} deleted`);
        else if (isJsonObject(value)) assert.ok(isJsonObject(stored), `${name}.${path.join('.')} is an object`);
        else {
          assert.deepEqual(stored, value, `${name}.${path.join('.')}`);
          const metadata = valueAt(read.metadata[name] as JsonObject | undefined, path);
          const expected = Array.isArray(value) ? value.map(() => ({ timestamp: 1000 })) : { timestamp: 1000 };
          assert.deepEqual(metadata, expected, `metadata of ${name}.${path.join('.')}`);
        }
      }
    }
  }), { numRuns: 300 });
});

test('versions strictly increase by one per accepted update, from the base version', () => {
  fc.assert(fc.property(fc.nat({ max: 1000 }), fc.array(updateRequest, { minLength: 1, maxLength: 8 }), (base, requests) => {
    let document: ShadowDocument | undefined;
    let expected = base;
    for (const request of requests) {
      const outcome: UpdateOutcome = applyShadowUpdate(document, request, { now: 1, limits, baseVersion: base });
      expected += 1;
      assert.equal(outcome.document.version, expected);
      assert.equal(outcome.accepted.version, expected);
      assert.equal(outcome.documents.current.version, expected);
      assert.equal(outcome.documents.previous?.version ?? base, expected - 1);
      document = outcome.document;
    }
  }), { numRuns: 200 });
});

test('a versioned update succeeds only at the current version and leaves the shadow alone otherwise', () => {
  fc.assert(fc.property(fc.array(updateRequest, { minLength: 1, maxLength: 4 }), updateRequest, fc.nat({ max: 8 }), (history, request, version) => {
    const current = shadowFrom(history)!;
    const before = JSON.stringify(current);
    const run = () => applyShadowUpdate(current, { ...request, version }, { now: 2000, limits });
    if (version === current.version) assert.equal(run().document.version, version + 1);
    else assert.throws(run, (error: unknown) => error instanceof ShadowRejection && error.code === 409);
    assert.equal(JSON.stringify(current), before);
  }), { numRuns: 200 });
});
