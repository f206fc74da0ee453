/**
 * The agent-facing HTTPS endpoints served on the WSS listener's port beside `/mqtt`: `POST /v1/register`
 * (token + CSR for a certificate) and `GET /role-aliases/{alias}/credentials` (client certificate for
 * temporary credentials), `GET /crl/{caId}.crl` (the local CA's CRL, public), and AWS's shadow data
 * plane (`/things/{thing}/shadow`, mTLS and IoT policies), and the `/healthz` and `/readyz` probes. No admin key: the registration token or the
 * client certificate is the credential.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fastify, type FastifyInstance } from 'fastify';
import type { Logger } from '../core/index.js';
import { PolicyResolver, type ShadowService } from '../services/index.js';
import { installErrorHandlers } from './errors.js';
import { registerCredentialsProviderRoute } from './identity/credentials-provider.js';
import { registerPublicCrlRoute } from './identity/crl-route.js';
import { registerProbeRoutes } from './routes/health.js';
import type { IdentityServices } from './identity/identity-services.js';
import { Registered, RegisterRequest } from './identity/identity-schemas.js';
import { registerDevice } from './identity/register-device.js';
import { ErrorBody } from './schemas.js';
import { registerShadowDataPlaneRoutes } from './shadow/shadow-data-plane.js';

/** A CSR is a few KB; anything bigger than this is not a registration. */
const registerBodyLimit = 64 * 1024;

export interface AgentApi {
  readonly app: FastifyInstance;
  /** Hand it to the listener for every request that is not the WebSocket path. */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export interface AgentApiOptions {
  readonly identity: IdentityServices;
  readonly logger: Logger;
  /** The Device Shadow service; without it the data-plane shadow routes are absent. */
  readonly shadows?: ShadowService;
  /** The live authorizer's resolver, so shadow requests are decided as connections are; default one with the default settings. */
  readonly policyResolver?: PolicyResolver;
  /** Readiness for `/readyz` (with `/healthz`), so a load balancer in front of the agent port can check it there. */
  readonly health?: () => { ready: boolean; reasons: string[] };
}

/**
 * Builds the agent-facing app. It does not listen: the WSS listener passes its requests to `handle`.
 *
 * @example
 * const agentApi = await createAgentApi({ identity: services, logger });
 * await listenWebSocket({ ..., onRequest: agentApi.handle });
 */
export async function createAgentApi(options: AgentApiOptions): Promise<AgentApi> {
  const logger = options.logger.child({ component: 'agent-api' });
  const app = fastify({
    loggerInstance: logger,
    disableRequestLogging: true,
    bodyLimit: registerBodyLimit,
    // Role aliases reach 128 characters, percent-encoded up to three bytes each.
    routerOptions: { maxParamLength: 512 },
    ajv: { customOptions: { removeAdditional: false } },
  }) as unknown as FastifyInstance;
  installErrorHandlers(app, { logger, bodyLimit: registerBodyLimit });

  app.post<{ Body: RegisterRequest }>('/v1/register', {
    schema: {
      body: RegisterRequest,
      response: { 201: Registered, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody, 413: ErrorBody, 503: ErrorBody },
    },
  }, async (request, reply) => {
    try {
      const registered = await registerDevice(options.identity, request.body);
      logger.info({ tenant: registered.tenant, thing: registered.thingName, certificateId: registered.certificateId }, 'Agent registered');
      return await reply.code(201).send(registered);
    } catch (error) {
      // The reason only: the token and CSR are the client's and may be secrets.
      logger.info({ remoteAddress: request.socket.remoteAddress, error: error instanceof Error ? error.message : String(error) }, 'Registration refused');
      throw error;
    }
  });

  registerPublicCrlRoute(app, options.identity);
  if (options.health !== undefined) registerProbeRoutes(app, options.health);

  const { credentialsSecret } = options.identity;
  if (credentialsSecret !== undefined) registerCredentialsProviderRoute(app, { ...options.identity, credentialsSecret }, logger);

  if (options.shadows !== undefined) {
    const identity = options.identity.store;
    registerShadowDataPlaneRoutes(app, {
      shadows: options.shadows, identity, resolver: options.policyResolver ?? new PolicyResolver({ identity }), logger,
      ...(options.identity.now === undefined ? {} : { now: () => options.identity.now!().getTime() }),
    });
  }

  await app.ready();
  return { app, handle: (req, res) => app.routing(req, res) };
}
