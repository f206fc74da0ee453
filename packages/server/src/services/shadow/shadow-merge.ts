/**
 * The merge of an update into one shadow section, and the metadata it writes: keys merge
 * recursively, `null` deletes a key, arrays and scalars replace what was there, and every leaf written
 * gets `{"timestamp": now}` in the metadata (an array gets an array of its items' metadata).
 *
 * Keys come from devices, so `__proto__` and `constructor` are ordinary keys here: objects are read
 * with `ownValue` and written with `setOwn`, never with plain indexing.
 */
import { isJsonObject, type JsonObject, type JsonValue } from './shadow-document.js';

/** A section and its metadata after a merge. */
export interface MergedSection {
  readonly state: JsonObject;
  readonly metadata: JsonObject;
}

/**
 * Merges `patch` into `state` (either may be absent), writing `now` into the metadata of each leaf
 * the patch sets. Returns new objects; the inputs are not modified.
 *
 * @example
 * mergeSection({ state: { a: 1, b: { c: 2 } }, metadata: { a: { timestamp: 1 }, b: { c: { timestamp: 1 } } } }, { b: { d: [3] }, a: null }, 9);
 * // { state: { b: { c: 2, d: [3] } }, metadata: { b: { c: { timestamp: 1 }, d: [{ timestamp: 9 }] } } }
 */
export function mergeSection(current: { readonly state?: JsonObject; readonly metadata?: JsonObject }, patch: JsonObject, now: number): MergedSection {
  const state = copyObject(current.state);
  const metadata = copyObject(current.metadata);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete state[key];
      delete metadata[key];
    } else if (isJsonObject(value)) {
      const existing = ownValue(state, key);
      const existingMetadata = ownValue(metadata, key);
      // Merging into an object keeps its untouched keys; anything else is replaced by the object.
      const merged = isJsonObject(existing)
        ? mergeSection({ state: existing, ...(isJsonObject(existingMetadata) ? { metadata: existingMetadata } : {}) }, value, now)
        : mergeSection({}, value, now);
      setOwn(state, key, merged.state);
      setOwn(metadata, key, merged.metadata);
    } else {
      setOwn(state, key, value);
      setOwn(metadata, key, metadataOf(value, now));
    }
  }
  return { state, metadata };
}

/**
 * The metadata AWS writes for `value` set at `now`: `{timestamp}` for a scalar (or a null being
 * deleted), an array of its items' metadata for an array, and the same shape for an object.
 *
 * @example
 * metadataOf({ mode: 'eco', levels: [1, 2] }, 9);
 * // { mode: { timestamp: 9 }, levels: [{ timestamp: 9 }, { timestamp: 9 }] }
 */
export function metadataOf(value: JsonValue, now: number): JsonValue {
  if (Array.isArray(value)) return value.map((item) => metadataOf(item, now));
  if (isJsonObject(value)) {
    const metadata: JsonObject = {};
    for (const [key, item] of Object.entries(value)) setOwn(metadata, key, metadataOf(item, now));
    return metadata;
  }
  return { timestamp: now };
}

/** `object[key]` when it is the object's own key, else undefined (so `__proto__` reads as data). */
export function ownValue(object: JsonObject | undefined, key: string): JsonValue | undefined {
  return object !== undefined && Object.hasOwn(object, key) ? object[key] : undefined;
}

/** Sets `object[key]` as an own data property, even for `__proto__`. */
export function setOwn(object: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function copyObject(object: JsonObject | undefined): JsonObject {
  const copy: JsonObject = {};
  if (object !== undefined) for (const [key, value] of Object.entries(object)) setOwn(copy, key, value);
  return copy;
}
