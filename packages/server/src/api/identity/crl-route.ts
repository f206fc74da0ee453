/**
 * `GET /crl/{caId}.crl` on the agent-facing port: the CRL of one of Gatehouse's own CAs (root or intermediate), DER, without a key,
 * as CRL distribution points are fetched by relying parties that hold no credentials.
 */
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/index.js';
import { ErrorBody } from '../schemas.js';
import { publicCaCrl } from './ca-crl.js';
import type { IdentityServices } from './identity-services.js';

const crlFile = /^([0-9a-fA-F]{64})\.crl$/;

/**
 * Adds the public CRL route; any id other than a loaded Gatehouse CA's (root or intermediate) is 404.
 *
 * @example
 * registerPublicCrlRoute(agentApp, services); // curl https://gatehouse:8443/crl/<ca id>.crl | openssl crl -inform DER -noout -text
 */
export function registerPublicCrlRoute(app: FastifyInstance, services: IdentityServices): void {
  app.get<{ Params: { file: string } }>('/crl/:file', {
    schema: { response: { 404: ErrorBody } },
  }, async (request, reply) => {
    const caId = crlFile.exec(request.params.file)?.[1];
    if (caId === undefined) throw new GatehouseError('NOT_FOUND', { what: 'CRL', id: request.params.file });
    const { der } = await publicCaCrl(services, caId);
    // Relying parties re-fetch well before nextUpdate; a minute of caching spares the CA key the work.
    return reply.type('application/pkix-crl').header('cache-control', 'public, max-age=60').send(der);
  });
}
