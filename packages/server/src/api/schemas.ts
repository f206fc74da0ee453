/**
 * TypeBox schemas of the admin API's bodies: Fastify validates requests and serializes responses
 * with them, and @fastify/swagger turns them into the OpenAPI document.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** A string that is one of `values`; rendered as a JSON `enum` so validation errors read well. */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const Qos = Type.Unsafe<0 | 1 | 2>({ type: 'integer', enum: [0, 1, 2], description: 'MQTT quality of service' });

export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'Stable error code from docs/errors.md', examples: ['NOT_FOUND'] }),
    message: Type.String({ description: 'What failed and why' }),
  },
  { description: 'Every error answer has this shape' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** Error answers a `/v1` route may give besides its own; 401 comes from the key check. */
export const commonErrors = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
} as const;

const TenantField = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', description: 'The tenant; default `identity.defaultTenant`' });

/** `?tenant=` on routes that name one client, session or retained topic. */
export const TenantScopeQuery = Type.Object({ tenant: Type.Optional(TenantField) }, { additionalProperties: false });
export type TenantScopeQuery = Static<typeof TenantScopeQuery>;

export const ListQuery = Type.Object({
  tenant: Type.Optional(TenantField),
  prefix: Type.Optional(Type.String({ description: 'Keep only items whose client id (or topic) starts with this' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Items per page' })),
  cursor: Type.Optional(Type.String({ description: '`nextCursor` of the previous page' })),
});
export type ListQuery = Static<typeof ListQuery>;

export function Page<T extends TSchema>(item: T) {
  return Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Optional(Type.String({ description: 'Pass as `cursor` for the next page; absent on the last page' })),
    },
  );
}

export const ClientIdParams = Type.Object({ clientId: Type.String({ description: 'URL-encoded MQTT client id' }) });
export type ClientIdParams = Static<typeof ClientIdParams>;

export const TopicParams = Type.Object({ '*': Type.String({ description: 'The topic name; its `/` may stay unencoded' }) });
export type TopicParams = Static<typeof TopicParams>;

const Peer = Type.Object({
  transport: StringEnum(['tcp', 'tls', 'ws', 'wss'] as const),
  remoteAddress: Type.String(),
  remotePort: Type.Integer(),
  localPort: Type.Integer(),
  listener: Type.String(),
});

export const ClientInfo = Type.Object(
  {
    clientId: Type.String(),
    protocolVersion: Type.Integer({ description: '3 and 4 are MQTT 3.1 and 3.1.1, 5 is MQTT 5.0' }),
    connectedAt: Type.String({ format: 'date-time' }),
    peer: Peer,
    keepAlive: Type.Integer({ description: 'Seconds' }),
    cleanStart: Type.Boolean(),
    sessionExpiryInterval: Type.Integer({ description: 'Seconds' }),
    username: Type.Optional(Type.String()),
    principal: Type.Optional(
      Type.Object(
        {
          kind: Type.Union(['certificate', 'sigv4', 'token', 'password', 'anonymous', 'service'].map((kind) => Type.Literal(kind))),
          tenant: Type.String(),
          thingName: Type.Optional(Type.String()),
          certificateId: Type.Optional(Type.String({ description: 'SHA-256 fingerprint of the certificate behind the credential' })),
        },
        { description: 'Who the connection authenticated as' },
      ),
    ),
    subscriptions: Type.Integer(),
    inflight: Type.Integer(),
    queued: Type.Integer(),
    messagesIn: Type.Integer(),
    messagesOut: Type.Integer(),
    bytesIn: Type.Integer(),
    bytesOut: Type.Integer(),
  },
  { description: 'A connected MQTT client' },
);

const Subscription = Type.Object({
  filter: Type.String(),
  options: Type.Object({
    qos: Qos,
    noLocal: Type.Boolean(),
    retainAsPublished: Type.Boolean(),
    retainHandling: Type.Integer(),
    subscriptionIdentifier: Type.Optional(Type.Integer()),
  }),
});

export const SessionInfo = Type.Object(
  {
    clientId: Type.String(),
    tenant: Type.Optional(Type.String()),
    connected: Type.Boolean(),
    protocolVersion: Type.Integer(),
    expiryInterval: Type.Integer({ description: 'Seconds; 4294967295 means never' }),
    disconnectedAt: Type.Optional(Type.String({ format: 'date-time' })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
    subscriptions: Type.Array(Subscription),
    queued: Type.Integer(),
    inflight: Type.Integer(),
  },
  { description: 'A session, connected or waiting for its client' },
);

/** MQTT 5 properties as JSON: binary correlation data travels as base64. */
export const MessagePropertiesJson = Type.Object({
  payloadFormatIndicator: Type.Optional(Type.Boolean()),
  contentType: Type.Optional(Type.String()),
  responseTopic: Type.Optional(Type.String()),
  correlationData: Type.Optional(Type.String({ description: 'base64' })),
  userProperties: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))),
});

