/**
 * AuthError: why a credential was refused, as a stable machine-readable reason beside the
 * catalogue code, so callers (WebSocket upgrade, CONNECT, HTTP routes) can log and count it.
 */
import { GatehouseError } from '../core/index.js';

/** Every reason an auth primitive refuses a credential. Stable: logs, metrics and tests use them. */
export type AuthFailureReason =
  | 'malformed'
  | 'expired'
  | 'not-yet-valid'
  | 'bad-signature'
  | 'unknown-key'
  | 'wrong-audience'
  | 'wrong-issuer'
  | 'other-tenant'
  | 'missing-claim'
  | 'unsupported-algorithm'
  | 'bad-date'
  | 'unknown-access-key'
  | 'credentials-expired'
  | 'region-mismatch'
  | 'service-mismatch';

/**
 * A refused credential. It is a `GatehouseError` with code `FORBIDDEN` (HTTP 403, as AWS IoT answers
 * a refused WebSocket upgrade or credentials request) and a `reason` that says which check failed.
 * The message never contains the credential itself.
 *
 * @example
 * try { await verifyRegistrationToken(token, options); }
 * catch (error) { if (error instanceof AuthError && error.reason === 'expired') askForANewToken(); }
 */
export class AuthError extends GatehouseError {
  readonly reason: AuthFailureReason;

  constructor(reason: AuthFailureReason, detail: string, options?: ErrorOptions) {
    super('FORBIDDEN', { reason: detail }, options);
    this.name = 'AuthError';
    this.reason = reason;
  }
}
