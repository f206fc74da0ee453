/**
 * The delta of a shadow: the desired keys that reported does not have or has with another value,
 * nested keys keeping their path with only the differing leaves; arrays compare whole. Reported-only
 * keys are never part of it.
 */
import { isJsonObject, jsonEqual, type JsonObject } from './shadow-document.js';
import { ownValue, setOwn } from './shadow-merge.js';

/**
 * The delta between desired and reported; undefined when there is none.
 *
 * @example
 * computeDelta({ mode: 'eco', net: { ssid: 'a', psk: 'x' } }, { mode: 'eco', net: { ssid: 'b', psk: 'x' }, rssi: -60 });
 * // { net: { ssid: 'a' } }
 */
export function computeDelta(desired: JsonObject | undefined, reported: JsonObject | undefined): JsonObject | undefined {
  if (desired === undefined) return undefined;
  let delta: JsonObject | undefined;
  for (const [key, wanted] of Object.entries(desired)) {
    const actual = ownValue(reported, key);
    let difference = wanted;
    if (isJsonObject(wanted) && isJsonObject(actual)) {
      const nested = computeDelta(wanted, actual);
      if (nested === undefined) continue;
      difference = nested;
    } else if (jsonEqual(wanted, actual)) {
      continue;
    }
    delta ??= {};
    setOwn(delta, key, difference);
  }
  return delta;
}

/**
 * The metadata of a delta: the desired metadata of exactly the delta's paths (AWS: delta metadata is
 * desired metadata).
 *
 * @example
 * deltaMetadata({ net: { ssid: 'a' } }, { mode: { timestamp: 1 }, net: { ssid: { timestamp: 5 }, psk: { timestamp: 2 } } });
 * // { net: { ssid: { timestamp: 5 } } }
 */
export function deltaMetadata(delta: JsonObject, desiredMetadata: JsonObject | undefined): JsonObject {
  const metadata: JsonObject = {};
  for (const [key, value] of Object.entries(delta)) {
    const node = ownValue(desiredMetadata, key);
    if (node === undefined) continue;
    // Where the delta descends into an object, so does its metadata; elsewhere the desired subtree was taken whole.
    setOwn(metadata, key, isJsonObject(value) && isJsonObject(node) && !isLeafMetadata(node) ? deltaMetadata(value, node) : node);
  }
  return metadata;
}

function isLeafMetadata(node: JsonObject): boolean {
  const keys = Object.keys(node);
  return keys.length === 1 && keys[0] === 'timestamp' && typeof node['timestamp'] === 'number';
}