export const RetainedInfo = Type.Object(
  {
    topic: Type.String(),
    qos: Qos,
    payloadSize: Type.Integer({ description: 'Bytes' }),
    payload: Type.String({ description: 'base64' }),
    storedAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
    properties: Type.Optional(MessagePropertiesJson),
  },
  { description: 'A retained message' },
);

export const PublishBody = Type.Object(
  {
    topic: Type.String({ minLength: 1, description: "Topic name (no wildcards), the tenant's own name; `$tenants/{tenant}/...` names any tenant's" }),
    tenant: Type.Optional(TenantField),
    payload: Type.Optional(Type.String({ description: 'The payload, encoded as `payloadEncoding` says; empty when absent' })),
    payloadEncoding: Type.Optional(StringEnum(['utf8', 'base64'] as const, { default: 'utf8' })),
    qos: Type.Optional(Type.Unsafe<0 | 1 | 2>({ type: 'integer', enum: [0, 1, 2], default: 0 })),
    retain: Type.Optional(Type.Boolean({ default: false })),
    contentType: Type.Optional(Type.String()),
    responseTopic: Type.Optional(Type.String({ minLength: 1 })),
    correlationData: Type.Optional(Type.String({ description: 'base64' })),
    userProperties: Type.Optional(Type.Record(Type.String(), Type.String())),
    messageExpiryInterval: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, description: 'Seconds' })),
  },
  { additionalProperties: false, description: 'A message to publish as the broker itself' },
);
export type PublishBody = Static<typeof PublishBody>;

export const PublishAccepted = Type.Object({
  topic: Type.String(),
  qos: Qos,
  retain: Type.Boolean(),
  bytes: Type.Integer({ description: 'Payload size in bytes' }),
});

export const Stats = Type.Object(
  {
    connections: Type.Integer(),
    connectionsTotal: Type.Integer(),
    sessions: Type.Integer(),
    subscriptions: Type.Integer(),
    retainedMessages: Type.Integer(),
    messagesIn: Type.Array(Type.Integer(), { description: 'Indexed by QoS' }),
    messagesOut: Type.Array(Type.Integer(), { description: 'Indexed by QoS' }),
    bytesIn: Type.Integer(),
    bytesOut: Type.Integer(),
    drops: Type.Record(Type.String(), Type.Integer()),
    disconnects: Type.Record(Type.String(), Type.Integer()),
    queuedMessages: Type.Integer(),
    inflightMessages: Type.Integer(),
    storeCommits: Type.Integer(),
    storeCommitOps: Type.Integer(),
    storeCommitSeconds: Type.Number(),
    storeCommitBuckets: Type.Object({ le: Type.Array(Type.Number()), counts: Type.Array(Type.Integer()) }),
  },
  { description: "The broker's counters since start" },
);

export const NoContent = Type.Null({ description: 'Done; no body' });
