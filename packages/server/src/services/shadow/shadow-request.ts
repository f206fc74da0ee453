/**
 * Reads the payloads devices publish on shadow request topics, checking them as AWS does and throwing
 * a ShadowRejection with AWS's code and text (carrying the clientToken once it could be read).
 */
import { isJsonObject, nestsDeeperThan, type JsonObject, type JsonValue, type ShadowLimits } from './shadow-document.js';
import {
  desiredNotObject,
  invalidClientToken,
  invalidJson,
  invalidNode,
  invalidVersion,
  missingState,
  payloadTooLarge,
  reportedNotObject,
  stateNotObject,
  tooDeep,
  unsupportedEncoding,
} from './shadow-rejection.js';

/** An update request, checked. A section set to `null` deletes the section. */
export interface UpdateRequest {
  readonly state: { readonly desired?: JsonObject | null; readonly reported?: JsonObject | null };
  readonly version?: number;
  readonly clientToken?: string;
}

/** AWS: "A client token that is longer than 64 bytes" is refused. */
const MAX_CLIENT_TOKEN_BYTES = 64;

/** AWS IoT's largest MQTT message; a bigger update payload is refused unread (413). */
const MAX_REQUEST_BYTES = 128 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks an `.../update` payload. Throws ShadowRejection: 415 when it is not UTF-8; 400 for invalid
 * JSON, a bad `clientToken` or `version`, a missing or non-object `state`, `desired` or `reported`,
 * nesting deeper than `limits.maxDepth`, or `null` inside an array; 413 when the payload itself is
 * far larger than any document could be (the size of the result is checked by applyShadowUpdate).
 * `"state": null` clears both sections, as `{"desired": null, "reported": null}` does. Keys other
 * than `state`, `version` and `clientToken` are ignored, as are keys of `state` other than `desired`
 * and `reported`.
 *
 * @example
 * parseUpdateRequest(Buffer.from('{"state":{"desired":{"mode":"eco"}},"version":3}'), DEFAULT_SHADOW_LIMITS);
 * // { state: { desired: { mode: 'eco' } }, version: 3 }
 */
export function parseUpdateRequest(payload: Buffer, limits: ShadowLimits): UpdateRequest {
  // Before parsing, so a huge payload costs no parse; the token cannot be read yet.
  if (payload.length > Math.max(MAX_REQUEST_BYTES, 2 * limits.maxDocumentBytes)) throw payloadTooLarge();
  const body = parseJsonObject(payload);
  const clientToken = readClientToken(body);
  const version = readVersion(body, clientToken);
  if (!Object.hasOwn(body, 'state')) throw missingState(clientToken);
  const state = body['state'];
  const sections: { desired?: JsonObject | null; reported?: JsonObject | null } = {};
  if (state === null) {
    // AWS: "Setting the device's shadow state to null does not delete the shadow"; it empties it.
    sections.desired = null;
    sections.reported = null;
  } else if (isJsonObject(state)) {
    const desired = readSection(state, 'desired', clientToken);
    const reported = readSection(state, 'reported', clientToken);
    if (desired !== undefined) sections.desired = desired;
    if (reported !== undefined) sections.reported = reported;
  } else {
    throw stateNotObject(clientToken);
  }
  checkSections(sections, limits, clientToken);

  const request: { state: typeof sections; version?: number; clientToken?: string } = { state: sections };
  if (version !== undefined) request.version = version;
  if (clientToken !== undefined) request.clientToken = clientToken;
  return request;
}

/**
 * The clientToken of a `.../get` or `.../delete` payload: an empty payload has none; otherwise it
 * must be a JSON object (400 'Invalid JSON', 415 when not UTF-8) whose `clientToken`, if present, is
 * a string of at most 64 bytes (400 'Invalid clientToken'). Other keys are ignored.
 *
 * @example
 * parseClientToken(Buffer.from('{"clientToken":"c1"}')); // 'c1'
 * parseClientToken(Buffer.alloc(0));                     // undefined
 */
export function parseClientToken(payload: Buffer): string | undefined {
  if (payload.length === 0) return undefined;
  return readClientToken(parseJsonObject(payload));
}

/**
 * Checks the sections of an update against what a shadow can hold: nesting depth and `null` inside
 * arrays. Shared by the request parser and applyShadowUpdate (whose request may come from code, not
 * bytes).
 */
export function checkSections(sections: UpdateRequest['state'], limits: ShadowLimits, clientToken?: string): void {
  for (const section of [sections.desired, sections.reported]) {
    if (section === undefined || section === null) continue;
    if (nestsDeeperThan(section, limits.maxDepth)) throw tooDeep(limits.maxDepth, clientToken);
    if (holdsNullInArray(section)) throw invalidNode(clientToken);
  }
}

function parseJsonObject(payload: Buffer): JsonObject {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    throw unsupportedEncoding();
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidJson();
  }
  if (!isJsonObject(body)) throw invalidJson();
  return body;
}

function readClientToken(body: JsonObject): string | undefined {
  if (!Object.hasOwn(body, 'clientToken')) return undefined;
  const token = body['clientToken'];
  if (typeof token !== 'string' || Buffer.byteLength(token, 'utf8') > MAX_CLIENT_TOKEN_BYTES) throw invalidClientToken();
  return token;
}

function readVersion(body: JsonObject, clientToken: string | undefined): number | undefined {
  // A null version is treated as absent, as a serializer writing an unset field would send it.
  const version = body['version'];
  if (version === undefined || version === null) return undefined;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) throw invalidVersion(clientToken);
  return version;
}

function readSection(state: JsonObject, name: 'desired' | 'reported', clientToken: string | undefined): JsonObject | null | undefined {
  if (!Object.hasOwn(state, name)) return undefined;
  const section = state[name];
  if (section === null || isJsonObject(section)) return section;
  throw name === 'desired' ? desiredNotObject(clientToken) : reportedNotObject(clientToken);
}

/** Whether an array anywhere below `value` holds `null` (arrays are stored whole, nulls cannot delete in them). */
function holdsNullInArray(value: JsonValue): boolean {
  if (Array.isArray(value)) return value.some((item) => item === null || holdsNullInArray(item));
  if (isJsonObject(value)) return Object.values(value).some(holdsNullInArray);
  return false;
}
