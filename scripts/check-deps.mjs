#!/usr/bin/env node
// Checks DESIGN.md's dependency direction: which server folder may import which, that other folders
// are reached only through their index.ts, and that protocol stays pure and agent stays off server.
//
//   node scripts/check-deps.mjs [root]     root defaults to the repository; exit 1 on any violation
//
// Imports are found by a small scanner rather than the TypeScript compiler so the check has no
// dependencies and runs before anything is installed. Exceptions live in
// <root>/scripts/dependency-exceptions.json, a list that may only shrink: an exception that no longer
// occurs fails the check too.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Server folders and the folders each may import (besides itself). `app` may import anything. */
export const LAYERS = {
  core: [],
  mqtt: ['core'],
  store: ['core', 'mqtt'],
  auth: ['core', 'mqtt', 'store'],
  pki: ['core', 'store', 'auth'],
  broker: ['core', 'mqtt', 'store', 'auth'],
  cluster: ['core', 'mqtt', 'store', 'broker'],
  services: ['core', 'mqtt', 'store', 'auth', 'pki', 'broker'],
  transport: ['core'],
  api: ['core', 'mqtt', 'store', 'auth', 'pki', 'broker', 'services'],
  cli: ['core'],
  app: '*',
};

/**
 * Concrete implementations only the composition root picks (STYLE rule 7). Each is a unit with its
 * own index.ts; `transport` is one unit as a whole.
 */
export const APP_ONLY_UNITS = ['store/sqlite', 'store/postgres', 'cluster/nats', 'transport'];

/** Folders exempt from the index rule (but not from the layer rule). */
const INDEX_RULE_EXEMPT = ['store/contract'];

/** Modules that would give the pure protocol package I/O or time. */
const IMPURE_MODULES = new Set(
  ['net', 'tls', 'fs', 'fs/promises', 'http', 'https', 'http2', 'dgram', 'child_process', 'timers', 'timers/promises']
    .flatMap((name) => [name, `node:${name}`]),
);

const SERVER_SRC = 'packages/server/src';
const WORKSPACE_SCOPE = '@gatehouse/';

/**
 * Blanks comments and the insides of string and template literals (keeping newlines and offsets), so
 * import statements can be matched with regular expressions without false hits inside text. Returns
 * the masked code and the literal strings by the offset of their opening quote.
 */
export function maskSource(source) {
  const out = source.split('');
  const strings = new Map();
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Template literals nest through `${ ... }`; each entry is the brace depth at which a template resumes.
  const templateStack = [];
  let braceDepth = 0;
  let lastSignificant = '';
  let i = 0;
  const n = source.length;

  const readTemplateText = (start) => {
    // start is just after a backtick or a closing `}` of a substitution; returns the index after the
    // text, positioned on the closing backtick or on `${`.
    let j = start;
    while (j < n) {
      const c = source[j];
      if (c === '\\') j += 2;
      else if (c === '`') break;
      else if (c === '$' && source[j + 1] === '{') break;
      else j++;
    }
    blank(start, Math.min(j, n));
    if (j >= n) return n;
    if (source[j] === '`') {
      return j + 1;
    }
    templateStack.push(braceDepth);
    braceDepth++;
    return j + 2;
  };

  while (i < n) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let value = '';
      while (j < n && source[j] !== c && source[j] !== '\n') {
        if (source[j] === '\\') {
          value += source[j + 1] ?? '';
          j += 2;
        } else {
          value += source[j];
          j++;
        }
      }
      strings.set(i, value);
      blank(i + 1, Math.min(j, n));
      i = j + 1;
      lastSignificant = 'a';
    } else if (c === '`') {
      const start = i;
      const depth = templateStack.length;
      const end = readTemplateText(i + 1);
      // A template without substitutions is a literal string, as good as quotes for import('...').
      if (templateStack.length === depth) strings.set(start, source.slice(start + 1, end - 1));
      i = end;
      lastSignificant = 'a';
    } else if (c === '/' && !/[\w$)\]]/.test(lastSignificant)) {
      // A regular expression literal: skip it so quotes inside it are not taken for strings.
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== '\n') {
        const r = source[j];
        if (r === '\\') j++;
        else if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        j++;
      }
      blank(i + 1, Math.min(j, n));
      i = j + 1;
      lastSignificant = 'a';
    } else if (c === '{') {
      braceDepth++;
      lastSignificant = c;
      i++;
    } else if (c === '}') {
      braceDepth--;
      if (templateStack.length && templateStack[templateStack.length - 1] === braceDepth) {
        templateStack.pop();
        i = readTemplateText(i + 1);
        lastSignificant = 'a';
      } else {
        lastSignificant = c;
        i++;
      }
    } else {
      if (!/\s/.test(c)) {
        // Keywords after which a `/` starts a regex, not a division.
        if (/[\w$]/.test(c)) {
          const word = /^[\w$]+/.exec(source.slice(i, i + 20))?.[0] ?? c;
          lastSignificant = /^(return|typeof|case|in|of|delete|void|throw|new|yield|await)$/.test(word) ? '(' : 'a';
          i += word.length;
          continue;
        }
        lastSignificant = c;
      }
      i++;
    }
  }
  return { masked: out.join(''), strings };
}

