/**
 * One shadow update, as AWS's Device Shadow service applies it: the version check, the merge of each
 * section sent, the limits on the result, and the three messages that follow an accepted update
 * (`/update/accepted`, `/update/delta` when there is one, `/update/documents`).
 */
import type { ShadowDelta, ShadowUpdateAccepted, ShadowUpdateDocuments } from '@gatehouse/protocol';
import { computeDelta, deltaMetadata } from './shadow-delta.js';
import { emptyShadow, stateByteLength, type JsonObject, type ShadowDocument, type ShadowLimits } from './shadow-document.js';
import { mergeSection, metadataOf } from './shadow-merge.js';
import { snapshotOf } from './shadow-replies.js';
import { payloadTooLarge, versionConflict } from './shadow-rejection.js';
import { checkSections, type UpdateRequest } from './shadow-request.js';

export { computeDelta } from './shadow-delta.js';

/** An accepted update: the shadow to store and the payloads to publish once it is stored. */
export interface UpdateOutcome {
  /** The new live shadow. */
  readonly document: ShadowDocument;
  /** The `/update/accepted` payload (and the REST UpdateThingShadow body). */
  readonly accepted: ShadowUpdateAccepted;
  /** The `/update/delta` payload, when AWS would publish one. */
  readonly delta?: ShadowDelta;
  /** The `/update/documents` payload. */
  readonly documents: ShadowUpdateDocuments;
}

/** What applyShadowUpdate needs besides the shadow and the request. */
export interface ApplyShadowUpdateOptions {
  /** Epoch seconds, written into metadata and payloads. */
  readonly now: number;
  readonly limits: ShadowLimits;
  /** The version to continue from when there is no live shadow (a tombstone younger than 48 h); else 0. */
  readonly baseVersion?: number;
}

type Section = 'desired' | 'reported';
const SECTIONS: readonly Section[] = ['desired', 'reported'];

/**
 * Applies `request` to `current` (the live shadow, or undefined to create one). Pure: the caller
 * stores `document` with a compare-and-set on `current`'s version and publishes the payloads after.
 * Throws ShadowRejection 409 'Version conflict' when `request.version` is set and is not the current
 * version, 413 when the result holds more than `limits.maxDocumentBytes`, 400 when too deep or when an
 * array holds null.
 *
 * @example
 * const outcome = applyShadowUpdate(undefined, { state: { desired: { mode: 'eco' } } }, { now: 1700000000, limits: DEFAULT_SHADOW_LIMITS });
 * outcome.document.version; // 1
 * outcome.delta?.state;     // { mode: 'eco' }
 */
export function applyShadowUpdate(current: ShadowDocument | undefined, request: UpdateRequest, options: ApplyShadowUpdateOptions): UpdateOutcome {
  const { now, limits } = options;
  const clientToken = request.clientToken;
  checkSections(request.state, limits, clientToken);
  const previous = current ?? emptyShadow(options.baseVersion ?? 0);
  if (request.version !== undefined && request.version !== previous.version) throw versionConflict(clientToken);

  const state: { desired?: JsonObject; reported?: JsonObject } = { ...previous.state };
  const metadata: { desired?: JsonObject; reported?: JsonObject } = { ...previous.metadata };
  for (const section of SECTIONS) {
    const patch = request.state[section];
    if (patch === undefined) continue;
    if (patch === null) {
      delete state[section];
      delete metadata[section];
      continue;
    }
    const existingState = previous.state[section];
    const existingMetadata = previous.metadata[section];
    const merged = mergeSection({ ...(existingState ? { state: existingState } : {}), ...(existingMetadata ? { metadata: existingMetadata } : {}) }, patch, now);
    // A section left without keys is dropped, as AWS drops a section set to null: "{}" is a whole shadow.
    if (Object.keys(merged.state).length === 0) {
      delete state[section];
      delete metadata[section];
    } else {
      state[section] = merged.state;
      metadata[section] = merged.metadata;
    }
  }
  if (stateByteLength(state) > limits.maxDocumentBytes) throw payloadTooLarge(clientToken);

  const document: ShadowDocument = { state, metadata, version: previous.version + 1 };
  const outcome: { -readonly [K in keyof UpdateOutcome]: UpdateOutcome[K] } = {
    document,
    accepted: acceptedPayload(request, document.version, now),
    documents: documentsPayload(current === undefined ? undefined : previous, document, now, clientToken),
  };
  const delta = deltaPayload(document, clientToken, now);
  if (delta !== undefined) outcome.delta = delta;
  return outcome;
}

/** Only the sections and keys the request sent (nulls included), each with `now` as its metadata. */
function acceptedPayload(request: UpdateRequest, version: number, now: number): ShadowUpdateAccepted {
  const state: ShadowUpdateAccepted['state'] = {};
  const metadata: ShadowUpdateAccepted['metadata'] = {};
  for (const section of SECTIONS) {
    const sent = request.state[section];
    if (sent === undefined) continue;
    state[section] = sent;
    metadata[section] = metadataOf(sent, now) as ShadowUpdateAccepted['metadata'][Section] & object;
  }
  const payload: ShadowUpdateAccepted = { state, metadata, version, timestamp: now };
  if (request.clientToken !== undefined) payload.clientToken = request.clientToken;
  return payload;
}

/**
 * The delta event, published after every accepted update that leaves desired different from
 * reported, reported-only updates included. AWS: it "contains all of these attributes, regardless of
 * whether these attributes were contained in the current update message or were already stored".
 */
function deltaPayload(document: ShadowDocument, clientToken: string | undefined, now: number): ShadowDelta | undefined {
  const delta = computeDelta(document.state.desired, document.state.reported);
  if (delta === undefined) return undefined;
  const payload: ShadowDelta = { state: delta, metadata: deltaMetadata(delta, document.metadata.desired) as ShadowDelta['metadata'], version: document.version, timestamp: now };
  if (clientToken !== undefined) payload.clientToken = clientToken;
  return payload;
}

/** `previous` is null for a shadow the update created, as AWS's own Greengrass shadow manager sends it. */
function documentsPayload(previous: ShadowDocument | undefined, current: ShadowDocument, now: number, clientToken: string | undefined): ShadowUpdateDocuments {
  const payload: ShadowUpdateDocuments = { previous: previous === undefined ? null : snapshotOf(previous), current: snapshotOf(current), timestamp: now };
  if (clientToken !== undefined) payload.clientToken = clientToken;
  return payload;
}
