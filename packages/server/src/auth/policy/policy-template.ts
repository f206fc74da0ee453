/**
 * Policy text with variables and wildcards (`topic/${iot:ClientId}/*`): parsed once into parts,
 * then bound to one connection's values.
 */
import { anyChar, anyRun, type GlobToken } from './glob-matcher.js';
import type { PolicyContext } from './policy-context.js';
import { isListKey, isRequestKey, parsePolicyKey, substitutionText, type PolicyKey } from './policy-variables.js';

/** A piece of policy text: literal text, a wildcard, or a variable. */
export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'star' }
  | { readonly kind: 'one' }
  | { readonly kind: 'variable'; readonly key: PolicyKey; readonly name: string };

/** Special characters that `${*}`, `${?}` and `${$}` stand for, literally. */
const escapes: Readonly<Record<string, string>> = { '*': '*', '?': '?', '$': '$' };

/**
 * Splits policy text into parts. `*` and `?` become wildcards (whether they act as such depends on
 * where the text is used); `${*}`, `${?}`, `${$}` are the literal characters. Returns a reason
 * string for an unknown or unusable variable, an unterminated `${`, or any variable when
 * `variables` is false (IAM's Version 2008-10-17 has none, and would compare `${...}` as text).
 *
 * @example
 * parseTemplate('topic/${iot:ClientId}/*', { variables: true });
 * // [{ kind: 'text', text: 'topic/' }, { kind: 'variable', ... }, { kind: 'text', text: '/' }, { kind: 'star' }]
 */
export function parseTemplate(text: string, options: { readonly variables: boolean }): TemplatePart[] | string {
  const parts: TemplatePart[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') parts.push({ kind: 'text', text: literal });
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end < 0) return `unterminated "\${" at character ${i + 1}`;
      const name = text.slice(i + 2, end);
      i = end;
      const escaped = escapes[name];
      if (escaped !== undefined) {
        literal += escaped;
        continue;
      }
      if (!options.variables) return `policy variables such as "\${${name}}" need "Version": "2012-10-17"`;
      const key = parsePolicyKey(name.trim());
      if (typeof key === 'string') return key;
      if (isRequestKey(key)) return `"${name}" changes with every request, so it can be a condition key but not a variable`;
      if (isListKey(key)) return `"${name}" is a list: use it as a condition key with ForAnyValue: or ForAllValues:, not as a variable`;
      flush();
      parts.push({ kind: 'variable', key, name });
    } else if (c === '*' || c === '?') {
      flush();
      parts.push({ kind: c === '*' ? 'star' : 'one' });
    } else {
      literal += c;
    }
  }
  flush();
  return parts;
}

/**
 * Whether any part is a variable (text without them binds the same for every connection).
 *
 * @example
 * hasVariables([{ kind: 'text', text: 'topic/a' }, { kind: 'star' }]); // false
 */
export function hasVariables(parts: readonly TemplatePart[]): boolean {
  return parts.some((part) => part.kind === 'variable');
}

/**
 * Binds parts to glob tokens for one connection; substituted values are literal text (a client id
 * `a*` does not become a wildcard). Undefined when a variable does not resolve: AWS then lets the
 * resource or condition value match nothing.
 *
 * @example
 * bindGlob(parseTemplate('a/${iot:ClientId}/*', { variables: true }) as TemplatePart[], { tenant: 't', clientId: 'c1', now: 0 });
 * // ['a/c1/', anyRun]
 */
export function bindGlob(parts: readonly TemplatePart[], context: PolicyContext): GlobToken[] | undefined {
  const tokens: GlobToken[] = [];
  for (const part of parts) {
    switch (part.kind) {
      case 'text': tokens.push(part.text); break;
      case 'star': tokens.push(anyRun); break;
      case 'one': tokens.push(anyChar); break;
      case 'variable': {
        const value = substitutionText(part.key, context);
        if (value === undefined) return undefined;
        tokens.push(value);
        break;
      }
    }
  }
  return tokens;
}

/**
 * Binds parts to plain text (wildcards as the characters `*` and `?`), or undefined if unresolved.
 *
 * @example
 * bindText([{ kind: 'text', text: 'a' }, { kind: 'star' }], context); // 'a*'
 */
export function bindText(parts: readonly TemplatePart[], context: PolicyContext): string | undefined {
  let text = '';
  for (const part of parts) {
    if (part.kind === 'text') text += part.text;
    else if (part.kind === 'star') text += '*';
    else if (part.kind === 'one') text += '?';
    else {
      const value = substitutionText(part.key, context);
      if (value === undefined) return undefined;
      text += value;
    }
  }
  return text;
}
