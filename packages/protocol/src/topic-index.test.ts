import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { matchTopic } from './topic.js';
import { topicFilterArb, topicNameArb } from './topic-arbitraries.js';
import { TopicIndex } from './topic-index.js';

function indexOf(...topics: string[]): TopicIndex<string> {
  const index = new TopicIndex<string>();
  for (const topic of topics) index.set(topic, topic);
  return index;
}

function sortedMatch(index: TopicIndex<string>, filter: string): string[] {
  return index.matchFilter(filter).sort();
}

describe('TopicIndex', () => {
  it('stores, replaces, reads and deletes topics', () => {
    const index = new TopicIndex<number>();
    index.set('a/b', 1);
    index.set('a/b', 2);
    index.set('a', 3);
    assert.equal(index.size, 2);
    assert.equal(index.get('a/b'), 2);
    assert.equal(index.get('a/c'), undefined);
    assert.equal(index.has('a'), true);
    assert.equal(index.delete('a/b'), true);
    assert.equal(index.delete('a/b'), false);
    assert.equal(index.get('a/b'), undefined);
    assert.equal(index.size, 1);
  });

  it('keeps a stored undefined apart from a missing topic', () => {
    const index = new TopicIndex<undefined>();
    index.set('a', undefined);
    assert.equal(index.has('a'), true);
    assert.deepEqual(index.matchFilter('#'), [undefined]);
  });

  it('returns a literal filter\'s own topic', () => {
    const index = indexOf('a/b', 'a/b/c', 'a');
    assert.deepEqual(index.matchFilter('a/b'), ['a/b']);
    assert.deepEqual(index.matchFilter('a/x'), []);
  });

  it('returns the parent and every descendant for "#" [MQTT-4.7.1-2]', () => {
    const index = indexOf('sport', 'sport/', 'sport/tennis/player1', 'sport/tennis/player1/score/wimbledon', 'sports', 'other');
    assert.deepEqual(sortedMatch(index, 'sport/#'), ['sport', 'sport/', 'sport/tennis/player1', 'sport/tennis/player1/score/wimbledon']);
    assert.deepEqual(sortedMatch(index, 'sport/tennis/player1/#'), ['sport/tennis/player1', 'sport/tennis/player1/score/wimbledon']);
    assert.deepEqual(sortedMatch(index, '#'), ['other', 'sport', 'sport/', 'sport/tennis/player1', 'sport/tennis/player1/score/wimbledon', 'sports']);
  });

  it('returns exactly one level, possibly empty, for "+" [MQTT-4.7.1-3]', () => {
    const index = indexOf('sport', 'sport/', 'sport/tennis', 'sport/tennis/player1', '/finance', 'a//c');
    assert.deepEqual(sortedMatch(index, 'sport/+'), ['sport/', 'sport/tennis']);
    assert.deepEqual(sortedMatch(index, '+/+'), ['/finance', 'sport/', 'sport/tennis']);
    assert.deepEqual(sortedMatch(index, '/+'), ['/finance']);
    assert.deepEqual(sortedMatch(index, '+'), ['sport']);
    assert.deepEqual(sortedMatch(index, 'a/+/c'), ['a//c']);
  });

  it('does not return "$" topics for filters starting with a wildcard [MQTT-4.7.2-1]', () => {
    const index = indexOf('$SYS/monitor/Clients', '$aws/things/t/shadow', 'x/monitor/Clients', 'a/$b');
    assert.deepEqual(sortedMatch(index, '#'), ['a/$b', 'x/monitor/Clients']);
    assert.deepEqual(sortedMatch(index, '+/monitor/Clients'), ['x/monitor/Clients']);
    assert.deepEqual(sortedMatch(index, '+/#'), ['a/$b', 'x/monitor/Clients']);
    assert.deepEqual(sortedMatch(index, '$SYS/#'), ['$SYS/monitor/Clients']);
    assert.deepEqual(sortedMatch(index, '$SYS/monitor/+'), ['$SYS/monitor/Clients']);
    assert.deepEqual(sortedMatch(index, 'a/+'), ['a/$b']);
  });

  it('rejects invalid topic names and filters with a TypeError [MQTT-3.3.2-2] [MQTT-4.7.1-2]', () => {
    const index = new TopicIndex<number>();
    assert.throws(() => index.set('a/+', 1), { name: 'TypeError', message: /wildcards/ });
    assert.throws(() => index.set('', 1), { name: 'TypeError', message: /empty/ });
    assert.throws(() => index.matchFilter('a/#/b'), { name: 'TypeError', message: /multi-level wildcard/ });
    assert.equal(index.size, 0);
  });

  it('prunes nodes left empty by delete', () => {
    const index = indexOf('a/b/c', 'a/b', 'a/d');
    assert.equal(index.nodeCount, 4);
    index.delete('a/b');
    assert.equal(index.nodeCount, 4); // a/b still leads to a/b/c
    index.delete('a/b/c');
    assert.equal(index.nodeCount, 2);
    index.delete('a/d');
    assert.equal(index.nodeCount, 0);
    assert.deepEqual(index.matchFilter('#'), []);
  });

  it('lists entries in insertion order, filtered by a string prefix', () => {
    const index = indexOf('agents/7/config', 'agents/70/config', 'agents/8/config', '$aws/x');
    index.set('agents/7/config', 'again');
    assert.deepEqual([...index.entries()].map(([topic]) => topic), ['agents/7/config', 'agents/70/config', 'agents/8/config', '$aws/x']);
    assert.deepEqual([...index.entries('agents/7')], [['agents/7/config', 'again'], ['agents/70/config', 'agents/70/config']]);
    assert.deepEqual([...index.entries('agents/7/')].length, 1);
    assert.deepEqual([...index.entries('zzz')], []);
    index.clear();
    assert.equal(index.size, 0);
    assert.deepEqual(index.matchFilter('#'), []);
  });

  it('walks topics deeper than the call stack', () => {
    const index = new TopicIndex<number>();
    const deep = Array.from({ length: 20000 }, () => 'a').join('/');
    index.set(deep, 1);
    assert.deepEqual(index.matchFilter('#'), [1]);
    assert.deepEqual(index.matchFilter(`a/+/${'a/'.repeat(19997)}#`), [1]);
    assert.equal(index.delete(deep), true);
    assert.equal(index.nodeCount, 0);
  });

  it('answers "#" over 100,000 topics quickly', () => {
    const index = new TopicIndex<number>();
    for (let i = 0; i < 100_000; i++) index.set(`tenant-${i % 10}/device-${i}/state`, i);
    const started = performance.now();
    assert.equal(index.matchFilter('#').length, 100_000);
    assert.equal(index.matchFilter('tenant-3/+/state').length, 10_000);
    assert.ok(performance.now() - started < 1000, 'two walks over 100,000 topics took more than a second');
  });

  it('agrees with matchTopic on random topics and filters [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.2-1]', () => {
    fc.assert(
      fc.property(fc.uniqueArray(topicNameArb, { maxLength: 30 }), fc.array(topicFilterArb, { minLength: 1, maxLength: 10 }), (topics, filters) => {
        const index = indexOf(...topics);
        for (const filter of filters) {
          assert.deepEqual(sortedMatch(index, filter), topics.filter((topic) => matchTopic(filter, topic)).sort(), filter);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps size, values and matches right through random set/delete sequences', () => {
    const op = fc.record({ set: fc.boolean(), topic: topicNameArb, value: fc.integer() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(topicFilterArb, { minLength: 1, maxLength: 5 }), (ops, filters) => {
        const index = new TopicIndex<number>();
        const model = new Map<string, number>();
        for (const { set, topic, value } of ops) {
          if (set) {
            index.set(topic, value);
            model.set(topic, value);
          } else {
            assert.equal(index.delete(topic), model.delete(topic));
          }
          assert.equal(index.size, model.size);
        }
        assert.deepEqual([...index.entries()], [...model]);
        for (const filter of filters) {
          const expected = [...model].filter(([topic]) => matchTopic(filter, topic)).map(([, value]) => value);
          assert.deepEqual(index.matchFilter(filter).sort((a, b) => a - b), expected.sort((a, b) => a - b), filter);
        }
        for (const topic of model.keys()) index.delete(topic);
        assert.equal(index.nodeCount, 0);
      }),
      { numRuns: 500 },
    );
  });
});
