import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFields, formatTable } from './format-table.js';

test('formatTable aligns columns, right-aligns numbers and shows absent values as -', () => {
  const text = formatTable(['ID', 'N', 'WHEN'], [['agent-7', 3, undefined], ['a', 120, '2025-01-01']]);
  assert.equal(text, ['ID         N  WHEN', 'agent-7    3  -', 'a        120  2025-01-01', ''].join('\n'));
});

test('formatFields aligns values after the keys', () => {
  assert.equal(formatFields([['id', 'x'], ['connected', true]]), 'id:         x\nconnected:  true\n');
});
