/** Maps `jose` verification errors to stable AuthError reasons, shared by every JWS/JWT verifier here. */
import { errors } from 'jose';
import { AuthError } from './auth-error.js';

/**
 * Turns whatever `jwtVerify` threw into an AuthError. `what` names the token kind for the message
 * ("Registration token", "Auth token"); the token itself never appears in it.
 */
export function authErrorFromJose(error: unknown, what: string): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) return new AuthError('expired', `${what} has expired`, { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'aud': return new AuthError('wrong-audience', `${what} is for another audience`, { cause: error });
      case 'iss': return new AuthError('wrong-issuer', `${what} is from another issuer`, { cause: error });
      case 'nbf':
      case 'iat': return new AuthError('not-yet-valid', `${what} is not valid yet`, { cause: error });
      default: return new AuthError('missing-claim', `${what} has a missing or invalid "${error.claim}" claim`, { cause: error });
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AuthError('bad-signature', `${what} signature does not verify`, { cause: error });
  if (error instanceof errors.JWKSNoMatchingKey) return new AuthError('unknown-key', `${what} is signed by a key that is not configured`, { cause: error });
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new AuthError('unsupported-algorithm', `${what} uses an algorithm that is not allowed`, { cause: error });
  }
  return new AuthError('malformed', `${what} is malformed`, { cause: error });
}
