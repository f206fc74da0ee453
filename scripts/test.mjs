#!/usr/bin/env node
// What `npm test` runs: the type check, the dependency-direction check, then Node's test runner over
// every *.test.ts and *.test.mjs, ending with the TAP summary lines (`# tests`, `# pass`, `# fail`)
// that CI reads.
//
//   npm test                                  everything
//   npm test -- packages/server/src/store     test files under a folder
//   npm test -- topic-tree retained           test files whose path contains a word (or matches a glob)
//   npm test -- --no-typecheck <...>          skip tsc
//   npm test -- --test-name-pattern=QoS       any --test* option goes to node's runner
//
// Environment: GATEHOUSE_TEST_CONCURRENCY (files run at once), GATEHOUSE_TEST_TIMEOUT (ms per test
// and per file; a file that leaves a socket or timer open fails after it instead of hanging CI).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TEST_FILE = /\.test\.(ts|mjs)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'fixtures']);
const SUMMARY_LINE = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /;

const toPosix = (path) => path.split(sep).join('/');

function listTestFiles(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED_DIRS.has(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listTestFiles(path));
    else if (TEST_FILE.test(entry.name)) files.push(toPosix(relative(root, path)));
  }
  return files;
}

/** Every test file of the repository: packages/<name>/{src,test}, test/ and scripts/. */
function allTestFiles() {
  const packages = existsSync(join(root, 'packages'))
    ? readdirSync(join(root, 'packages'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)
    : [];
  const dirs = [
    ...packages.flatMap((name) => [join(root, 'packages', name, 'src'), join(root, 'packages', name, 'test')]),
    join(root, 'test'),
    join(root, 'bench'),
    join(root, 'scripts'),
  ];
  return [...new Set(dirs.flatMap(listTestFiles))].sort();
}

function globToRegExp(glob) {
  const source = glob
    .split('**')
    .map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${source}$`);
}

/** Picks the test files a command-line selector names: a file, a folder, a glob or a word. */
function selectFiles(selectors, files) {
  const chosen = new Set();
  for (const selector of selectors) {
    const path = resolve(process.cwd(), selector);
    const repoPath = toPosix(relative(root, path));
    let matches;
    if (existsSync(path) && statSync(path).isFile()) matches = [repoPath];
    else if (existsSync(path) && statSync(path).isDirectory()) matches = files.filter((f) => f.startsWith(`${repoPath}/`) || repoPath === '');
    else if (selector.includes('*')) matches = files.filter((f) => globToRegExp(selector).test(f));
    else matches = files.filter((f) => f.includes(selector));
    if (!matches.length) {
      console.error(`npm test: no test file matches '${selector}'`);
      process.exit(2);
    }
    for (const file of matches) chosen.add(file);
  }
  return [...chosen];
}

/** Runs a command with inherited output and resolves to its exit code. */
function run(command, args) {
  return new Promise((resolveCode) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('error', (error) => {
      console.error(`npm test: cannot run ${command}: ${error.message}`);
      resolveCode(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolveCode(code ?? (signal ? 1 : 0));
    });
  });
}

function banner(text) {
  console.log(`\n=== ${text}`);
}

async function main() {
  const args = process.argv.slice(2);
  const typecheck = !args.includes('--no-typecheck');
  const runnerOptions = args.filter((a) => a.startsWith('--test'));
  const selectors = args.filter((a) => !a.startsWith('--'));
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--no-typecheck' && !a.startsWith('--test'));
  if (unknown.length) {
    console.error(`npm test: unknown option ${unknown.join(' ')} (known: --no-typecheck, --test-*)`);
    process.exit(2);
  }
  const everything = allTestFiles();
  const files = selectors.length ? selectFiles(selectors, everything) : everything;
  const failedSteps = [];

  if (typecheck) {
    banner('type check: tsc -p tsconfig.json');
    const code = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
    if (code !== 0) {
      console.error('\nnpm test: FAILED at the type check (tsc -p tsconfig.json); fix the errors above');
      process.exit(code);
    }
  }

  banner('dependency check: node scripts/check-deps.mjs');
  // A broken dependency rule fails the run but still lets the tests report.
  if ((await run(process.execPath, [join(root, 'scripts', 'check-deps.mjs')])) !== 0) failedSteps.push('dependency check');

  const concurrency = Number(process.env.GATEHOUSE_TEST_CONCURRENCY) || Math.max(2, availableParallelism());
  // The kill -9 durability test restarts a child process 20 times: 2-3 minutes on a loaded 2-core machine.
  const timeout = Number(process.env.GATEHOUSE_TEST_TIMEOUT) || 240_000;
  banner(`tests: ${files.length} files, ${concurrency} at a time, ${timeout} ms timeout`);

  // Spec output for people on stdout; TAP to a file, whose closing `# tests/# pass/# fail` lines are
  // printed last for CI.
  const tapDir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const tapFile = join(tapDir, 'report.tap');
  const code = await run(process.execPath, [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeout}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...runnerOptions,
    ...files,
  ]);
  const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
  rmSync(tapDir, { recursive: true, force: true });
  const summary = tap.split('\n').filter((line) => SUMMARY_LINE.test(line));
  console.log('');
  for (const line of summary) console.log(line);
  if (code !== 0) failedSteps.push('tests');

  if (failedSteps.length) {
    console.error(`\nnpm test: FAILED at the ${failedSteps.join(' and the ')} (see above)`);
    process.exit(code || 1);
  }
  console.log('\nnpm test: all steps passed');
}

// `node --test scripts/` takes any file named test.mjs for a test file; running the whole suite
// inside it would recurse, so under the test runner this script does nothing.
if (process.env.NODE_TEST_CONTEXT) process.exit(0);
await main();
