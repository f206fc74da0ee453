/**
 * The payloads the shadow service answers with and publishes: get/accepted, delete/accepted, and the
 * `{state, metadata, version}` snapshots that update/documents carries.
 */
import type { ShadowDeleteAccepted, ShadowGetAccepted, ShadowMetadata, ShadowSnapshot, ShadowState } from '@gatehouse/protocol';
import { computeDelta } from './shadow-delta.js';
import type { ShadowDocument, ShadowSections } from './shadow-document.js';

/**
 * The `.../get/accepted` payload (and the REST GetThingShadow body): state with the computed
 * `delta` when desired and reported differ, metadata, version, `timestamp` (epoch s, now) and the
 * request's clientToken.
 *
 * @example
 * getAcceptedPayload({ state: { desired: { mode: 'eco' } }, metadata: { desired: { mode: { timestamp: 5 } } }, version: 2 }, { now: 9 });
 * // { state: { desired: { mode: 'eco' }, delta: { mode: 'eco' } }, metadata: { desired: { mode: { timestamp: 5 } } }, version: 2, timestamp: 9 }
 */
export function getAcceptedPayload(document: ShadowDocument, options: { readonly now: number; readonly clientToken?: string | undefined }): ShadowGetAccepted {
  const state: ShadowGetAccepted['state'] = sectionsOf(document.state);
  const delta = computeDelta(document.state.desired, document.state.reported);
  if (delta !== undefined) state.delta = delta;
  const payload: ShadowGetAccepted = { state, metadata: sectionsOf(document.metadata) as ShadowMetadata, version: document.version, timestamp: options.now };
  if (options.clientToken !== undefined) payload.clientToken = options.clientToken;
  return payload;
}

/**
 * The `.../delete/accepted` payload (and the REST DeleteThingShadow body): the version the shadow had.
 *
 * @example
 * deleteAcceptedPayload(7, { now: 9, clientToken: 'c1' }); // { version: 7, timestamp: 9, clientToken: 'c1' }
 */
export function deleteAcceptedPayload(version: number, options: { readonly now: number; readonly clientToken?: string | undefined }): ShadowDeleteAccepted {
  const payload: ShadowDeleteAccepted = { version, timestamp: options.now };
  if (options.clientToken !== undefined) payload.clientToken = options.clientToken;
  return payload;
}

/**
 * A shadow as `.../update/documents` shows it before or after an update.
 *
 * @example
 * snapshotOf({ state: { reported: { on: true } }, metadata: { reported: { on: { timestamp: 5 } } }, version: 4 });
 * // { state: { reported: { on: true } }, metadata: { reported: { on: { timestamp: 5 } } }, version: 4 }
 */
export function snapshotOf(document: ShadowDocument): ShadowSnapshot {
  return { state: sectionsOf(document.state), metadata: sectionsOf(document.metadata) as ShadowMetadata, version: document.version };
}

/** The present sections only, in AWS's order. */
function sectionsOf(sections: ShadowSections): ShadowState {
  const out: ShadowState = {};
  if (sections.desired !== undefined) out.desired = sections.desired;
  if (sections.reported !== undefined) out.reported = sections.reported;
  return out;
}
