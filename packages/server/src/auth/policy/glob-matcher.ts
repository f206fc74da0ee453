/**
 * IAM-style globs over resource names: `*` is any run of characters including `/`, `?` is one
 * character, everything else (MQTT's `+` and `#` too) is literal. Compiled once per bound resource
 * into the cheapest test that decides it: `===`, `endsWith`, or one RegExp. Measured on Node 20
 * (bench/policy-eval.ts): an anchored RegExp tests a prefix about twice as fast as `startsWith`,
 * while `===` and `endsWith` beat a RegExp; `prefix*suffix` is a tie.
 */

/** Token for `*`: any run of characters, empty included. */
export const anyRun = 0;
/** Token for `?`: exactly one character (one code point). */
export const anyChar = 1;
/** A glob as tokens: literal text, `anyRun` or `anyChar`. Text never acts as a wildcard. */
export type GlobToken = string | typeof anyRun | typeof anyChar;

const enum Kind { Exact, Any, Suffix, Pattern }

/**
 * A compiled glob. `matches` allocates nothing.
 *
 * @example
 * const matcher = compileGlob(['customer-1/agent-7/', anyRun]);
 * matcher.matches('customer-1/agent-7/telemetry'); // true
 * matcher.matches('customer-1/agent-8/telemetry'); // false
 */
export class GlobMatcher {
  readonly #kind: Kind;
  readonly #text: string;
  readonly #pattern: RegExp | undefined;
  /** The glob in policy notation, with literal `*`, `?` and `$` written as `${*}`, `${?}`, `${$}`. */
  readonly source: string;
  /** True for `*`, which every name matches. */
  readonly matchesEverything: boolean;

  constructor(kind: Kind, text: string, pattern: RegExp | undefined, source: string) {
    this.#kind = kind;
    this.#text = text;
    this.#pattern = pattern;
    this.source = source;
    this.matchesEverything = kind === Kind.Any;
  }

  matches(text: string): boolean {
    switch (this.#kind) {
      case Kind.Exact: return text === this.#text;
      case Kind.Any: return true;
      case Kind.Suffix: return text.endsWith(this.#text);
      case Kind.Pattern: return (this.#pattern as RegExp).test(text);
    }
  }
}

/**
 * Merges adjacent text, drops empty text and collapses runs of `*` (`a**b` is `a*b`).
 *
 * @example
 * normalizeGlob(['a', '', 'b', anyRun, anyRun]); // ['ab', anyRun]
 */
export function normalizeGlob(tokens: readonly GlobToken[]): GlobToken[] {
  const out: GlobToken[] = [];
  for (const token of tokens) {
    const last = out[out.length - 1];
    if (token === '') continue;
    if (typeof token === 'string' && typeof last === 'string') out[out.length - 1] = last + token;
    else if (token === anyRun && last === anyRun) continue;
    else out.push(token);
  }
  return out;
}

/**
 * Compiles normalized tokens into a matcher.
 *
 * @example
 * compileGlob(['thing/', anyChar]).matches('thing/a'); // true
 */
export function compileGlob(tokens: readonly GlobToken[]): GlobMatcher {
  const t = normalizeGlob(tokens);
  const source = globSource(t);
  const [first, second] = t;
  if (t.length === 0) return new GlobMatcher(Kind.Exact, '', undefined, source);
  if (t.length === 1 && typeof first === 'string') return new GlobMatcher(Kind.Exact, first, undefined, source);
  if (t.length === 1 && first === anyRun) return new GlobMatcher(Kind.Any, '', undefined, source);
  if (t.length === 2 && first === anyRun && typeof second === 'string') return new GlobMatcher(Kind.Suffix, second, undefined, source);
  // A trailing `*` needs no `.*$`: the anchored prefix decides.
  const open = t[t.length - 1] === anyRun;
  const body = (open ? t.slice(0, -1) : t).map((token) => (token === anyRun ? '.*' : token === anyChar ? '.' : escapeRegExp(token))).join('');
  // 's': `*` and `?` cross newlines too; 'u': `?` is one code point, not half of a surrogate pair.
  return new GlobMatcher(Kind.Pattern, '', new RegExp(open ? `^${body}` : `^${body}$`, 'su'), source);
}

/**
 * What is left of a glob once `prefix` has been matched: the globs that the rest of a name must
 * match (any one of them). Checks prepend a fixed prefix (`topic/`) to the name they test; this
 * lets them test the bare name instead. Empty when no name with that prefix can match.
 *
 * @example
 * globAfterPrefix(['topic/a/', anyRun], 'topic/');   // [['a/', anyRun]]
 * globAfterPrefix([anyRun, '/x'], 'topic/');          // [[anyRun, '/x'], ['x']]
 * globAfterPrefix(['topicfilter/', anyRun], 'topic/'); // []
 */
export function globAfterPrefix(tokens: readonly GlobToken[], prefix: string): GlobToken[][] {
  const t = normalizeGlob(tokens);
  // A state is a position in the glob: token index and offset inside a text token.
  let states = closure(t, [[0, 0]]);
  for (const c of prefix) {
    const next: Array<[number, number]> = [];
    for (const [index, offset] of states) {
      const token = t[index];
      if (token === anyRun) next.push([index, 0]);
      else if (token === anyChar) next.push([index + 1, 0]);
      else if (typeof token === 'string' && token[offset] === c) next.push(offset + 1 < token.length ? [index, offset + 1] : [index + 1, 0]);
    }
    states = closure(t, next);
  }
  const seen = new Set<string>();
  const rests: GlobToken[][] = [];
  for (const [index, offset] of states) {
    // After a `*` state, the state past it is redundant: `*x` already covers `x`.
    if (index > 0 && offset === 0 && t[index - 1] === anyRun && states.some(([i, o]) => i === index - 1 && o === 0)) continue;
    const token = t[index];
    const rest = typeof token === 'string' && offset > 0 ? [token.slice(offset), ...t.slice(index + 1)] : t.slice(index);
    const key = globSource(rest);
    if (!seen.has(key)) {
      seen.add(key);
      rests.push(rest);
    }
  }
  return rests;
}

function closure(tokens: readonly GlobToken[], states: ReadonlyArray<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const seen = new Set<string>();
  const add = (index: number, offset: number): void => {
    const key = `${index}:${offset}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push([index, offset]);
    if (tokens[index] === anyRun) add(index + 1, 0);
  };
  for (const [index, offset] of states) add(index, offset);
  return out;
}

/**
 * Policy notation of tokens, for explanations and deduplication.
 *
 * @example
 * globSource(['a*', anyRun]); // 'a${*}*'
 */
export function globSource(tokens: readonly GlobToken[]): string {
  return tokens.map((token) => (token === anyRun ? '*' : token === anyChar ? '?' : token.replace(/[*?$]/g, (c) => `\${${c}}`))).join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
