/**
 * `GET /v1/tenants/{tenant}/things/{thing}/connectivity`: whether a thing is connected, since when and
 * why it last disconnected, in the body of AWS's GetThingConnectivityData.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { DISCONNECT_REASONS } from '../../broker/index.js';
import { GatehouseError } from '../../core/index.js';
import type { ConnectivityStore, IdentityStore } from '../../store/index.js';
import { TenantName } from '../identity/identity-schemas.js';
import { commonErrors, StringEnum } from '../schemas.js';

/** AWS's thing name pattern (GetThingConnectivityData). */
const ThingName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9:_-]+$', description: 'Thing name (AWS pattern)' });
const ConnectivityParams = Type.Object({ tenant: TenantName, thing: ThingName });
type ConnectivityParams = Static<typeof ConnectivityParams>;

const ConnectivityJson = Type.Object(
  {
    thingName: Type.String(),
    connected: Type.Boolean({ description: 'Whether a client of the thing is connected now' }),
    timestamp: Type.Optional(Type.Integer({ description: 'Epoch ms of the last connect or disconnect; absent when the thing never connected' })),
    disconnectReason: Type.Optional(StringEnum(DISCONNECT_REASONS, { description: "AWS's reason of the last disconnect (kept while connected again)" })),
  },
  { description: "AWS's GetThingConnectivityData body" },
);

/**
 * @example
 * registerThingConnectivityRoutes(app, { identity, connectivity });
 * // GET /v1/tenants/acme/things/agent-7/connectivity → {"thingName":"agent-7","connected":true,"timestamp":1764000000000}
 */
export function registerThingConnectivityRoutes(app: FastifyInstance, stores: { readonly identity: Pick<IdentityStore, 'getThing'>; readonly connectivity: ConnectivityStore }): void {
  app.get<{ Params: ConnectivityParams }>('/v1/tenants/:tenant/things/:thing/connectivity', {
    schema: {
      tags: ['registry'],
      summary: "A thing's connectivity: connected, since when, and the reason of its last disconnect (AWS GetThingConnectivityData)",
      params: ConnectivityParams,
      response: { 200: ConnectivityJson, ...commonErrors },
    },
  }, async (request) => {
    const { tenant, thing } = request.params;
    if ((await stores.identity.getThing(tenant, thing)) === undefined) throw new GatehouseError('NOT_FOUND', { what: 'Thing', id: thing, tenant });
    const record = await stores.connectivity.getConnectivity(tenant, thing);
    if (record === undefined) return { thingName: thing, connected: false };
    return {
      thingName: thing,
      connected: record.connected,
      timestamp: record.timestamp,
      ...(record.disconnectReason === undefined ? {} : { disconnectReason: record.disconnectReason }),
    };
  });
}
