// Keeps docs/errors.md and the error catalogue in step, in both directions.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errorCatalogue, formatErrorMessage } from './errors.js';

const docPath = new URL('../../../../docs/errors.md', import.meta.url);
const REGENERATE = 'regenerate it with `node --import tsx scripts/write-errors-doc.ts`';

interface DocRow {
  readonly status: number;
  readonly message: string;
  readonly line: number;
}

/** Reads the `| \`CODE\` | status | \`template\` |` rows of docs/errors.md. */
function readDocRows(text: string): Map<string, DocRow> {
  const rows = new Map<string, DocRow>();
  text.split('\n').forEach((raw, index) => {
    const match = /^\|\s*`([A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|\s*`(.*)`\s*\|\s*$/.exec(raw.trim());
    if (!match) return;
    const [, code = '', status = '', message = ''] = match;
    assert.ok(!rows.has(code), `docs/errors.md lists ${code} twice (line ${index + 1})`);
    rows.set(code, { status: Number(status), message: message.replaceAll('\\|', '|'), line: index + 1 });
  });
  return rows;
}

const docRows = readDocRows(readFileSync(docPath, 'utf8'));
const catalogue: ReadonlyMap<string, { readonly status: number; readonly message: string }> = new Map(
  Object.entries(errorCatalogue),
);

test('docs/errors.md has a table of codes', () => {
  assert.ok(docRows.size > 0, 'docs/errors.md has no rows of the form | `CODE` | 400 | `template` |');
});

// Each test gathers every disagreement first, so one run names all the codes to fix.
test('every catalogue code is in docs/errors.md with the same status and template', () => {
  const problems: string[] = [];
  for (const [code, entry] of catalogue) {
    const row = docRows.get(code);
    if (!row) problems.push(`${code} is in the error catalogue but missing from docs/errors.md`);
    else if (row.status !== entry.status) {
      problems.push(`${code}: docs/errors.md line ${row.line} says status ${row.status}, the catalogue ${entry.status}`);
    } else if (row.message !== entry.message) {
      problems.push(`${code}: docs/errors.md line ${row.line} says '${row.message}', the catalogue '${entry.message}'`);
    }
  }
  assert.deepEqual(problems, [], `${problems.join('\n')}\n${REGENERATE}`);
});

test('every code in docs/errors.md exists in the catalogue', () => {
  const problems = [...docRows]
    .filter(([code]) => !catalogue.has(code))
    .map(([code, row]) => `${code} is in docs/errors.md (line ${row.line}) but not in the error catalogue`);
  assert.deepEqual(problems, [], `${problems.join('\n')}\n${REGENERATE}`);
});

test('the documented NOT_FOUND example matches what the template produces', () => {
  // docs/errors.md shows this rendering in its introduction.
  const example = formatErrorMessage('NOT_FOUND', { what: 'Client', id: 'agent-7' });
  assert.ok(readFileSync(docPath, 'utf8').includes(`\`${example}\``), `docs/errors.md should show NOT_FOUND as \`${example}\``);
});
