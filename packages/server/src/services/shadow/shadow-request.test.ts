import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SHADOW_LIMITS } from './shadow-document.js';
import { ShadowRejection } from './shadow-rejection.js';
import { parseClientToken, parseUpdateRequest } from './shadow-request.js';

const parse = (text: string | Buffer) => parseUpdateRequest(typeof text === 'string' ? Buffer.from(text) : text, DEFAULT_SHADOW_LIMITS);

/** Asserts `run` throws a ShadowRejection with this code, message and clientToken. */
function assertRejects(run: () => unknown, code: number, message: string, clientToken?: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ShadowRejection, String(error));
    assert.equal(error.code, code);
    assert.equal(error.message, message);
    assert.equal(error.clientToken, clientToken);
    return true;
  });
}

test('a request keeps state, version and clientToken and drops everything else', () => {
  assert.deepEqual(parse('{"state":{"desired":{"a":1},"reported":{"b":[1,2]},"delta":{"x":1}},"version":3,"clientToken":"c1","metadata":{}}'), {
    state: { desired: { a: 1 }, reported: { b: [1, 2] } }, version: 3, clientToken: 'c1',
  });
  assert.deepEqual(parse('{"state":{}}'), { state: {} });
  assert.deepEqual(parse('{"state":{"desired":null}}'), { state: { desired: null } });
  assert.deepEqual(parse('{"state":{"reported":{}},"version":null}'), { state: { reported: {} } });
});

test('"state": null empties both sections', () => {
  assert.deepEqual(parse('{"state":null,"clientToken":"c"}'), { state: { desired: null, reported: null }, clientToken: 'c' });
});

test('malformed JSON and non-object payloads are 400 Invalid JSON', () => {
  for (const text of ['', '{', 'null', '[]', '"state"', '42', '{"state":{}} x']) assertRejects(() => parse(text), 400, 'Invalid JSON');
});

test('a payload that is not UTF-8 is 415', () => {
  assertRejects(() => parse(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])), 415, 'Unsupported documented encoding; supported encoding is UTF-8');
  assertRejects(() => parseClientToken(Buffer.from([0xff])), 415, 'Unsupported documented encoding; supported encoding is UTF-8');
});

test('missing or non-object nodes name the node, carrying the clientToken', () => {
  assertRejects(() => parse('{"clientToken":"t","desired":{}}'), 400, 'Missing required node: state', 't');
  assertRejects(() => parse('{}'), 400, 'Missing required node: state');
  assertRejects(() => parse('{"clientToken":"t","state":[]}'), 400, 'State node must be an object', 't');
  assertRejects(() => parse('{"state":"on"}'), 400, 'State node must be an object');
  assertRejects(() => parse('{"clientToken":"t","state":{"desired":[1]}}'), 400, 'Desired node must be an object', 't');
  assertRejects(() => parse('{"state":{"desired":5}}'), 400, 'Desired node must be an object');
  assertRejects(() => parse('{"state":{"reported":"x"}}'), 400, 'Reported node must be an object');
});

test('version must be a non-negative integer', () => {
  assert.equal(parse('{"state":{},"version":0}').version, 0);
  assert.equal(parse(`{"state":{},"version":${Number.MAX_SAFE_INTEGER}}`).version, Number.MAX_SAFE_INTEGER);
  for (const version of ['-1', '1.5', '"3"', 'true', '{}', '1e300']) {
    assertRejects(() => parse(`{"state":{},"version":${version},"clientToken":"t"}`), 400, 'Invalid version', 't');
  }
});

test('clientToken must be a string of at most 64 bytes', () => {
  assert.equal(parse(`{"state":{},"clientToken":"${'x'.repeat(64)}"}`).clientToken, 'x'.repeat(64));
  // 32 two-byte characters are 64 bytes; 33 are 66.
  assert.equal(parse(`{"state":{},"clientToken":"${'é'.repeat(32)}"}`).clientToken, 'é'.repeat(32));
  assertRejects(() => parse(`{"state":{},"clientToken":"${'é'.repeat(33)}"}`), 400, 'Invalid clientToken');
  assertRejects(() => parse(`{"state":{},"clientToken":"${'x'.repeat(65)}"}`), 400, 'Invalid clientToken');
  assertRejects(() => parse('{"state":{},"clientToken":7}'), 400, 'Invalid clientToken');
});

test('nesting deeper than 6 levels, the section being the first, is refused', () => {
  // desired(1) a(2) b(3) c(4) d(5) e(6): allowed.
  assert.ok(parse('{"state":{"desired":{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}}}'));
  assert.ok(parse('{"state":{"reported":{"a":[[[[[1]]]]]}}}'));
  const message = 'JSON contains too many levels of nesting; maximum is 6';
  assertRejects(() => parse('{"clientToken":"t","state":{"desired":{"a":{"b":{"c":{"d":{"e":{"f":{"g":1}}}}}}}}}'), 400, message, 't');
  assertRejects(() => parse('{"state":{"reported":{"a":[[[[[[1]]]]]]}}}'), 400, message);
  assertRejects(() => parseUpdateRequest(Buffer.from('{"state":{"desired":{"a":{"b":1}}}}'), { ...DEFAULT_SHADOW_LIMITS, maxDepth: 1 }), 400,
    'JSON contains too many levels of nesting; maximum is 1');
});

test('a hostile, very deep document is refused without exhausting the stack', () => {
  const depth = 60_000; // 120 kB, under the unread-size cap
  const text = `{"state":{"desired":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;
  assertRejects(() => parse(text), 400, 'JSON contains too many levels of nesting; maximum is 6');
});

test('null inside an array is an invalid node; null as a value deletes', () => {
  assertRejects(() => parse('{"clientToken":"t","state":{"desired":{"colors":[null,"RED"]}}}'), 400, 'State contains an invalid node', 't');
  assertRejects(() => parse('{"state":{"reported":{"a":{"b":[["x",null]]}}}}'), 400, 'State contains an invalid node');
  assert.deepEqual(parse('{"state":{"desired":{"colors":null,"o":{"x":null}}}}').state, { desired: { colors: null, o: { x: null } } });
});

test('a payload far larger than any shadow is refused unread with 413', () => {
  const huge = Buffer.from(`{"state":{"reported":{"a":"${'x'.repeat(200 * 1024)}"}}}`);
  assertRejects(() => parse(huge), 413, 'The payload exceeds the maximum size allowed');
});

test('keys such as __proto__ are data, not prototypes', () => {
  const request = parse('{"state":{"desired":{"__proto__":{"polluted":true}}}}');
  assert.deepEqual(Object.keys(request.state.desired ?? {}), ['__proto__']);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('get and delete payloads: empty or an object with an optional clientToken', () => {
  assert.equal(parseClientToken(Buffer.alloc(0)), undefined);
  assert.equal(parseClientToken(Buffer.from('{}')), undefined);
  assert.equal(parseClientToken(Buffer.from('{"clientToken":"c-9","other":1}')), 'c-9');
  assertRejects(() => parseClientToken(Buffer.from('not json')), 400, 'Invalid JSON');
  assertRejects(() => parseClientToken(Buffer.from('[]')), 400, 'Invalid JSON');
  assertRejects(() => parseClientToken(Buffer.from(`{"clientToken":"${'x'.repeat(65)}"}`)), 400, 'Invalid clientToken');
});
