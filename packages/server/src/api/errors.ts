/**
 * The admin API's one error path: every failure leaves as `{ code, message }` with the status of
 * its catalogue entry (core/errors.ts), and nothing internal leaks into a 500.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, type Logger } from '../core/index.js';
import type { ErrorBody } from './schemas.js';

/** Installs the error and not-found handlers on the root instance. */
export function installErrorHandlers(app: FastifyInstance, options: { logger: Logger; bodyLimit: number }): void {
  const { logger, bodyLimit } = options;
  app.setErrorHandler((error: FastifyError | GatehouseError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const answer = isFastifyError(error) && error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      ? asAnswer(new GatehouseError('PAYLOAD_TOO_LARGE', { size: request.headers['content-length'] ?? 'unknown', limit: bodyLimit }))
      : toErrorAnswer(error);
    if (answer.status >= 500) {
      logger.error({ err: error, method: request.method, route: request.routeOptions.url }, 'Admin API request failed');
    }
    return reply.code(answer.status).type('application/json').send(answer.body);
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const error = new GatehouseError('NOT_FOUND', { what: 'Route', id: `${request.method} ${pathOf(request.url)}` });
    return reply.code(404).send({ code: error.code, message: error.message } satisfies ErrorBody);
  });
}

/** Maps any thrown value to the status and body the client sees. */
export function toErrorAnswer(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof GatehouseError) return { status: error.status, body: { code: error.code, message: error.message } };
  if (isFastifyError(error)) {
    if (error.validation !== undefined) {
      return badRequest(validationReason(error));
    }
    // Fastify's own 4xx (bad JSON, wrong content type, empty body) describe the client's mistake.
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return { ...badRequest(error.message), status: error.statusCode === 415 ? 415 : 400 };
    }
  }
  return asAnswer(new GatehouseError('INTERNAL'));
}

function asAnswer(error: GatehouseError): { status: number; body: ErrorBody } {
  return { status: error.status, body: { code: error.code, message: error.message } };
}

function badRequest(reason: string): { status: number; body: ErrorBody } {
  return asAnswer(new GatehouseError('BAD_REQUEST', { reason }));
}

/** "body.qos must be equal to one of the allowed values": names the part and field that failed. */
function validationReason(error: FastifyError): string {
  const first = error.validation?.[0];
  if (first === undefined) return error.message;
  const params = first.params as { missingProperty?: string; additionalProperty?: string };
  const part = error.validationContext ?? 'request';
  const at = (field: string) => `${part}${field}`.replace(/\//g, '.');
  if (first.keyword === 'required' && params.missingProperty !== undefined) return `${at(`${first.instancePath}/${params.missingProperty}`)} is required`;
  if (first.keyword === 'additionalProperties' && params.additionalProperty !== undefined) {
    return `${at(`${first.instancePath}/${params.additionalProperty}`)} is not a known field`;
  }
  return `${at(first.instancePath)} ${first.message ?? 'is invalid'}`;
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && ('statusCode' in error || 'validation' in error || 'code' in error);
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
