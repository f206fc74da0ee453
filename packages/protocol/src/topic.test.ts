import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  hasWildcard,
  matchTopic,
  parseSharedFilter,
  topicLevels,
  utf8ByteLength,
  validateSharedFilter,
  validateTopicFilter,
  validateTopicName,
} from './topic.js';
import { topicFilterArb, topicNameArb } from './topic-arbitraries.js';

const limits = { maxLength: 16, maxLevels: 3 };

describe('validateTopicName', () => {
  it('accepts ordinary, "$" and empty-level topics', () => {
    for (const topic of ['a', 'sport/tennis/player1', '/finance', 'a//c', '/', '$SYS/uptime', 'é/😀']) {
      assert.equal(validateTopicName(topic), undefined, topic);
    }
  });

  it('rejects an empty topic name [MQTT-4.7.3-1]', () => {
    assert.equal(validateTopicName(''), 'Topic name must not be empty');
  });

  it('rejects wildcards in a topic name [MQTT-3.3.2-2]', () => {
    for (const topic of ['+', '#', 'a/+/c', 'a/#', 'sport+', 'a#b']) {
      assert.equal(validateTopicName(topic), 'Topic name must not contain wildcards', topic);
    }
  });

  it('rejects U+0000 in a topic name [MQTT-4.7.3-2]', () => {
    assert.match(validateTopicName('a/\u0000/b') ?? '', /null character/);
  });

  it('rejects unpaired surrogates [MQTT-1.5.3-1]', () => {
    assert.match(validateTopicName('a/\ud800') ?? '', /unpaired surrogate/);
    assert.match(validateTopicName('\udc00b') ?? '', /unpaired surrogate/);
    assert.equal(validateTopicName('a/\ud83d\ude00'), undefined);
  });

  it('counts the length limit in bytes of UTF-8', () => {
    assert.equal(validateTopicName('a'.repeat(16), limits), undefined);
    assert.equal(validateTopicName('a'.repeat(17), limits), 'Topic name is 17 bytes long, over the limit of 16');
    // 8 two-byte characters fit in 16 bytes; 9 do not, though 9 UTF-16 units would.
    assert.equal(validateTopicName('é'.repeat(8), limits), undefined);
    assert.equal(validateTopicName('é'.repeat(9), limits), 'Topic name is 18 bytes long, over the limit of 16');
  });

  it('caps every limit at 65,535 bytes [MQTT-1.5.3]', () => {
    assert.equal(validateTopicName('a'.repeat(65535)), undefined);
    assert.match(validateTopicName('a'.repeat(65536)) ?? '', /65536 bytes long, over the limit of 65535/);
    assert.match(validateTopicName('€'.repeat(21846), { maxLength: 1e9, maxLevels: 10 }) ?? '', /65538 bytes/);
  });

  it('limits the number of levels', () => {
    assert.equal(validateTopicName('a/b/c', limits), undefined);
    assert.equal(validateTopicName('a/b/c/d', limits), 'Topic name has 4 levels, over the limit of 3');
    assert.equal(validateTopicName('///', limits), 'Topic name has 4 levels, over the limit of 3');
  });
});

describe('validateTopicFilter', () => {
  it('accepts the spec examples of valid filters [MQTT-4.7.1-2] [MQTT-4.7.1-3]', () => {
    for (const filter of ['#', '+', 'sport/#', 'sport/tennis/#', '+/tennis/#', 'sport/+/player1', '+/+', '/+', 'a//+', '$SYS/#']) {
      assert.equal(validateTopicFilter(filter), undefined, filter);
    }
  });

  it('rejects an empty filter [MQTT-4.7.3-1]', () => {
    assert.equal(validateTopicFilter(''), 'Topic filter must not be empty');
  });

  it('requires "#" to be last and alone in its level [MQTT-4.7.1-2]', () => {
    for (const filter of ['sport/tennis#', 'sport/tennis/#/ranking', '#/a', 'a/##', '#a', 'a#']) {
      assert.match(validateTopicFilter(filter) ?? '', /multi-level wildcard "#"/, filter);
    }
  });

  it('requires "+" to be alone in its level [MQTT-4.7.1-3]', () => {
    for (const filter of ['sport+', '+sport', 'a/+b/c', 'a/b+', '++']) {
      assert.match(validateTopicFilter(filter) ?? '', /single-level wildcard "\+"/, filter);
    }
  });

  it('rejects U+0000 [MQTT-4.7.3-2] and unpaired surrogates [MQTT-1.5.3-1]', () => {
    assert.match(validateTopicFilter('a/\u0000') ?? '', /null character/);
    assert.match(validateTopicFilter('a/\udfff/#') ?? '', /unpaired surrogate/);
  });

  it('applies the length and level limits', () => {
    assert.equal(validateTopicFilter('a/+/#', limits), undefined);
    assert.equal(validateTopicFilter('a/+/b/#', limits), 'Topic filter has 4 levels, over the limit of 3');
    assert.equal(validateTopicFilter(`${'x'.repeat(15)}/#`, limits), 'Topic filter is 17 bytes long, over the limit of 16');
  });
});

