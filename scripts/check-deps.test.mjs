// Tests for scripts/check-deps.mjs against the fake trees in scripts/fixtures/.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkDependencies, findImports } from './check-deps.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, 'check-deps.mjs');
const violationsRoot = join(here, 'fixtures', 'violations');
const cleanRoot = join(here, 'fixtures', 'clean');
const run = promisify(execFile);

test('finds static, type-only, re-export, side-effect and dynamic imports with their lines', () => {
  const source = [
    "import a from './a.js';",
    "import type { B } from './b.js';",
    'import {',
    '  c,',
    "} from './c.js';",
    "export * from './d.js';",
    "export type { E } from './e.js';",
    "import './f.js';",
    "const g = await import('./g.js');",
    "type H = import('./h.js').H;",
    'const notDynamic = import(name);',
    "const text = \"import x from './string.js'\";",
    "// import y from './comment.js';",
    "/* export * from './block.js' */",
    "const t = `import z from './template.js' ${`nested`}`;",
    "const r = /import '\\.\\/regex\\.js'/;",
    "Array.from('abc');",
    "obj.import('./member.js');",
  ].join('\n');
  assert.deepEqual(findImports(source), [
    { spec: './a.js', line: 1 },
    { spec: './b.js', line: 2 },
    { spec: './c.js', line: 5 },
    { spec: './d.js', line: 6 },
    { spec: './e.js', line: 7 },
    { spec: './f.js', line: 8 },
    { spec: './g.js', line: 9 },
    { spec: './h.js', line: 10 },
  ]);
});

test('reports every broken rule in the violations fixture, and a stale exception', () => {
  const result = checkDependencies(violationsRoot);
  assert.deepEqual(
    result.violations.map((v) => `${v.file}:${v.line} ${v.spec}`),
    [
      'packages/agent/src/index.ts:2 ../../protocol/src/index.js',
      'packages/agent/src/index.ts:3 ../../server/src/core/index.js',
      'packages/protocol/src/index.ts:1 node:fs',
      'packages/protocol/src/index.ts:2 ../../server/src/core/index.js',
      'packages/server/src/app/main.ts:1 ../store/sqlite/sqlite-store.js',
      'packages/server/src/broker/deep-import.ts:4 ../store/ports.js',
      'packages/server/src/broker/picks-store.ts:1 ../store/sqlite/index.js',
      'packages/server/src/core/layer-break.ts:2 ../broker/index.js',
      'packages/server/src/core/gone.ts:0 ../mqtt/index.js',
    ],
  );
  const rules = Object.fromEntries(result.violations.map((v) => [`${v.file}:${v.line}`, v.rule]));
  assert.match(rules['packages/server/src/core/layer-break.ts:2'] ?? '', /core\/ may import nothing from other folders, not broker\//);
  assert.match(rules['packages/server/src/broker/deep-import.ts:4'] ?? '', /through its index\.ts/);
  assert.match(rules['packages/server/src/broker/picks-store.ts:1'] ?? '', /only app\/ may import/);
  assert.match(rules['packages/protocol/src/index.ts:1'] ?? '', /pure/);
  assert.match(rules['packages/server/src/core/gone.ts:0'] ?? '', /stale/);
});

test('the excused import and test files produce no violation', () => {
  const files = checkDependencies(violationsRoot).violations.map((v) => v.file);
  assert.ok(!files.includes('packages/server/src/cli/excused.ts'));
  assert.ok(!files.includes('packages/server/src/broker/broker.test.ts'));
});

test('the CLI prints file:line lines and exits 1 on violations', async () => {
  const failure = await run(process.execPath, [script, violationsRoot]).then(
    () => assert.fail('expected exit code 1'),
    (error) => error,
  );
  assert.equal(failure.code, 1);
  assert.match(
    failure.stdout,
    /^packages\/server\/src\/broker\/deep-import\.ts:4 imports '\.\.\/store\/ports\.js' — import store\/ through its index\.ts$/m,
  );
  assert.match(failure.stdout, /^dependency check: 16 files, \d+ imports, 9 violations$/m);
});

test('the CLI prints a one-line summary and exits 0 on a clean tree', async () => {
  const { stdout } = await run(process.execPath, [script, cleanRoot]);
  assert.equal(stdout, 'dependency check: 5 files, 5 imports, 0 violations\n');
});
