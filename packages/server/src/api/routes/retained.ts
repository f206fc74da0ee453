/** `/v1/retained`: retained messages; list, read and delete them by topic. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BrokerAdmin, RetainedInfo } from '../../broker/index.js';
import { GatehouseError } from '../../core/index.js';
import { commonErrors, ListQuery, NoContent, Page, RetainedInfo as RetainedInfoSchema, TopicParams, TenantScopeQuery } from '../schemas.js';
import { listOptions } from './list-options.js';

const PREFIX = '/v1/retained/';

export function registerRetainedRoutes(app: FastifyInstance, admin: BrokerAdmin): void {
  app.get<{ Querystring: ListQuery }>('/v1/retained', {
    schema: {
      tags: ['retained'],
      summary: 'List retained messages, sorted by topic',
      querystring: ListQuery,
      response: { 200: Page(RetainedInfoSchema), ...commonErrors },
    },
  }, async (request) => {
    const page = admin.listRetained(listOptions(request.query));
    return { ...page, items: page.items.map(retainedJson) };
  });

  app.get<{ Querystring: TenantScopeQuery }>('/v1/retained/*', {
    schema: {
      tags: ['retained'],
      summary: 'Show the retained message of a topic; the topic is the rest of the path (its `/` may stay as they are)',
      params: TopicParams,
      querystring: TenantScopeQuery,
      response: { 200: RetainedInfoSchema, ...commonErrors },
    },
  }, async (request) => {
    const topic = topicOf(request);
    const message = admin.getRetained(topic, request.query.tenant);
    if (message === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Retained message', id: topic });
    return retainedJson(message);
  });

  app.delete<{ Querystring: TenantScopeQuery }>('/v1/retained/*', {
    schema: {
      tags: ['retained'],
      summary: 'Delete the retained message of a topic',
      params: TopicParams,
      querystring: TenantScopeQuery,
      response: { 204: NoContent, ...commonErrors },
    },
  }, async (request, reply) => {
    const topic = topicOf(request);
    if (!(await admin.deleteRetained(topic, request.query.tenant))) throw new GatehouseError('NOT_FOUND', { what: 'Retained message', id: topic });
    return reply.code(204).send();
  });
}

/**
 * The topic is taken from the raw path rather than the router's wildcard parameter so that both
 * `/v1/retained/a/b` and `/v1/retained/a%2Fb` mean topic `a/b`, and an encoded `%25`, `%3F` or
 * `%23` survives exactly once-decoded.
 */
function topicOf(request: FastifyRequest): string {
  const url = request.url;
  const query = url.indexOf('?');
  const encoded = (query === -1 ? url : url.slice(0, query)).slice(PREFIX.length);
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new GatehouseError('BAD_REQUEST', { reason: 'the topic in the path is not valid percent-encoding' });
  }
}

/** Correlation data is binary; JSON carries it as base64. */
function retainedJson(message: RetainedInfo): unknown {
  const correlationData = message.properties?.correlationData;
  if (correlationData === undefined) return message;
  return { ...message, properties: { ...message.properties, correlationData: correlationData.toString('base64') } };
}
