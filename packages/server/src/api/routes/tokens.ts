/** `POST /v1/tokens`: mint single-use registration tokens for agents. */
import type { FastifyInstance } from 'fastify';
import type { IdentityServices } from '../identity/identity-services.js';
import { MintedToken, TokenRequest } from '../identity/identity-schemas.js';
import { mintToken } from '../identity/mint-token.js';
import { commonErrors, ErrorBody } from '../schemas.js';

export function registerTokenRoutes(app: FastifyInstance, services: IdentityServices): void {
  app.post<{ Body: TokenRequest }>('/v1/tokens', {
    schema: {
      tags: ['identity'],
      summary: 'Mint a single-use registration token for one thing; the agent trades it and a CSR for a certificate at `endpoint`',
      body: TokenRequest,
      response: { 201: MintedToken, ...commonErrors, 503: ErrorBody },
    },
  }, async (request, reply) => reply.code(201).send(await mintToken(services, request.body)));
}
