/**
 * `GET /role-aliases/{alias}/credentials` on the agent-facing port: AWS IoT's credentials provider.
 * An agent trades its client certificate for temporary credentials, with which it presigns the
 * WebSocket URL where TLS is terminated before Gatehouse (or as the AWS SDKs do anyway).
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createCertificateAuthenticator, issueTemporaryCredentials, type CertificateDecision } from '../../auth/index.js';
import type { Logger, PeerInfo } from '../../core/index.js';
import type { IdentityServices } from './identity-services.js';
import { CredentialsAnswer, CredentialsError, RoleAliasParams } from './role-alias-schemas.js';

/** 0x88, the reason code the certificate authenticator gives when the store cannot be read. */
const serverUnavailable = 0x88;

/** A refusal as AWS words it: `{"message": ...}` and the `x-amzn-ErrorType` header. */
interface Refusal {
  readonly status: 400 | 403 | 404 | 503;
  readonly errorType: string;
  readonly message: string;
}

/**
 * Adds the credentials-provider route to the agent API. Answers exactly AWS's shapes (the CRT's
 * x509 credentials provider and AWS's own curl examples read them): 200
 * `{"credentials":{"accessKeyId","secretAccessKey","sessionToken","expiration"}}`; 403 `Certificate is
 * invalid on this endpoint` (no certificate, or one the registry does not admit), 403 `Invalid thing
 * name passed`, 404 `Role alias does not exist`, each with `x-amzn-ErrorType`. The checks run in AWS's
 * order: certificate, thing name, then alias.
 *
 * @example
 * registerCredentialsProviderRoute(app, services, logger);
 * // curl --cert agent.pem --key agent.key -H 'x-amzn-iot-thingname: agent-7' \
 * //   https://gatehouse.example.com:8443/role-aliases/agent-role/credentials
 */
export function registerCredentialsProviderRoute(app: FastifyInstance, services: IdentityServices & { readonly credentialsSecret: Buffer }, logger: Logger): void {
  const checkCertificate = createCertificateAuthenticator({ identity: services.store, logger: logger.child({ component: 'auth' }), ...(services.now === undefined ? {} : { now: () => services.now!().getTime() }) });

  app.get<{ Params: RoleAliasParams }>('/role-aliases/:alias/credentials', {
    schema: { params: RoleAliasParams, response: { 200: CredentialsAnswer, '4xx': CredentialsError, '5xx': CredentialsError } },
    // Bad params are a missing alias to AWS, not a validation error.
    attachValidation: true,
  }, async (request, reply) => {
    const der = clientCertificate(request);
    if (der === undefined) return refuse(reply, { status: 403, errorType: 'AccessDeniedException', message: 'Certificate is invalid on this endpoint: no client certificate was presented' });
    const peer: PeerInfo = { transport: 'wss', listener: 'wss', remoteAddress: request.socket.remoteAddress ?? '', remotePort: request.socket.remotePort ?? 0, localPort: request.socket.localPort ?? 0, clientCertificate: der };
    const decision: CertificateDecision = await checkCertificate({ clientId: '', peer });
    if (decision.kind === 'deny') {
      return refuse(reply, decision.reasonCode === serverUnavailable
        ? { status: 503, errorType: 'ServiceUnavailableException', message: decision.reason }
        : { status: 403, errorType: 'AccessDeniedException', message: `Certificate is invalid on this endpoint: ${decision.reason}` });
    }
    if (decision.kind !== 'allow') return refuse(reply, { status: 403, errorType: 'AccessDeniedException', message: 'Certificate is invalid on this endpoint' });
    const { tenant, thingName, certificateId } = decision.principal;

    // AWS: optional, but when sent it must name the thing the certificate is attached to.
    const claimed = request.headers['x-amzn-iot-thingname'];
    if (claimed !== undefined && claimed !== thingName) {
      return refuse(reply, { status: 403, errorType: 'AccessDeniedException', message: 'Invalid thing name passed' });
    }

    // Gap: AWS also requires the certificate's policies to allow iot:AssumeRoleWithCertificate on
    // rolealias/{alias} (else 403 "Access Denied"). Until the policy engine exists, any certificate
    // admitted above may use any role alias of its own tenant.
    const alias = request.validationError === undefined ? await services.store.getRoleAlias(tenant, request.params.alias) : undefined;
    if (alias === undefined) return refuse(reply, { status: 404, errorType: 'ResourceNotFoundException', message: 'Role alias does not exist' });

    const body = issueTemporaryCredentials({
      secret: services.credentialsSecret,
      principal: { tenant, thing: thingName ?? '', certificateId: certificateId ?? '' },
      roleAlias: alias.alias,
      ttlSeconds: alias.credentialDurationSeconds,
      now: services.now?.() ?? new Date(),
    });
    logger.info({ tenant, thing: thingName, certificateId, roleAlias: alias.alias, expiration: body.credentials.expiration }, 'Temporary credentials issued');
    return reply.code(200).send(body);
  });
}

function clientCertificate(request: FastifyRequest): Buffer | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  // {} when the client sent none.
  return socket.getPeerCertificate().raw;
}

function refuse(reply: FastifyReply, refusal: Refusal): FastifyReply {
  reply.log.info({ remoteAddress: reply.request.socket.remoteAddress, status: refusal.status, reason: refusal.message }, 'Temporary credentials refused');
  return reply.code(refusal.status).header('x-amzn-ErrorType', refusal.errorType).type('application/json').send({ message: refusal.message });
}
