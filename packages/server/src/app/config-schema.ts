/**
 * The configuration schema (TypeBox, the schema library the admin API uses too) and its defaults.
 * docs/configuration.md documents every key below; keep the two in step.
 */
import { Type, type Static, type TInteger } from '@sinclair/typebox';
import { join } from 'node:path';
import { defaultFeatures, defaultLimits, type BrokerFeatures, type BrokerLimits } from '../broker/index.js';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Host = Type.String({ minLength: 1 });
const Int = (minimum: number, maximum?: number): TInteger => Type.Integer(maximum === undefined ? { minimum } : { minimum, maximum });

const strict = { additionalProperties: false } as const;

// allowAnonymous: whether a client that offers no credential at all may connect on this listener
// (as the default tenant's anonymous principal). Off on the TLS listeners that face agents.
// proxyProtocol: read a PROXY protocol (v1/v2) header from these load balancers before anything else,
// so the client's real address reaches policies, logs and presence events.
const ProxyProtocol = Type.Object(
  {
    enabled: Type.Boolean(),
    /** Addresses or CIDR blocks (IPv4 and IPv6) of the balancers; a header from anywhere else is refused. */
    trustedSources: Type.Array(Type.String({ minLength: 1 })),
    /** A trusted source must send a header; false lets it connect without one too. */
    required: Type.Boolean(),
    headerTimeoutMs: Int(100, 60_000),
  },
  strict,
);
const Listener = Type.Object({ enabled: Type.Boolean(), host: Host, port: Port, allowAnonymous: Type.Boolean(), proxyProtocol: ProxyProtocol }, strict);
const WebSocketListener = Type.Object(
  { enabled: Type.Boolean(), host: Host, port: Port, path: Type.String({ pattern: '^/' }), allowAnonymous: Type.Boolean(), proxyProtocol: ProxyProtocol },
  strict,
);
const TlsWebSocketListener = Type.Object(
  { enabled: Type.Boolean(), host: Host, port: Port, path: Type.String({ pattern: '^/' }), allowAnonymous: Type.Boolean(), requestClientCert: Type.Boolean(), proxyProtocol: ProxyProtocol },
  strict,
);
const TlsListener = Type.Object({ enabled: Type.Boolean(), host: Host, port: Port, allowAnonymous: Type.Boolean(), requestClientCert: Type.Boolean(), proxyProtocol: ProxyProtocol }, strict);
const AdminListener = Type.Object({ enabled: Type.Boolean(), host: Host, port: Port }, strict);

/** A token (custom) authorizer: JWTs verified against keys, accepted in AWS's custom-authorizer forms. */
const Authorizer = Type.Object(
  {
    name: Type.String({ pattern: '^[\\w=,@-]{1,128}$' }),
    /** PEM public key(s) or a JWKS JSON file. */
    keysFile: Type.String({ minLength: 1 }),
    /** Query parameter / header / username key that carries the token (AWS's tokenKeyName). */
    tokenKeyName: Type.String({ minLength: 1, maxLength: 128 }),
    issuer: Type.Optional(Type.String({ minLength: 1 })),
    audience: Type.Optional(Type.String({ minLength: 1 })),
    /** Claim naming the tenant; tokens without it belong to `identity.defaultTenant`. */
    tenantClaim: Type.String({ minLength: 1 }),
    /** Claim naming the thing. */
    thingClaim: Type.String({ minLength: 1 }),
  },
  strict,
);

