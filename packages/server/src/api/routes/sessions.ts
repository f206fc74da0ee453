/** `/v1/sessions`: sessions, connected or waiting for their client; list, inspect and delete them. */
import type { FastifyInstance } from 'fastify';
import type { BrokerAdmin } from '../../broker/index.js';
import { GatehouseError } from '../../core/index.js';
import { ClientIdParams, commonErrors, ListQuery, NoContent, Page, SessionInfo, TenantScopeQuery } from '../schemas.js';
import { listOptions } from './list-options.js';

export function registerSessionRoutes(app: FastifyInstance, admin: BrokerAdmin): void {
  app.get<{ Querystring: ListQuery }>('/v1/sessions', {
    schema: {
      tags: ['sessions'],
      summary: 'List sessions, sorted by client id',
      querystring: ListQuery,
      response: { 200: Page(SessionInfo), ...commonErrors },
    },
  }, async (request) => admin.listSessions(listOptions(request.query)));

  app.get<{ Params: ClientIdParams; Querystring: TenantScopeQuery }>('/v1/sessions/:clientId', {
    schema: { tags: ['sessions'], summary: 'Show one session', params: ClientIdParams, querystring: TenantScopeQuery, response: { 200: SessionInfo, ...commonErrors } },
  }, async (request) => {
    const session = admin.getSession(request.params.clientId, request.query.tenant);
    if (session === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Session', id: request.params.clientId });
    return session;
  });

  app.delete<{ Params: ClientIdParams; Querystring: TenantScopeQuery }>('/v1/sessions/:clientId', {
    schema: {
      tags: ['sessions'],
      summary: 'Delete a session with its subscriptions and queued messages, disconnecting its client first',
      params: ClientIdParams, querystring: TenantScopeQuery,
      response: { 204: NoContent, ...commonErrors },
    },
  }, async (request, reply) => {
    if (!(await admin.deleteSession(request.params.clientId, request.query.tenant))) {
      throw new GatehouseError('NOT_FOUND', { what: 'Session', id: request.params.clientId });
    }
    return reply.code(204).send();
  });
}
