import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { anyChar, anyRun, compileGlob, globAfterPrefix, globSource, normalizeGlob, type GlobToken } from './glob-matcher.js';

/** The definition, by brute force over code points: the reference the compiled matchers must agree with. */
function naiveMatch(tokens: readonly GlobToken[], text: string): boolean {
  const chars = [...text];
  const go = (t: number, c: number): boolean => {
    if (t === tokens.length) return c === chars.length;
    const token = tokens[t];
    if (token === anyRun) {
      for (let k = c; k <= chars.length; k++) if (go(t + 1, k)) return true;
      return false;
    }
    if (token === anyChar) return c < chars.length && go(t + 1, c + 1);
    const literal = [...(token as string)];
    for (let k = 0; k < literal.length; k++) if (chars[c + k] !== literal[k]) return false;
    return go(t + 1, c + literal.length);
  };
  return go(0, 0);
}

const alphabet = fc.constantFrom('a', 'b', '/', '+', '#', '.', '😀', '\n');
const textArb = fc.array(alphabet, { maxLength: 8 }).map((chars) => chars.join(''));
const tokenArb: fc.Arbitrary<GlobToken> = fc.oneof(
  { weight: 3, arbitrary: fc.array(alphabet, { minLength: 1, maxLength: 3 }).map((chars) => chars.join('')) },
  { weight: 1, arbitrary: fc.constant(anyRun) },
  { weight: 1, arbitrary: fc.constant(anyChar) },
);
const tokensArb = fc.array(tokenArb, { maxLength: 5 });

describe('compileGlob', () => {
  it('matches exact text, and only that', () => {
    const matcher = compileGlob(['customer-1/agent-7']);
    assert.equal(matcher.matches('customer-1/agent-7'), true);
    assert.equal(matcher.matches('customer-1/agent-70'), false);
    assert.equal(matcher.matches('customer-1/agent-'), false);
  });

  it('lets * cross topic levels, as AWS policies do', () => {
    const matcher = compileGlob(['customer-1/', anyRun]);
    assert.equal(matcher.matches('customer-1/a/b/c'), true);
    assert.equal(matcher.matches('customer-1/'), true);
    assert.equal(matcher.matches('customer-2/a'), false);
    assert.equal(compileGlob([anyRun, '/status']).matches('a/b/status'), true);
    assert.equal(compileGlob(['a/', anyRun, '/c']).matches('a/x/y/c'), true);
    assert.equal(compileGlob(['a/', anyRun, '/c']).matches('a/c'), false);
  });

  it('makes ? exactly one character, a whole emoji included', () => {
    const matcher = compileGlob(['thing-', anyChar]);
    assert.equal(matcher.matches('thing-1'), true);
    assert.equal(matcher.matches('thing-😀'), true);
    assert.equal(matcher.matches('thing-'), false);
    assert.equal(matcher.matches('thing-12'), false);
  });

  it('takes MQTT wildcards and RegExp characters literally', () => {
    const matcher = compileGlob(['a/+/b/', anyChar, '.(x)|[y]$']);
    assert.equal(matcher.matches('a/+/b/Z.(x)|[y]$'), true);
    assert.equal(matcher.matches('a/q/b/Z.(x)|[y]$'), false);
    assert.equal(compileGlob(['sensor/#']).matches('sensor/#'), true);
    assert.equal(compileGlob(['sensor/#']).matches('sensor/a'), false);
  });

  it('shows its source in policy notation, literal wildcards escaped', () => {
    assert.equal(globSource(['a*?$', anyRun, anyChar]), 'a${*}${?}${$}*?');
    assert.deepEqual(normalizeGlob(['a', '', 'b', anyRun, anyRun, 'c']), ['ab', anyRun, 'c']);
  });

  it('agrees with the definition on random globs and texts', () => {
    fc.assert(fc.property(tokensArb, textArb, (tokens, text) => {
      assert.equal(compileGlob(tokens).matches(text), naiveMatch(tokens, text), `${globSource(tokens)} on ${JSON.stringify(text)}`);
    }), { numRuns: 2000 });
  });
});

describe('globAfterPrefix', () => {
  it('strips a literal type prefix', () => {
    assert.deepEqual(globAfterPrefix(['topic/a/', anyRun], 'topic/'), [['a/', anyRun]]);
    assert.deepEqual(globAfterPrefix(['topicfilter/a'], 'topic/'), []);
    assert.deepEqual(globAfterPrefix(['topic/a'], 'topicfilter/'), []);
  });

  it('keeps what a leading * may still cover', () => {
    assert.deepEqual(globAfterPrefix([anyRun], 'client/'), [[anyRun]]);
    const rests = globAfterPrefix([anyRun, '/x'], 'topic/');
    assert.ok(rests.some((rest) => globSource(rest) === '*/x'));
    assert.ok(rests.some((rest) => globSource(rest) === 'x'));
  });

  it('covers exactly the names whose prefixed form the glob matches', () => {
    const prefixArb = fc.constantFrom('topic/', 'client/', 'thing/', '', 'a/');
    fc.assert(fc.property(tokensArb, prefixArb, textArb, (tokens, prefix, name) => {
      const expected = naiveMatch(normalizeGlob(tokens), prefix + name);
      const actual = globAfterPrefix(tokens, prefix).some((rest) => compileGlob(rest).matches(name));
      assert.equal(actual, expected, `${globSource(tokens)} after ${prefix} on ${JSON.stringify(name)}`);
    }), { numRuns: 2000 });
  });
});
