/** `/v1/clients`: connected MQTT clients; list, inspect and disconnect them. */
import type { FastifyInstance } from 'fastify';
import type { BrokerAdmin } from '../../broker/index.js';
import { GatehouseError } from '../../core/index.js';
import { ClientIdParams, ClientInfo, commonErrors, ListQuery, NoContent, Page, TenantScopeQuery } from '../schemas.js';
import { listOptions } from './list-options.js';

export function registerClientRoutes(app: FastifyInstance, admin: BrokerAdmin): void {
  app.get<{ Querystring: ListQuery }>('/v1/clients', {
    schema: {
      tags: ['clients'],
      summary: 'List connected clients, sorted by client id',
      querystring: ListQuery,
      response: { 200: Page(ClientInfo), ...commonErrors },
    },
  }, async (request) => admin.listClients(listOptions(request.query)));

  app.get<{ Params: ClientIdParams; Querystring: TenantScopeQuery }>('/v1/clients/:clientId', {
    schema: { tags: ['clients'], summary: 'Show one connected client', params: ClientIdParams, querystring: TenantScopeQuery, response: { 200: ClientInfo, ...commonErrors } },
  }, async (request) => {
    const client = admin.getClient(request.params.clientId, request.query.tenant);
    if (client === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Client', id: request.params.clientId });
    return client;
  });

  app.delete<{ Params: ClientIdParams; Querystring: TenantScopeQuery }>('/v1/clients/:clientId', {
    schema: {
      tags: ['clients'],
      summary: 'Disconnect a client (MQTT 5 clients get reason 0x98, Administrative action); its session stays',
      params: ClientIdParams, querystring: TenantScopeQuery,
      response: { 204: NoContent, ...commonErrors },
    },
  }, async (request, reply) => {
    if (!admin.disconnectClient(request.params.clientId, request.query.tenant)) {
      throw new GatehouseError('NOT_FOUND', { what: 'Client', id: request.params.clientId });
    }
    return reply.code(204).send();
  });
}
