/**
 * AWS IoT's shadow data plane on the agent-facing HTTPS port: `GET|POST|DELETE /things/{thing}/shadow[?name=]`
 * and `GET /api/things/shadow/ListNamedShadowsForThing/{thing}`, authenticated by the client
 * certificate (mTLS) and authorized by the certificate's IoT policies, as connections are.
 */
import type { TLSSocket } from 'node:tls';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createCertificateAuthenticator, type PolicyAction, type Principal } from '../../auth/index.js';
import type { Logger, PeerInfo } from '../../core/index.js';
import { explainDecision, explanationText, forbidden, internalFailure, unauthorized, type PolicyResolver, type ShadowService } from '../../services/index.js';
import type { IdentityStore } from '../../store/index.js';
import { listNamedShadowsBody, NamedShadowsQuery, registerShadowScope, sendShadowResult, shadowTarget } from './shadow-http.js';

export interface ShadowDataPlaneOptions {
  readonly shadows: ShadowService;
  /** Certificates and their CAs, read afresh per request: a revoked certificate is refused at once. */
  readonly identity: IdentityStore;
  /** The live authorizer's resolver, so HTTP requests are decided by the same policies as connections. */
  readonly resolver: PolicyResolver;
  readonly logger: Logger;
  /** Epoch ms; for tests. */
  readonly now?: () => number;
}

const ThingParams = Type.Object({ thing: Type.String() });
type ThingParams = Static<typeof ThingParams>;
const ShadowQuery = Type.Object({ name: Type.Optional(Type.String()) });
type ShadowQuery = Static<typeof ShadowQuery>;

/** 0x88, the reason code the certificate authenticator gives when the store cannot be read. */
const serverUnavailable = 0x88;

/**
 * Adds the data-plane routes to the agent API. The tenant is the certificate's; the policy resource
 * is `thing/{thing}` for the classic shadow and `thing/{thing}/{shadow}` for a named one (AWS's ARNs
 * `arn:aws:iot:region:account:thing/{thing}[/{shadow}]`). Policy variables that need an MQTT client
 * id (`iot:ClientId`, `iot:Connection.Thing.*`) are not set, as AWS sets none for HTTP.
 *
 * @example
 * registerShadowDataPlaneRoutes(agentApp, { shadows, identity, resolver: policies.resolver, logger });
 * // curl --cert agent.pem --key agent.key https://gatehouse.example.com:8443/things/agent-7/shadow
 */
export function registerShadowDataPlaneRoutes(app: FastifyInstance, options: ShadowDataPlaneOptions): void {
  const logger = options.logger.child({ component: 'shadow-data-plane' });
  const now = options.now ?? Date.now;
  const checkCertificate = createCertificateAuthenticator({ identity: options.identity, logger: logger.child({ component: 'auth' }), now });
  const { shadows } = options;

  /** The caller's principal, or the refusal to send: 401 without a usable certificate, 403 when its policies deny. */
  const admit = async (request: FastifyRequest, action: PolicyAction, resource: string): Promise<Principal> => {
    const der = clientCertificate(request);
    if (der === undefined) throw unauthorized();
    const peer: PeerInfo = { transport: 'wss', listener: 'wss', remoteAddress: request.socket.remoteAddress ?? '', remotePort: request.socket.remotePort ?? 0, localPort: request.socket.localPort ?? 0, clientCertificate: der };
    const decision = await checkCertificate({ clientId: '', peer });
    if (decision.kind === 'deny' && decision.reasonCode === serverUnavailable) throw internalFailure();
    if (decision.kind !== 'allow') throw unauthorized();
    const principal = decision.principal;
    const resolution = await options.resolver.resolve(principal, { now: now() });
    const explained = explainDecision(resolution, action, resource);
    if (explained.decision !== 'ALLOW') {
      logger.info({ tenant: principal.tenant, certificateId: principal.certificateId, remoteAddress: peer.remoteAddress, reason: explanationText(explained, action, resolution) }, 'Shadow request denied by policy');
      throw forbidden();
    }
    return principal;
  };

  registerShadowScope(app, logger, (scope) => {
    scope.get<{ Params: ThingParams; Querystring: ShadowQuery }>('/things/:thing/shadow', async (request, reply) => {
      const target = shadowTarget(request.params.thing, request.query.name);
      const principal = await admit(request, 'iot:GetThingShadow', shadowResource(target));
      return sendShadowResult(reply, await shadows.get(principal.tenant, target.thing, target.shadow));
    });

    scope.post<{ Params: ThingParams; Querystring: ShadowQuery; Body: Buffer }>('/things/:thing/shadow', async (request, reply) => {
      const target = shadowTarget(request.params.thing, request.query.name);
      const principal = await admit(request, 'iot:UpdateThingShadow', shadowResource(target));
      return sendShadowResult(reply, await shadows.update(principal.tenant, target.thing, target.shadow, request.body ?? Buffer.alloc(0)));
    });

    scope.delete<{ Params: ThingParams; Querystring: ShadowQuery }>('/things/:thing/shadow', async (request, reply) => {
      const target = shadowTarget(request.params.thing, request.query.name);
      const principal = await admit(request, 'iot:DeleteThingShadow', shadowResource(target));
      return sendShadowResult(reply, await shadows.delete(principal.tenant, target.thing, target.shadow));
    });

    scope.get<{ Params: ThingParams; Querystring: NamedShadowsQuery }>('/api/things/shadow/ListNamedShadowsForThing/:thing', {
      schema: { querystring: NamedShadowsQuery },
    }, async (request, reply) => {
      const { thing } = shadowTarget(request.params.thing, undefined);
      const principal = await admit(request, 'iot:ListNamedShadowsForThing', thing);
      return reply.send(await listNamedShadowsBody(shadows, principal.tenant, thing, request.query));
    });
  });
}

/** The policy resource name after `thing/`. */
function shadowResource(target: { readonly thing: string; readonly shadow: string | undefined }): string {
  return target.shadow === undefined ? target.thing : `${target.thing}/${target.shadow}`;
}

function clientCertificate(request: FastifyRequest): Buffer | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  // {} when the client sent none.
  return socket.getPeerCertificate().raw;
}
