/**
 * Refused shadow requests: the codes and exact message texts of AWS's Device Shadow error table, and
 * the `{code, message, timestamp, clientToken}` body sent on `.../rejected` and to REST callers.
 */
import type { ShadowErrorResponse } from '@gatehouse/protocol';

/** The HTTP-style codes AWS's Device Shadow service answers with. */
export type ShadowErrorCode = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500;

/**
 * A shadow request the service refuses; thrown by the pure shadow code and the service, and turned
 * into the `/rejected` answer or the HTTP status in one place. Its message goes to the client, so it
 * is one of AWS's texts and never holds secrets.
 *
 * @example
 * throw new ShadowRejection(409, 'Version conflict', 'token-1');
 */
export class ShadowRejection extends Error {
  readonly code: ShadowErrorCode;
  readonly clientToken: string | undefined;

  constructor(code: ShadowErrorCode, message: string, clientToken?: string) {
    super(message);
    this.name = 'ShadowRejection';
    this.code = code;
    this.clientToken = clientToken;
  }

  /** The same rejection, now carrying the request's token (read after the failure was found). */
  withClientToken(clientToken: string | undefined): ShadowRejection {
    return clientToken === undefined || clientToken === this.clientToken ? this : new ShadowRejection(this.code, this.message, clientToken);
  }
}

/**
 * The `*\/rejected` payload (and REST error body): `{code, message, timestamp, clientToken?}`.
 *
 * @example
 * rejectionPayload(versionConflict('c1'), 1700000000);
 * // { code: 409, message: 'Version conflict', timestamp: 1700000000, clientToken: 'c1' }
 */
export function rejectionPayload(rejection: ShadowRejection, now: number): ShadowErrorResponse {
  const body: ShadowErrorResponse = { code: rejection.code, message: rejection.message, timestamp: now };
  if (rejection.clientToken !== undefined) body.clientToken = rejection.clientToken;
  return body;
}

// AWS's texts, word for word (developer guide, "Device Shadow error messages").

/** 400: the payload is not JSON, or not a JSON object. */
export const invalidJson = (clientToken?: string) => new ShadowRejection(400, 'Invalid JSON', clientToken);
/** 400: an update without `state`. */
export const missingState = (clientToken?: string) => new ShadowRejection(400, 'Missing required node: state', clientToken);
/** 400: `state` is not an object. */
export const stateNotObject = (clientToken?: string) => new ShadowRejection(400, 'State node must be an object', clientToken);
/** 400: `state.desired` is neither an object nor null. */
export const desiredNotObject = (clientToken?: string) => new ShadowRejection(400, 'Desired node must be an object', clientToken);
/** 400: `state.reported` is neither an object nor null. */
export const reportedNotObject = (clientToken?: string) => new ShadowRejection(400, 'Reported node must be an object', clientToken);
/** 400: `version` is not a non-negative integer. */
export const invalidVersion = (clientToken?: string) => new ShadowRejection(400, 'Invalid version', clientToken);
/** 400: `clientToken` is not a string of at most 64 bytes (the token cannot be echoed, so none is). */
export const invalidClientToken = () => new ShadowRejection(400, 'Invalid clientToken');
/** 400: the state nests deeper than the limit. */
export const tooDeep = (maxDepth: number, clientToken?: string) =>
  new ShadowRejection(400, `JSON contains too many levels of nesting; maximum is ${maxDepth}`, clientToken);
/** 400: the state holds something a shadow cannot store, such as `null` inside an array. */
export const invalidNode = (clientToken?: string) => new ShadowRejection(400, 'State contains an invalid node', clientToken);
/** 401. */
export const unauthorized = (clientToken?: string) => new ShadowRejection(401, 'Unauthorized', clientToken);
/** 403. */
export const forbidden = (clientToken?: string) => new ShadowRejection(403, 'Forbidden', clientToken);
/** 404: the thing is not in the registry. */
export const thingNotFound = (clientToken?: string) => new ShadowRejection(404, 'Thing not found', clientToken);
/** 404: no such shadow; `name` is the shadow's name, or the thing's name for the classic shadow. */
export const noShadow = (name: string, clientToken?: string) => new ShadowRejection(404, `No shadow exists with name: '${name}'`, clientToken);
/** 409: the request's `version` is not the shadow's. */
export const versionConflict = (clientToken?: string) => new ShadowRejection(409, 'Version conflict', clientToken);
/** 413: the request, or the shadow after it, is larger than allowed. */
export const payloadTooLarge = (clientToken?: string) => new ShadowRejection(413, 'The payload exceeds the maximum size allowed', clientToken);
/** 415: the payload is not UTF-8. (AWS's text says "documented", sic.) */
export const unsupportedEncoding = () => new ShadowRejection(415, 'Unsupported documented encoding; supported encoding is UTF-8');
/** 429: too many requests of one connection in flight. */
export const tooManyRequests = (clientToken?: string) => new ShadowRejection(429, 'Too many requests', clientToken);
/** 500: anything else; the server log has the cause. */
export const internalFailure = (clientToken?: string) => new ShadowRejection(500, 'Internal service failure', clientToken);