describe('shared subscriptions', () => {
  it('parses $share/{group}/{filter}', () => {
    assert.deepEqual(parseSharedFilter('$share/workers/jobs/+/run'), { group: 'workers', filter: 'jobs/+/run' });
    assert.deepEqual(parseSharedFilter('$share/g/#'), { group: 'g', filter: '#' });
    assert.deepEqual(parseSharedFilter('$share/g'), { group: 'g', filter: '' });
    assert.deepEqual(parseSharedFilter('$share//a'), { group: '', filter: 'a' });
    assert.equal(parseSharedFilter('jobs/+/run'), undefined);
    assert.equal(parseSharedFilter('$share'), undefined);
    assert.equal(parseSharedFilter('$SHARE/g/a'), undefined);
  });

  it('accepts a valid shared filter', () => {
    assert.equal(validateSharedFilter('$share/workers/jobs/#'), undefined);
    assert.equal(validateSharedFilter('$share/g/$SYS/+'), undefined);
  });

  it('requires a non-empty share name and an inner filter [MQTT-4.8.2-1]', () => {
    assert.equal(validateSharedFilter('$share//a'), 'Share name must not be empty');
    assert.match(validateSharedFilter('$share/g') ?? '', /must have a "\/" and a topic filter/);
    assert.match(validateSharedFilter('$share/g/') ?? '', /Topic filter must not be empty/);
    assert.match(validateSharedFilter('$share/g/a/#/b') ?? '', /multi-level wildcard.*in shared subscription "g"/);
    assert.match(validateSharedFilter('a/b') ?? '', /must start with "\$share\/"/);
  });

  it('rejects "+" and "#" in the share name [MQTT-4.8.2-2]', () => {
    assert.equal(validateSharedFilter('$share/a+b/x'), 'Share name must not contain "+", "#" or "/"');
    assert.equal(validateSharedFilter('$share/#/x'), 'Share name must not contain "+", "#" or "/"');
    assert.equal(validateSharedFilter('$share/+/x'), 'Share name must not contain "+", "#" or "/"');
  });

  it('applies the limits to the inner filter', () => {
    assert.equal(validateSharedFilter('$share/long-group-name/a/b/c', limits), undefined);
    assert.match(validateSharedFilter('$share/g/a/b/c/d', limits) ?? '', /4 levels/);
  });
});

describe('matchTopic', () => {
  const cases: [filter: string, topic: string, expected: boolean][] = [
    // [MQTT-4.7.1-2] examples
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['sport/#', 'sport/', true],
    ['sport/#', 'sports', false],
    ['#', 'a', true],
    ['#', '/', true],
    // [MQTT-4.7.1-3] examples
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player2', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['a/+/c', 'a//c', true],
    ['a/+/c', 'a/c', false],
    ['+/#', 'a', true],
    // [MQTT-4.7.2-1] "$" topics
    ['#', '$SYS/monitor/Clients', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['+', '$SYS', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['a/#', 'a/$b', true],
    ['a/+', 'a/$b', true],
    // literal levels are case-sensitive and exact
    ['ACCOUNTS', 'Accounts', false],
    ['a/b', 'a/b/', false],
    ['a/b/', 'a/b/', true],
  ];
  for (const [filter, topic, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} ${JSON.stringify(filter)} with ${JSON.stringify(topic)}`, () => {
      assert.equal(matchTopic(filter, topic), expected);
    });
  }

  it('agrees with a regular-expression oracle on random filters and topics [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.2-1]', () => {
    fc.assert(
      fc.property(topicFilterArb, topicNameArb, (filter, topic) => {
        assert.equal(matchTopic(filter, topic), oracle(filter, topic));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('helpers', () => {
  it('splits levels keeping empty ones', () => {
    assert.deepEqual(topicLevels('/a//b'), ['', 'a', '', 'b']);
  });

  it('tells wildcard filters apart', () => {
    assert.equal(hasWildcard('a/+'), true);
    assert.equal(hasWildcard('a/#'), true);
    assert.equal(hasWildcard('a/b'), false);
  });

  it('counts UTF-8 bytes like TextEncoder, including unpaired surrogates', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        assert.equal(utf8ByteLength(text), encoder.encode(text).length);
      }),
    );
    assert.equal(utf8ByteLength('a\ud800b'), 5);
  });
});

/** An independent matcher: the filter rewritten as an anchored regular expression. */
function oracle(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  let source = filter
    .split('/')
    .map((level) => (level === '+' ? '[^/]*' : level === '#' ? '#' : level.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  if (source === '#') source = '.*';
  else if (source.endsWith('/#')) source = `${source.slice(0, -2)}(?:/.*)?`;
  return new RegExp(`^${source}$`, 'su').test(topic);
}
