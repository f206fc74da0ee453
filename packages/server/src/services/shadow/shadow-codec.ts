/**
 * The store codec: a ShadowRecord's `state` and `metadata` JSON text to the ShadowDocument the
 * service works on, and back.
 */
import type { ShadowRecord } from '../../store/index.js';
import { isJsonObject, type JsonObject, type ShadowDocument, type ShadowSections } from './shadow-document.js';

/**
 * The document a stored record holds. A tombstone reads as an empty shadow at its version; text that
 * is not a JSON object throws (the store is corrupt: the caller answers 500 and logs).
 *
 * @example
 * documentFromRecord({ tenant: 't', thing: 'a', name: '', state: '{"reported":{"on":true}}', metadata: '{"reported":{"on":{"timestamp":5}}}', version: 3, updatedAt: 5000 });
 * // { state: { reported: { on: true } }, metadata: { reported: { on: { timestamp: 5 } } }, version: 3 }
 */
export function documentFromRecord(record: ShadowRecord): ShadowDocument {
  return { state: parseSections(record.state, 'state'), metadata: parseSections(record.metadata, 'metadata'), version: record.version };
}

/**
 * The `state` and `metadata` text to store for `document`.
 *
 * @example
 * recordFields({ state: { desired: { a: 1 } }, metadata: { desired: { a: { timestamp: 5 } } }, version: 1 });
 * // { state: '{"desired":{"a":1}}', metadata: '{"desired":{"a":{"timestamp":5}}}' }
 */
export function recordFields(document: ShadowDocument): { state: string; metadata: string } {
  return { state: JSON.stringify(sectionsOnly(document.state)), metadata: JSON.stringify(sectionsOnly(document.metadata)) };
}

function parseSections(text: string, field: string): ShadowSections {
  const parsed: unknown = JSON.parse(text);
  if (!isJsonObject(parsed)) throw new TypeError(`Cannot read stored shadow: ${field} is not a JSON object`);
  return sectionsOnly(parsed);
}

function sectionsOnly(sections: ShadowSections | JsonObject): { desired?: JsonObject; reported?: JsonObject } {
  const out: { desired?: JsonObject; reported?: JsonObject } = {};
  const { desired, reported } = sections;
  if (isJsonObject(desired)) out.desired = desired;
  if (isJsonObject(reported)) out.reported = reported;
  return out;
}
