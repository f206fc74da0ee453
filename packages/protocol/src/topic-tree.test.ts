import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { matchTopic } from './topic.js';
import { topicFilterArb, topicNameArb } from './topic-arbitraries.js';
import { TopicTree } from './topic-tree.js';

function sorted<T>(values: T[]): T[] {
  return [...values].sort();
}

function treeOf(...pairs: [string, string][]): TopicTree<string> {
  const tree = new TopicTree<string>();
  for (const [filter, value] of pairs) tree.add(filter, value);
  return tree;
}

describe('TopicTree', () => {
  it('matches literal filters exactly', () => {
    const tree = treeOf(['a/b', 'x'], ['a/b/c', 'y'], ['a', 'z']);
    assert.deepEqual(tree.match('a/b'), ['x']);
    assert.deepEqual(tree.match('a/b/c'), ['y']);
    assert.deepEqual(tree.match('a/c'), []);
    assert.deepEqual(tree.match('a/b/'), []);
  });

  it('matches "#" at its level, below it and at its parent [MQTT-4.7.1-2]', () => {
    const tree = treeOf(['sport/tennis/player1/#', 'p1'], ['sport/#', 'sport'], ['#', 'all']);
    assert.deepEqual(sorted(tree.match('sport/tennis/player1')), ['all', 'p1', 'sport']);
    assert.deepEqual(sorted(tree.match('sport/tennis/player1/score/wimbledon')), ['all', 'p1', 'sport']);
    assert.deepEqual(sorted(tree.match('sport')), ['all', 'sport']);
    assert.deepEqual(sorted(tree.match('sports')), ['all']);
  });

  it('matches "+" at exactly one level, including an empty one [MQTT-4.7.1-3]', () => {
    const tree = treeOf(['sport/tennis/+', 't'], ['sport/+', 's'], ['+/+', 'pp'], ['/+', 'sp'], ['+', 'p'], ['a/+/c', 'ac']);
    assert.deepEqual(tree.match('sport/tennis/player1'), ['t']);
    assert.deepEqual(sorted(tree.match('sport/')), ['pp', 's']);
    assert.deepEqual(tree.match('sport'), ['p']);
    assert.deepEqual(sorted(tree.match('/finance')), ['pp', 'sp']);
    assert.deepEqual(tree.match('a//c'), ['ac']);
  });

  it('does not match wildcards at the first level with "$" topics [MQTT-4.7.2-1]', () => {
    const tree = treeOf(['#', 'all'], ['+/monitor/Clients', 'plus'], ['$SYS/#', 'sys'], ['$SYS/monitor/+', 'mon'], ['+/#', 'ph']);
    assert.deepEqual(sorted(tree.match('$SYS/monitor/Clients')), ['mon', 'sys']);
    assert.deepEqual(sorted(tree.match('x/monitor/Clients')), ['all', 'ph', 'plus']);
    const deeper = treeOf(['a/#', 'h'], ['a/+', 'p']);
    assert.deepEqual(sorted(deeper.match('a/$b')), ['h', 'p']);
  });

  it('stores the same (filter, value) pair once and counts pairs in size', () => {
    const tree = new TopicTree<object>();
    const session = {};
    tree.add('a/+', session);
    tree.add('a/+', session);
    tree.add('a/#', session);
    assert.equal(tree.size, 2);
    assert.equal(tree.filterCount, 2);
    // a value under two matching filters comes back once per filter; the broker dedupes
    assert.deepEqual(tree.match('a/b'), [session, session]);
    assert.equal(tree.has('a/+', session), true);
    assert.equal(tree.has('a/+', {}), false);
  });

  it('compares values with === and removes only the given pair', () => {
    const tree = new TopicTree<{ id: number }>();
    const one = { id: 1 };
    const twin = { id: 1 };
    tree.add('a', one);
    tree.add('a', twin);
    assert.equal(tree.remove('a', { id: 1 }), false);
    assert.equal(tree.remove('a', one), true);
    assert.equal(tree.remove('a', one), false);
    assert.deepEqual(tree.match('a'), [twin]);
    assert.equal(tree.match('a')[0], twin);
    assert.equal(tree.remove('missing', twin), false);
    assert.equal(tree.size, 1);
  });

  it('prunes nodes left empty by remove', () => {
    const tree = new TopicTree<number>();
    tree.add('a/b/c', 1);
    tree.add('a/+/#', 2);
    tree.add('a', 3);
    assert.equal(tree.nodeCount, 5); // a, a/b, a/b/c, a/+, a/+/#
    tree.remove('a/b/c', 1);
    assert.equal(tree.nodeCount, 3);
    tree.remove('a/+/#', 2);
    assert.equal(tree.nodeCount, 1);
    tree.remove('a', 3);
    assert.equal(tree.nodeCount, 0);
    assert.equal(tree.size, 0);
    tree.add('a/b', 4);
    assert.deepEqual(tree.match('a/b'), [4]);
  });

  it('keeps many values of one filter consistent through the position index', () => {
    const tree = new TopicTree<number>();
    for (let i = 0; i < 100; i++) tree.add('hot/topic', i);
    for (let i = 0; i < 100; i++) tree.add('hot/topic', i);
    assert.equal(tree.size, 100);
    for (let i = 0; i < 100; i += 3) assert.equal(tree.remove('hot/topic', i), true);
    for (let i = 0; i < 100; i += 3) assert.equal(tree.remove('hot/topic', i), false);
    const expected = Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 !== 0);
    assert.deepEqual(tree.match('hot/topic').sort((a, b) => a - b), expected);
    assert.deepEqual(tree.valuesOf('hot/topic').sort((a, b) => a - b), expected);
    assert.equal(tree.size, expected.length);
  });

  it('rejects invalid filters with a TypeError [MQTT-4.7.1-2] [MQTT-4.7.1-3]', () => {
    const tree = new TopicTree<number>();
    assert.throws(() => tree.add('a/#/b', 1), { name: 'TypeError', message: /multi-level wildcard/ });
    assert.throws(() => tree.add('a+', 1), { name: 'TypeError', message: /single-level wildcard/ });
    assert.throws(() => tree.add('', 1), { name: 'TypeError', message: /must not be empty/ });
    assert.equal(tree.size, 0);
    assert.equal(tree.nodeCount, 0);
  });

  it('stores a shared subscription under its inner filter, where the "$" rule still applies', () => {
    const tree = treeOf(['#', 'plain'], ['#', 'group:workers']);
    assert.deepEqual(sorted(tree.match('jobs/run')), ['group:workers', 'plain']);
    assert.deepEqual(tree.match('$SYS/x'), []);
  });

  it('bumps version on every change and lists entries', () => {
    const tree = new TopicTree<string>();
    const v0 = tree.version;
    tree.add('a', 'x');
    tree.add('a', 'x');
    assert.equal(tree.version, v0 + 1);
    tree.add('b/#', 'y');
    assert.deepEqual([...tree.entries()], [['a', 'x'], ['b/#', 'y']]);
    tree.remove('a', 'missing');
    assert.equal(tree.version, v0 + 2);
    tree.clear();
    assert.equal(tree.version, v0 + 3);
    assert.equal(tree.size, 0);
    assert.deepEqual(tree.match('b/c'), []);
  });

  it('handles filters deeper than the call stack', () => {
    const tree = new TopicTree<number>();
    const deep = Array.from({ length: 20000 }, () => 'a').join('/');
    tree.add(`${deep}/#`, 1);
    tree.add(deep.replaceAll('a', '+'), 2);
    assert.deepEqual(sorted(tree.match(deep)), [1, 2]);
    assert.equal(tree.remove(`${deep}/#`, 1), true);
    assert.deepEqual(tree.match(`${deep}/b`), []);
  });

  it('agrees with matchTopic on random filters and topics [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.2-1]', () => {
    fc.assert(
      fc.property(fc.uniqueArray(topicFilterArb, { maxLength: 30 }), fc.array(topicNameArb, { minLength: 1, maxLength: 10 }), (filters, topics) => {
        const tree = new TopicTree<number>();
        filters.forEach((filter, i) => tree.add(filter, i));
        for (const topic of topics) {
          const expected = filters.flatMap((filter, i) => (matchTopic(filter, topic) ? [i] : []));
          assert.deepEqual(tree.match(topic).sort((a, b) => a - b), expected, topic);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps size and matches right through random add/remove sequences', () => {
    const op = fc.record({ add: fc.boolean(), filter: topicFilterArb, value: fc.integer({ min: 0, max: 4 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(topicNameArb, { minLength: 1, maxLength: 8 }), (ops, topics) => {
        const tree = new TopicTree<number>();
        const model = new Map<string, Set<number>>();
        for (const { add, filter, value } of ops) {
          const values = model.get(filter) ?? new Set<number>();
          if (add) {
            tree.add(filter, value);
            values.add(value);
            model.set(filter, values);
          } else {
            assert.equal(tree.remove(filter, value), values.delete(value));
            if (values.size === 0) model.delete(filter);
          }
          assert.equal(tree.size, [...model.values()].reduce((sum, set) => sum + set.size, 0));
        }
        for (const topic of topics) {
          const expected = [...model].flatMap(([filter, values]) => (matchTopic(filter, topic) ? [...values] : []));
          assert.deepEqual(tree.match(topic).sort((a, b) => a - b), expected.sort((a, b) => a - b), topic);
        }
        for (const [filter, values] of model) for (const value of values) tree.remove(filter, value);
        assert.equal(tree.size, 0);
        assert.equal(tree.nodeCount, 0);
      }),
      { numRuns: 500 },
    );
  });
});
