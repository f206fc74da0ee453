/** The admin key check that guards every `/v1` route. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../core/index.js';

/**
 * Builds an `onRequest` hook that answers 401 unless the request carries `Authorization: Bearer <adminKey>`.
 * Both sides are hashed first so the comparison takes the same time whatever the length or content
 * of the presented key.
 *
 * @example
 * app.addHook('onRequest', requireAdminKey('s3cret'));
 */
export function requireAdminKey(adminKey: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  if (adminKey.length === 0) throw new TypeError('The admin API key must not be empty');
  const expected = sha256(adminKey);
  return async (request) => {
    if (!needsKey(request)) return;
    const presented = bearerToken(request.headers.authorization);
    if (presented === undefined || !timingSafeEqual(sha256(presented), expected)) {
      throw new GatehouseError('UNAUTHORIZED');
    }
  };
}

/**
 * `/v1` routes, and unknown paths under `/v1` too, so that probing without a key learns nothing
 * about which routes exist.
 */
function needsKey(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route !== undefined && (route === '/v1' || route.startsWith('/v1/'))) return true;
  const path = request.url;
  return path === '/v1' || path.startsWith('/v1/') || path.startsWith('/v1?');
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
