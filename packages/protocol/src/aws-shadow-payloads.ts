/**
 * The JSON payloads of the AWS IoT Device Shadow topics as they travel on the wire (timestamps are
 * epoch seconds), named after the topic they travel on. Field names follow AWS's developer guide and
 * the aws-iot-device-sdk-js-v2 shadow model, so SDK users find what they know.
 */

/** Any JSON value a shadow's state holds. */
export type ShadowJsonValue = string | number | boolean | null | ShadowJsonValue[] | ShadowJsonObject;

/** A JSON object in a shadow's state. */
export interface ShadowJsonObject {
  [key: string]: ShadowJsonValue;
}

/** When one leaf of the state was last written (epoch seconds). */
export interface ShadowLeafMetadata {
  timestamp: number;
}

/**
 * The metadata of a state subtree: it mirrors the state, with a `{timestamp}` at each leaf and an
 * array of leaf metadata for each array.
 */
export type ShadowMetadataNode = ShadowLeafMetadata | ShadowMetadataNode[] | { [key: string]: ShadowMetadataNode };

/** Metadata of the keys of one state section. */
export interface ShadowMetadataTree {
  [key: string]: ShadowMetadataNode;
}

/** A shadow's two sections; either is absent when it holds nothing. */
export interface ShadowState {
  desired?: ShadowJsonObject;
  reported?: ShadowJsonObject;
}

/** The state as GET returns it, with the computed delta when desired and reported differ. */
export interface ShadowStateWithDelta extends ShadowState {
  delta?: ShadowJsonObject;
}

/** Metadata of both sections. */
export interface ShadowMetadata {
  desired?: ShadowMetadataTree;
  reported?: ShadowMetadataTree;
}

/**
 * Published on `.../update`. `null` deletes a key, a section set to `null` deletes the section;
 * `version`, when present, must be the shadow's current version or the update is refused (409).
 *
 * @example
 * const request: ShadowUpdateRequest = { state: { reported: { fw: '1.2.0' } }, clientToken: 'c1', version: 7 };
 */
export interface ShadowUpdateRequest {
  state: { desired?: ShadowJsonObject | null; reported?: ShadowJsonObject | null };
  version?: number;
  /** Up to 64 bytes; echoed on every answer to this request. */
  clientToken?: string;
}

/** Published on `.../get` and `.../delete` (an empty payload is accepted too). */
export interface ShadowTokenRequest {
  clientToken?: string;
}

/**
 * Answer on `.../get/accepted`: the whole shadow.
 *
 * @example
 * { state: { desired: { mode: 'eco' }, delta: { mode: 'eco' } }, metadata: { desired: { mode: { timestamp: 1700000000 } } }, version: 3, timestamp: 1700000050 }
 */
export interface ShadowGetAccepted {
  state: ShadowStateWithDelta;
  metadata: ShadowMetadata;
  version: number;
  timestamp: number;
  clientToken?: string;
}

/** Answer on `.../update/accepted`: only the keys the request sent (nulls included), with their metadata. */
export interface ShadowUpdateAccepted {
  state: { desired?: ShadowJsonObject | null; reported?: ShadowJsonObject | null };
  metadata: { desired?: ShadowMetadataTree | ShadowLeafMetadata; reported?: ShadowMetadataTree | ShadowLeafMetadata };
  version: number;
  timestamp: number;
  clientToken?: string;
}

/**
 * Event on `.../update/delta`: the desired keys that differ from reported, with their desired metadata.
 *
 * @example
 * { state: { mode: 'eco' }, metadata: { mode: { timestamp: 1700000000 } }, version: 3, timestamp: 1700000000 }
 */
export interface ShadowDelta {
  state: ShadowJsonObject;
  metadata: ShadowMetadataTree;
  version: number;
  timestamp: number;
  clientToken?: string;
}

/** The shadow as it was before or after an update, in `.../update/documents`. */
export interface ShadowSnapshot {
  state: ShadowState;
  metadata: ShadowMetadata;
  version: number;
}

/** Event on `.../update/documents` after every accepted update; `previous` is null when the update created the shadow. */
export interface ShadowUpdateDocuments {
  previous: ShadowSnapshot | null;
  current: ShadowSnapshot;
  timestamp: number;
  clientToken?: string;
}

/** Answer on `.../delete/accepted`: the version the deleted shadow had. */
export interface ShadowDeleteAccepted {
  version: number;
  timestamp: number;
  clientToken?: string;
}

/**
 * Answer on any `.../rejected` topic, and the body of a failed REST call.
 *
 * @example
 * { code: 409, message: 'Version conflict', timestamp: 1700000000, clientToken: 'c1' }
 */
export interface ShadowErrorResponse {
  code: number;
  message: string;
  timestamp?: number;
  clientToken?: string;
}
