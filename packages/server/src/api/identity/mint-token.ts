/** `POST /v1/tokens`' work: mint a registration token and record its id so that it can be used once. */
import { mintRegistrationToken } from '../../auth/index.js';
import { GatehouseError } from '../../core/index.js';
import type { IdentityServices } from './identity-services.js';
import type { TokenRequest } from './identity-schemas.js';

export interface MintedTokenJson {
  readonly token: string;
  readonly jti: string;
  readonly tenant: string;
  readonly thing: string;
  readonly expiresAt: string;
  readonly endpoint: string;
}

/**
 * Mints a single-use registration token and records it in the identity store.
 *
 * @example
 * const { token, endpoint } = await mintToken(services, { thing: 'agent-7' });
 */
export async function mintToken(services: IdentityServices, request: TokenRequest): Promise<MintedTokenJson> {
  const endpoint = services.endpoints().register;
  if (endpoint === undefined) throw new GatehouseError('NOT_READY', { reason: 'the agent-facing HTTPS listener (listeners.wss) is not enabled' });
  const tenant = request.tenant ?? services.defaultTenant;
  const now = services.now?.() ?? new Date();
  const minted = await mintRegistrationToken({
    signingKey: services.signingKey,
    tenant,
    thing: request.thing,
    endpoint,
    ttlSeconds: request.ttlSeconds ?? services.tokenTtlSeconds,
    ...(request.attributes === undefined ? {} : { attributes: request.attributes }),
    ...(request.groups === undefined ? {} : { groups: request.groups }),
    ...(request.template === undefined ? {} : { template: request.template }),
    now,
  });
  await services.store.recordToken({ jti: minted.jti, tenant, thing: request.thing, expiresAt: minted.expiresAt.getTime(), createdAt: now.getTime() });
  return { token: minted.token, jti: minted.jti, tenant, thing: request.thing, expiresAt: minted.expiresAt.toISOString(), endpoint };
}