const IMPORT_PATTERNS = [
  // import x from '...'; import type { A } from '...'; import * as ns from '...'; import x, { y } from '...'
  /(?<![.\w$])import\s+(?:type\s+)?[\w$\s,{}*]*?\bfrom\s*(?=['"])/g,
  // export * from '...'; export { a } from '...'; export type * as ns from '...'
  /(?<![.\w$])export\s+(?:type\s+)?[\w$\s,{}*]*?\bfrom\s*(?=['"])/g,
  // import '...' (side effect)
  /(?<![.\w$])import\s*(?=['"])/g,
  // import('...'), including `import('node:tls').X` in type positions
  /(?<![.\w$])import\s*\(\s*(?=['"`])/g,
];

/** Lists the module specifiers a TypeScript source imports or re-exports, with their line numbers. */
export function findImports(source) {
  const { masked, strings } = maskSource(source);
  const found = new Map();
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of masked.matchAll(pattern)) {
      const at = match.index + match[0].length;
      const spec = strings.get(at);
      if (spec === undefined || found.has(at)) continue;
      const line = source.slice(0, at).split('\n').length;
      found.set(at, { spec, line });
    }
  }
  return [...found.entries()].sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

function listTsFiles(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listTsFiles(path));
    else if (/\.(ts|mts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

const toPosix = (path) => path.split(sep).join('/');
const isTestFile = (file) => /\.test\.(ts|mts|tsx)$/.test(file);

/** The app-only unit a server-relative path belongs to, if any. */
function appOnlyUnitOf(serverPath) {
  return APP_ONLY_UNITS.find((unit) => serverPath === unit || serverPath.startsWith(`${unit}/`));
}

/** Resolves a relative specifier to a repository-relative path with the `.ts` source extension. */
function resolveRelative(fromFile, spec) {
  const target = toPosix(join(dirname(fromFile), spec));
  return target.replace(/\.(m?)js$/, '.$1ts');
}

/** Rules for a file inside packages/server/src; returns the broken rule or undefined. */
function checkServerImport(file, spec) {
  const fromPath = file.slice(SERVER_SRC.length + 1);
  const fromFolder = fromPath.includes('/') ? fromPath.split('/')[0] : '';

  if (spec.startsWith(WORKSPACE_SCOPE)) {
    if (spec === '@gatehouse/protocol') return undefined;
    if (spec.startsWith('@gatehouse/protocol/')) return "import '@gatehouse/protocol' itself, not a path inside it";
    return 'the server may import @gatehouse/protocol and no other workspace package';
  }
  if (!spec.startsWith('.')) return undefined;

  const target = resolveRelative(file, spec);
  if (!target.startsWith(`${SERVER_SRC}/`)) {
    return 'a relative import may not leave packages/server/src (import @gatehouse/protocol by name)';
  }
  const toPath = target.slice(SERVER_SRC.length + 1);
  if (!toPath.includes('/')) {
    // src/index.ts and friends are the package surface; only app/ and other top-level files reach them.
    return fromFolder === '' || fromFolder === 'app' ? undefined : `${fromFolder}/ may not import the package root (${toPath})`;
  }
  const toFolder = toPath.split('/')[0];

  // Files at the top of src/ (the package entry point) sit above app/ and may import anything.
  if (fromFolder !== '') {
    if (!(fromFolder in LAYERS)) return `folder ${fromFolder}/ has no place in the layer table (scripts/check-deps.mjs)`;
    if (!(toFolder in LAYERS)) return `folder ${toFolder}/ has no place in the layer table (scripts/check-deps.mjs)`;
    const allowed = LAYERS[fromFolder];
    if (fromFolder !== toFolder && allowed !== '*' && !allowed.includes(toFolder)) {
      const may = allowed.length ? `only ${allowed.map((f) => `${f}/`).join(', ')}` : 'nothing from other folders';
      return `${fromFolder}/ may import ${may}, not ${toFolder}/`;
    }
  }

  if (INDEX_RULE_EXEMPT.some((dir) => fromPath.startsWith(`${dir}/`))) return undefined;

  const toUnit = appOnlyUnitOf(toPath);
  const fromUnit = appOnlyUnitOf(fromPath);
  if (toUnit && toUnit !== fromUnit) {
    if (fromFolder !== 'app' && fromFolder !== '') return `${toUnit}/ is a concrete implementation only app/ may import`;
    if (toPath !== `${toUnit}/index.ts`) return `import ${toUnit}/ through its index.ts`;
    return undefined;
  }
  if (fromFolder !== toFolder && !toUnit && toPath !== `${toFolder}/index.ts`) {
    return `import ${toFolder}/ through its index.ts`;
  }
  return undefined;
}

/** Rules for the pure protocol package. */
function checkProtocolImport(file, spec) {
  if (spec.startsWith(WORKSPACE_SCOPE)) return '@gatehouse/protocol may not import other workspace packages';
  if (IMPURE_MODULES.has(spec)) return '@gatehouse/protocol is pure: no sockets, files or timers';
  if (spec.startsWith('.') && !resolveRelative(file, spec).startsWith('packages/protocol/')) {
    return '@gatehouse/protocol may not import other workspace packages';
  }
  return undefined;
}

/** Rules for the agent SDK. */
function checkAgentImport(file, spec) {
  if (spec.startsWith(WORKSPACE_SCOPE)) {
    if (spec === '@gatehouse/protocol') return undefined;
    if (spec.startsWith('@gatehouse/protocol/')) return "import '@gatehouse/protocol' itself, not a path inside it";
    return 'the agent may import @gatehouse/protocol and nothing from the server';
  }
  if (spec.startsWith('.')) {
    const target = resolveRelative(file, spec);
    if (target.startsWith('packages/protocol/')) return 'import @gatehouse/protocol by name, not by relative path';
    if (!target.startsWith('packages/agent/')) return 'the agent may import @gatehouse/protocol and nothing from the server';
  }
  return undefined;
}

function ruleFor(file) {
  if (file.startsWith(`${SERVER_SRC}/`)) return checkServerImport;
  if (file.startsWith('packages/protocol/')) return checkProtocolImport;
  if (file.startsWith('packages/agent/')) return checkAgentImport;
  return undefined;
}

function readExceptions(root) {
  const path = join(root, 'scripts', 'dependency-exceptions.json');
  if (!existsSync(path)) return [];
  const parsed = JSON.parse(readFileSync(path, 'utf8'));
  const list = Array.isArray(parsed) ? parsed : parsed.exceptions;
  if (!Array.isArray(list) || list.some((e) => typeof e?.file !== 'string' || typeof e?.import !== 'string')) {
    throw new TypeError(`${path}: expected { "exceptions": [{ "file", "import", "reason" }] }`);
  }
  return list;
}

/**
 * Checks every TypeScript source under <root>/packages/{server,protocol,agent}/src.
 *
 * @example
 * const result = checkDependencies('/work/main');
 * for (const v of result.violations) console.log(v.text);
 */
export function checkDependencies(root) {
  const absRoot = resolve(root);
  const files = ['server', 'protocol', 'agent']
    .flatMap((name) => listTsFiles(join(absRoot, 'packages', name, 'src')))
    .map((path) => toPosix(relative(absRoot, path)))
    .sort();
  const exceptions = readExceptions(absRoot);
  const usedExceptions = new Set();
  const violations = [];
  let importCount = 0;

  for (const file of files) {
    const imports = findImports(readFileSync(join(absRoot, file), 'utf8'));
    importCount += imports.length;
    const check = ruleFor(file);
    if (!check || isTestFile(file)) continue;
    for (const { spec, line } of imports) {
      const rule = check(file, spec);
      if (!rule) continue;
      const exception = exceptions.findIndex((e) => e.file === file && e.import === spec);
      if (exception !== -1) {
        usedExceptions.add(exception);
        continue;
      }
      violations.push({ file, line, spec, rule, text: `${file}:${line} imports '${spec}' — ${rule}` });
    }
  }
  exceptions.forEach((e, index) => {
    if (usedExceptions.has(index)) return;
    violations.push({
      file: e.file,
      line: 0,
      spec: e.import,
      rule: 'stale exception',
      text: `scripts/dependency-exceptions.json lists ${e.file} importing '${e.import}', which no longer occurs — remove it`,
    });
  });
  return { files: files.length, imports: importCount, violations };
}

function main() {
  const defaultRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const root = process.argv[2] ?? defaultRoot;
  const { files, imports, violations } = checkDependencies(root);
  for (const v of violations) console.log(v.text);
  console.log(`dependency check: ${files} files, ${imports} imports, ${violations.length} violations`);
  process.exitCode = violations.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