/** Every field of BrokerLimits, with the range a value must fall in. */
const Limits = Type.Object(
  {
    // 268,435,455 is the largest length MQTT's variable byte integer can carry.
    maxPacketSize: Int(64, 268_435_455),
    receiveMaximum: Int(1, 65535),
    maxInflight: Int(1, 65535),
    maxQueuedMessages: Int(0),
    queueOverflow: Type.Union([Type.Literal('drop-oldest'), Type.Literal('drop-newest')]),
    maxSubscriptionsPerClient: Int(1),
    maxTopicLength: Int(1, 65535),
    maxTopicLevels: Int(1),
    // [MQTT-3.1.3-5] servers must allow client ids of 1 to 23 characters.
    maxClientIdLength: Int(23, 65535),
    maxConnections: Int(1),
    maxPublishRate: Int(0),
    maxKeepAlive: Int(0, 65535),
    maxSessionExpiry: Int(0, 0xffff_ffff),
    topicAliasMaximum: Int(0, 65535),
    maxWriteBuffer: Int(1024),
    slowConsumerTimeoutMs: Int(0),
    maxMessageExpiry: Int(0, 0xffff_ffff),
    maxRetainedMessages: Int(0),
  },
  strict,
);

const Features = Type.Object(
  {
    retainAvailable: Type.Boolean(),
    wildcardSubscriptionAvailable: Type.Boolean(),
    sharedSubscriptionAvailable: Type.Boolean(),
    subscriptionIdentifiersAvailable: Type.Boolean(),
    allowAnonymous: Type.Boolean(),
  },
  strict,
);

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const storeKinds = ['sqlite', 'memory', 'postgres'] as const;
export const listenerNames = ['mqtt', 'mqtts', 'ws', 'wss', 'admin'] as const;
export type ListenerName = (typeof listenerNames)[number];

export const ConfigSchema = Type.Object(
  {
    home: Type.String({ minLength: 1 }),
    log: Type.Object({ level: Type.Union(logLevels.map((level) => Type.Literal(level))) }, strict),
    store: Type.Object(
      {
        kind: Type.Union(storeKinds.map((kind) => Type.Literal(kind))),
        path: Type.String({ minLength: 1 }),
        url: Type.Optional(Type.String({ minLength: 1 })),
        schema: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
      },
      strict,
    ),
    listeners: Type.Object({ mqtt: Listener, mqtts: TlsListener, ws: WebSocketListener, wss: TlsWebSocketListener, admin: AdminListener }, strict),
    tls: Type.Object(
      { ca: Type.String({ minLength: 1 }), cert: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }), hostnames: Type.Array(Type.String({ minLength: 1 })) },
      strict,
    ),
    limits: Limits,
    features: Features,
    mqtt: Type.Object({ serverKeepAlive: Type.Optional(Int(1, 65535)) }, strict),
    identity: Type.Object(
      {
        defaultTenant: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' }),
        // 7 days is the longest lifetime mintRegistrationToken accepts.
        tokenTtlSeconds: Int(1, 7 * 24 * 3600),
        certificateDays: Int(1, 3650),
      },
      strict,
    ),
    pki: Type.Object(
      {
        keySecretFile: Type.Optional(Type.String({ minLength: 1 })),
        /** Device certificates are signed by an intermediate CA under the local root (`pki/intermediate.pem`), made on start when missing. */
        intermediate: Type.Boolean(),
      },
      strict,
    ),
    auth: Type.Object(
      {
        /** Development users: a JSON file of `{ username, passwordHash, tenant?, thing? }` (scrypt hashes). */
        passwordsFile: Type.Optional(Type.String({ minLength: 1 })),
        authorizers: Type.Array(Authorizer),
        /** The secret temporary credentials (credentials endpoint, SigV4 WebSocket) are derived from; created on first run. Every node needs the same one. */
        credentials: Type.Object({ secretFile: Type.String({ minLength: 1 }) }, strict),
        /** How often live connections' certificates are checked again (revocation reaches them within this). */
        certificateRecheckMs: Int(100, 60_000),
        /** A principal with no IoT policy attached: `tenant` (anything inside its own tenant) or `deny` (AWS IoT). */
        unattachedPolicy: Type.Union([Type.Literal('tenant'), Type.Literal('deny')]),
        /** Anonymous (loopback development) clients: `unrestricted` inside the default tenant, or bound by the tenant's policies like a token. */
        anonymousPolicies: Type.Union([Type.Literal('unrestricted'), Type.Literal('tenant-policies')]),
      },
      strict,
    ),
    shadows: Type.Object(
      {
        /** Bytes of desired + reported per shadow (metadata excluded); AWS: 8192. */
        maxDocumentBytes: Int(2, 1024 * 1024),
        /** Levels of nesting allowed in the state; AWS: 6. */
        maxDepth: Int(1, 64),
        /** Refuse updates of things not in the registry (404 `Thing not found`), as AWS does. */
        requireThing: Type.Boolean(),
        /** Shadow requests one MQTT connection may have under way; more are refused with 429 (AWS: 10). */
        maxInFlightPerClient: Int(1, 10_000),
      },
      strict,
    ),
    events: Type.Object(
      {
        /** AWS IoT's lifecycle events on `$aws/events/presence/...` and `$aws/events/subscriptions/...` in each tenant. */
        presence: Type.Boolean(),
      },
      strict,
    ),
    drain: Type.Object(
      {
        /** Where MQTT 5 clients are sent on SIGTERM (DISCONNECT 0x9C Use another server); without it they get 0x8B Server shutting down. */
        serverReference: Type.Optional(Type.String({ minLength: 1, maxLength: 65535 })),
        /** Clients disconnected per second while draining, so their reconnects do not hit the next node at once. */
        ratePerSecond: Int(1),
        /** The drain ends (every remaining client closed) after this long; a second SIGTERM ends it at once. */
        timeoutMs: Int(0),
      },
      strict,
    ),
  },
  strict,
);

