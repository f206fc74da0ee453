/**
 * What the admin API's shadow routes and the agents' data-plane routes share: the raw request body
 * (AWS's own checks answer bad JSON, not Fastify's), AWS's error bodies and `x-amzn-ErrorType`
 * headers, and the checks of thing and shadow names.
 */
import { isValidShadowName, isValidThingName } from '@gatehouse/protocol';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { GatehouseError, type Logger } from '../../core/index.js';
import { toErrorAnswer } from '../errors.js';
import { internalFailure, payloadTooLarge, rejectionPayload, ShadowRejection, type ShadowResult, type ShadowService } from '../../services/index.js';

/**
 * Largest request body taken by the shadow routes: AWS's MQTT message limit, so a document that
 * passes over MQTT passes over HTTP too. The state itself is held to `shadows.maxDocumentBytes`.
 */
export const SHADOW_BODY_LIMIT = 128 * 1024;

/** `?pageSize=&nextToken=` of ListNamedShadowsForThing, as AWS names them. */
export const NamedShadowsQuery = Type.Object(
  {
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Names per page' })),
    nextToken: Type.Optional(Type.String({ minLength: 1, description: '`nextToken` of the previous page' })),
  },
  { additionalProperties: false },
);
export type NamedShadowsQuery = Static<typeof NamedShadowsQuery>;

/** The exception name AWS's data plane sends in `x-amzn-ErrorType` for each status; SDKs map on it. */
const errorTypes: Readonly<Record<number, string>> = {
  400: 'InvalidRequestException',
  401: 'UnauthorizedException',
  403: 'ForbiddenException',
  404: 'ResourceNotFoundException',
  405: 'MethodNotAllowedException',
  409: 'ConflictException',
  413: 'RequestEntityTooLargeException',
  415: 'UnsupportedDocumentEncodingException',
  429: 'ThrottlingException',
  500: 'InternalFailureException',
  503: 'ServiceUnavailableException',
};

/**
 * Sends a service result: 200 with the AWS document, or the AWS error body under its code as HTTP
 * status, with `x-amzn-ErrorType` as AWS's data plane does.
 *
 * @example
 * return sendShadowResult(reply, await shadows.get(tenant, thing, name));
 */
export function sendShadowResult(reply: FastifyReply, result: ShadowResult): FastifyReply {
  if (result.status !== 200) reply.header('x-amzn-ErrorType', errorTypes[result.status] ?? 'InternalFailureException');
  return reply.code(result.status).type('application/json').send(result.body);
}

/** A refusal made here (bad names, forbidden, ...) as the service would answer it. */
export function rejectionResult(rejection: ShadowRejection): ShadowResult {
  return { status: rejection.code, body: rejectionPayload(rejection, Math.floor(Date.now() / 1000)) };
}

/**
 * The thing and shadow a route names, checked against AWS's patterns; a ShadowRejection 400 when
 * either is not a valid name (AWS answers InvalidRequestException).
 *
 * @example
 * const target = shadowTarget('agent-7', request.query.name); // { thing: 'agent-7', shadow: undefined }
 */
export function shadowTarget(thing: string, name: string | undefined): { readonly thing: string; readonly shadow: string | undefined } {
  if (!isValidThingName(thing)) throw new ShadowRejection(400, 'Invalid thing name: use 1 to 128 of a-z, A-Z, 0-9, colon, underscore and hyphen');
  // `?name=` with nothing after it is the classic shadow, as AWS's SDKs send no name for it.
  if (name === undefined || name === '') return { thing, shadow: undefined };
  if (!isValidShadowName(name)) throw new ShadowRejection(400, 'Invalid shadow name: use 1 to 64 of a-z, A-Z, 0-9, $, colon, underscore and hyphen');
  return { thing, shadow: name };
}

/**
 * Registers `routes` in a scope of their own whose bodies arrive as raw Buffers of any content
 * type, up to SHADOW_BODY_LIMIT, and whose errors leave as AWS error bodies (but for Gatehouse's own
 * refusals, such as a missing admin key).
 *
 * @example
 * registerShadowScope(app, logger, (scope) => { scope.post('/things/:thing/shadow', handler); });
 */
export function registerShadowScope(app: FastifyInstance, logger: Logger, routes: (scope: FastifyInstance) => void): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: SHADOW_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.setErrorHandler((error: FastifyError | Error, request, reply) => {
      // Gatehouse's own refusals before the route (the admin key) keep Gatehouse's body.
      if (error instanceof GatehouseError) {
        const answer = toErrorAnswer(error);
        return reply.code(answer.status).type('application/json').send(answer.body);
      }
      const rejection = toRejection(error);
      if (rejection.code === 500) logger.error({ err: error, method: request.method, route: request.routeOptions.url }, 'Shadow route failed');
      return sendShadowResult(reply, rejectionResult(rejection));
    });
    routes(scope);
  });
}

function toRejection(error: FastifyError | Error): ShadowRejection {
  if (error instanceof ShadowRejection) return error;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return payloadTooLarge();
  if (fastifyError.validation !== undefined) return new ShadowRejection(400, `Invalid request: ${fastifyError.validationContext ?? 'request'}${fastifyError.validation[0]?.instancePath ?? ''} ${fastifyError.validation[0]?.message ?? 'is invalid'}`);
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) return new ShadowRejection(400, `Invalid request: ${error.message}`);
  return internalFailure();
}

/**
 * AWS's ListNamedShadowsForThing body for one page.
 *
 * @example
 * await listNamedShadowsBody(shadows, 'acme', 'agent-7', { pageSize: 2 });
 * // { results: ['config', 'firmware'], nextToken: 'firmware', timestamp: 1700000000 }
 */
export async function listNamedShadowsBody(shadows: ShadowService, tenant: string, thing: string, query: NamedShadowsQuery): Promise<{ results: readonly string[]; nextToken?: string; timestamp: number }> {
  const page = await shadows.listNamedShadows(tenant, thing, { limit: query.pageSize ?? 100, ...(query.nextToken === undefined ? {} : { cursor: query.nextToken }) });
  return { results: page.names, ...(page.nextCursor === undefined ? {} : { nextToken: page.nextCursor }), timestamp: Math.floor(Date.now() / 1000) };
}
