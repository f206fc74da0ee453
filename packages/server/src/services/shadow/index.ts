/**
 * The Device Shadow: pure shadow logic (request checks, merge, delta, version, AWS's payloads and
 * error texts) and the store codec, for the shadow service built on them.
 */
export {
  DEFAULT_SHADOW_LIMITS,
  isJsonObject,
  jsonEqual,
  type JsonObject,
  type JsonValue,
  type ShadowDocument,
  type ShadowLimits,
  type ShadowSections,
} from './shadow-document.js';
export * from './shadow-rejection.js';
export { parseClientToken, parseUpdateRequest, type UpdateRequest } from './shadow-request.js';
export { applyShadowUpdate, computeDelta, type ApplyShadowUpdateOptions, type UpdateOutcome } from './shadow-update.js';
export { deleteAcceptedPayload, getAcceptedPayload, snapshotOf } from './shadow-replies.js';
export { documentFromRecord, recordFields } from './shadow-codec.js';
export {
  startShadowService, type ShadowCountedOperation, type ShadowCounters, type ShadowResult, type ShadowService, type ShadowServiceOptions,
} from './shadow-service.js';