/** The effective configuration: every default filled in, every path resolved. */
export type GatehouseConfig = Static<typeof ConfigSchema>;

// The schema must list exactly the broker's limits and features, with compatible types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const limitsMatch: Same<GatehouseConfig['limits'], BrokerLimits> = true;
const featuresMatch: Same<GatehouseConfig['features'], BrokerFeatures> = true;
void limitsMatch;
void featuresMatch;

/** Where Gatehouse keeps its files when nothing says otherwise. */
export const defaultHome = './.gatehouse';

/** The defaults; paths that live in the home directory follow `home`. */
export function defaultConfig(home: string): GatehouseConfig {
  return {
    home,
    log: { level: 'info' },
    store: { kind: 'sqlite', path: join(home, 'gatehouse.db') },
    listeners: {
      mqtt: { enabled: true, host: '127.0.0.1', port: 1883, allowAnonymous: true, proxyProtocol: noProxyProtocol() },
      mqtts: { enabled: true, host: '0.0.0.0', port: 8883, allowAnonymous: false, requestClientCert: true, proxyProtocol: noProxyProtocol() },
      ws: { enabled: true, host: '127.0.0.1', port: 8083, path: '/mqtt', allowAnonymous: true, proxyProtocol: noProxyProtocol() },
      wss: { enabled: true, host: '0.0.0.0', port: 8443, path: '/mqtt', allowAnonymous: false, requestClientCert: true, proxyProtocol: noProxyProtocol() },
      admin: { enabled: true, host: '127.0.0.1', port: 8080 },
    },
    tls: { ca: join(home, 'pki', 'ca.pem'), cert: join(home, 'pki', 'server.pem'), key: join(home, 'pki', 'server.key'), hostnames: [] },
    limits: { ...defaultLimits },
    features: { ...defaultFeatures },
    mqtt: {},
    identity: { defaultTenant: 'default', tokenTtlSeconds: 900, certificateDays: 365 },
    pki: { intermediate: false },
    auth: { authorizers: [], credentials: { secretFile: join(home, 'credentials-secret') }, certificateRecheckMs: 500, unattachedPolicy: 'tenant', anonymousPolicies: 'unrestricted' },
    shadows: { maxDocumentBytes: 8192, maxDepth: 6, requireThing: true, maxInFlightPerClient: 10 },
    events: { presence: true },
    drain: { ratePerSecond: 500, timeoutMs: 30_000 },
  };
}

function noProxyProtocol(): GatehouseConfig['listeners']['mqtt']['proxyProtocol'] {
  return { enabled: false, trustedSources: [], required: true, headerTimeoutMs: 5000 };
}
