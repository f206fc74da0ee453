/**
 * The shadow document as the shadow service works on it, its limits, and the JSON helpers the merge,
 * delta and request checks share: deep equality, nesting depth and the counted size.
 */

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A shadow's `desired` and `reported` sections (or their metadata); an absent section holds nothing. */
export interface ShadowSections {
  readonly desired?: JsonObject;
  readonly reported?: JsonObject;
}

/**
 * A live shadow as the service works on it (the store keeps state and metadata as JSON text).
 *
 * @example
 * const shadow: ShadowDocument = {
 *   state: { desired: { mode: 'eco' } },
 *   metadata: { desired: { mode: { timestamp: 1700000000 } } },
 *   version: 1,
 * };
 */
export interface ShadowDocument {
  readonly state: ShadowSections;
  readonly metadata: ShadowSections;
  readonly version: number;
}

/** Bounds on one shadow. */
export interface ShadowLimits {
  /** Most bytes of UTF-8 JSON that `desired` and `reported` may hold together after an update; metadata is not counted. */
  readonly maxDocumentBytes: number;
  /**
   * Most levels of objects and arrays in `desired` or `reported`, the section itself being the
   * first: `{"desired":{"a":{"b":1}}}` has 2 (AWS Greengrass's shadow manager counts the same way).
   */
  readonly maxDepth: number;
}

/**
 * AWS's limits: 8 KB of desired and reported state per shadow (metadata excluded), and the nesting
 * depth of AWS's error text "JSON contains too many levels of nesting; maximum is 6".
 */
export const DEFAULT_SHADOW_LIMITS: ShadowLimits = { maxDocumentBytes: 8192, maxDepth: 6 };

/** A fresh, empty shadow at `version` (0 for one never seen, or a deleted one's count within 48 h). */
export function emptyShadow(version: number): ShadowDocument {
  return { state: {}, metadata: {}, version };
}

/**
 * Whether `value` is a JSON object (not an array, not null).
 *
 * @example
 * isJsonObject({}); // true
 * isJsonObject([]); // false
 */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Structural equality of two JSON values; key order does not matter, array order does.
 *
 * @example
 * jsonEqual({ a: [1, 2] }, { a: [1, 2] }); // true
 */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
}

/**
 * Whether `value` nests objects and arrays deeper than `maxDepth` levels (a scalar has 0, `{}` and
 * `[]` have 1). Stops descending past the limit, so hostile input cannot exhaust the stack.
 *
 * @example
 * nestsDeeperThan({ a: { b: 1 } }, 1); // true
 */
export function nestsDeeperThan(value: JsonValue | undefined, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (maxDepth <= 0) return true;
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.some((child) => nestsDeeperThan(child, maxDepth - 1));
}

/**
 * Bytes the state counts against `maxDocumentBytes`: the UTF-8 JSON of `desired` plus that of
 * `reported`, without metadata (AWS: metadata does not contribute to the document size).
 *
 * @example
 * stateByteLength({ desired: { a: 1 }, reported: { a: 2 } }); // 14: {"a":1} and {"a":2}
 */
export function stateByteLength(state: ShadowSections): number {
  let bytes = 0;
  if (state.desired !== undefined) bytes += Buffer.byteLength(JSON.stringify(state.desired), 'utf8');
  if (state.reported !== undefined) bytes += Buffer.byteLength(JSON.stringify(state.reported), 'utf8');
  return bytes;
}
