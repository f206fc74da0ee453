/** Builds the admin HTTP app: the `/v1` REST API, health probes, Prometheus metrics and the OpenAPI document. */
import swagger from '@fastify/swagger';
import { fastify, type FastifyInstance } from 'fastify';
import type { BrokerAdmin } from '../broker/index.js';
import type { Logger } from '../core/index.js';
import type { PolicyResolver, ShadowService } from '../services/index.js';
import type { ConnectivityStore } from '../store/index.js';
import { requireAdminKey } from './admin-auth.js';
import { installErrorHandlers } from './errors.js';
import type { IdentityServices } from './identity/identity-services.js';
import { createMetricsRegistry } from './metrics.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerCaRoutes } from './routes/cas.js';
import { registerCertificateRoutes } from './routes/certificates.js';
import { registerClientRoutes } from './routes/clients.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerPolicyRoutes } from './routes/policies.js';
import { registerPolicyTargetRoutes } from './routes/policy-targets.js';
import { registerProvisioningTemplateRoutes } from './routes/provisioning-templates.js';
import { registerPublishRoutes } from './routes/publish.js';
import { registerRetainedRoutes } from './routes/retained.js';
import { registerRoleAliasRoutes } from './routes/role-aliases.js';
import { registerShadowRoutes } from './routes/shadows.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerStatsRoutes } from './routes/stats.js';
import { registerTenantRoutes } from './routes/tenants.js';
import { registerTestAuthorizationRoutes } from './routes/test-authorization.js';
import { registerThingConnectivityRoutes } from './routes/thing-connectivity.js';
import { registerThingGroupRoutes } from './routes/thing-groups.js';
import { registerThingGroupMemberRoutes } from './routes/thing-group-members.js';
import { registerThingRoutes } from './routes/things.js';
import { registerThingTypeRoutes } from './routes/thing-types.js';
import { registerBillingGroupRoutes } from './routes/billing-groups.js';
import { registerEventConfigurationRoutes } from './routes/event-configurations.js';
import { registerTokenRoutes } from './routes/tokens.js';

export interface AdminApiOptions {
  readonly admin: BrokerAdmin;
  /** The bearer key every `/v1` request must present. */
  readonly adminKey: string;
  readonly logger: Logger;
  /** Readiness for `/readyz`; `reasons` says what is not ready yet. */
  readonly health: () => { ready: boolean; reasons: string[] };
  /** Gatehouse's version, shown in the OpenAPI document. */
  readonly version: string;
  /** Largest request body in bytes; default 1 MiB, enough for a base64 payload of the default 256 KiB packet limit. */
  readonly bodyLimit?: number;
  /** Registration tokens and the certificate registry; without it those routes are absent. */
  readonly identity?: IdentityServices;
  /** The live authorizer's resolver, so `POST /v1/test-authorization` decides as connections are decided (its `auth.*` settings); default one with the default settings. */
  readonly policyResolver?: PolicyResolver;
  /** The Device Shadow service; without it the shadow routes and metrics are absent. */
  readonly shadows?: ShadowService;
  /** Per-thing connectivity (the presence service writes it); with `identity`, `GET .../things/{thing}/connectivity` answers from it. */
  readonly connectivity?: ConnectivityStore;
}

/**
 * Creates the admin API, ready to `listen` (the caller picks host and port; loopback by default).
 * Resolves once every plugin is loaded, so configuration mistakes fail here rather than at listen.
 *
 * @example
 * const api = await createAdminApi({ admin: broker.admin, adminKey, logger, health: () => ({ ready: broker.ready, reasons: [] }), version: '0.1.0' });
 * await api.listen({ host: '127.0.0.1', port: 8080 });
 */
export async function createAdminApi(options: AdminApiOptions): Promise<FastifyInstance> {
  const logger = options.logger.child({ component: 'admin-api' });
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const app = fastify({
    // Fastify's per-request info lines would flood the operator's log; one debug line per request
    // is logged below instead. Its request serializer never includes headers, so the key stays out.
    loggerInstance: logger,
    disableRequestLogging: true,
    bodyLimit,
    routerOptions: {
      // Client ids reach 128 characters and may be percent-encoded three bytes per character.
      maxParamLength: 4096,
      // `/v1/retained/` + a topic that begins with `/` gives `//`; it must reach the wildcard route as is.
      ignoreDuplicateSlashes: false,
    },
    // A misspelt field ("retained": true) must fail loudly rather than be dropped and ignored.
    ajv: { customOptions: { removeAdditional: false } },
    // Typed with pino's Logger, Fastify's generics would make this a different FastifyInstance from
    // the one route modules and callers name; the base logger type is all they use.
  }) as unknown as FastifyInstance;

  installErrorHandlers(app, { logger, bodyLimit });
  app.addHook('onRequest', requireAdminKey(options.adminKey));
  app.addHook('onResponse', async (request, reply) => {
    logger.debug({ method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'Admin API request');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Gatehouse admin API', version: options.version, description: 'Operate a Gatehouse broker: clients, sessions, retained messages, publishing, counters, registration tokens, device certificates and CAs, tenants, IoT policies and the audit log.' },
      components: { securitySchemes: { adminKey: { type: 'http', scheme: 'bearer', description: 'The admin API key' } } },
      security: [{ adminKey: [] }],
    },
  });

  const admin = options.admin;
  const shadows = options.shadows;
  registerHealthRoutes(app, { health: options.health, metrics: createMetricsRegistry(() => admin.counters, shadows === undefined ? {} : { shadows: () => shadows.counters }) });
  registerClientRoutes(app, admin);
  registerSessionRoutes(app, admin);
  registerRetainedRoutes(app, admin);
  registerPublishRoutes(app, admin);
  registerStatsRoutes(app, admin);
  if (options.identity !== undefined) {
    registerTokenRoutes(app, options.identity);
    registerProvisioningTemplateRoutes(app, options.identity);
    registerCertificateRoutes(app, options.identity, admin);
    registerCaRoutes(app, options.identity, admin);
    registerRoleAliasRoutes(app, options.identity);
    registerTenantRoutes(app, options.identity);
    registerPolicyRoutes(app, options.identity);
    registerPolicyTargetRoutes(app, options.identity);
    registerAuditRoutes(app, options.identity);
    registerTestAuthorizationRoutes(app, options.identity, options.policyResolver);
    registerThingGroupRoutes(app, options.identity);
    registerThingGroupMemberRoutes(app, options.identity);
    registerThingRoutes(app, options.identity);
    registerThingTypeRoutes(app, options.identity);
    registerBillingGroupRoutes(app, options.identity);
    registerEventConfigurationRoutes(app, options.identity);
    if (options.connectivity !== undefined) registerThingConnectivityRoutes(app, { identity: options.identity.store, connectivity: options.connectivity });
  }
  if (shadows !== undefined) registerShadowRoutes(app, { shadows, logger, ...(options.identity === undefined ? {} : { audit: options.identity }) });

  await app.ready();
  return app;
}
