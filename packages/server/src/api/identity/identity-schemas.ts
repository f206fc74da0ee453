/** TypeBox schemas of the identity routes: registration tokens, certificates and `/v1/register`. */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../schemas.js';

/** AWS IoT's thing-name pattern; the name becomes the certificate's CN. */
export const ThingName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9:_-]+$', description: 'Thing name (AWS pattern)' });
export const TenantName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', description: 'Tenant; `identity.defaultTenant` when absent' });

export const TokenRequest = Type.Object(
  {
    tenant: Type.Optional(TenantName),
    thing: ThingName,
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600, description: 'Lifetime; `identity.tokenTtlSeconds` when absent' })),
    attributes: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Thing attributes for provisioning' })),
    groups: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    template: Type.Optional(Type.String({ minLength: 1, description: 'Provisioning template name' })),
  },
  { additionalProperties: false, description: 'A single-use registration token to mint' },
);
export type TokenRequest = Static<typeof TokenRequest>;

export const MintedToken = Type.Object(
  {
    token: Type.String({ description: 'Compact JWS; a bearer secret for one registration' }),
    jti: Type.String(),
    tenant: Type.String(),
    thing: Type.String(),
    expiresAt: Type.String({ format: 'date-time' }),
    endpoint: Type.String({ description: 'Where the agent trades it: the agent-facing `POST /v1/register` URL' }),
  },
  { description: 'A minted registration token' },
);

export const certificateStatuses = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_ACTIVATION'] as const;

export const CertificateJson = Type.Object(
  {
    id: Type.String({ description: 'SHA-256 fingerprint of the DER, lower-case hex' }),
    tenant: Type.String(),
    thing: Type.Optional(Type.String()),
    status: StringEnum(certificateStatuses),
    certificatePem: Type.String(),
    caId: Type.String(),
    serialNumber: Type.String(),
    subject: Type.String(),
    notBefore: Type.String({ format: 'date-time' }),
    notAfter: Type.String({ format: 'date-time' }),
    issuedBy: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { description: 'A device certificate in the registry' },
);

export const CertificateListQuery = Type.Object({
  tenant: Type.Optional(TenantName),
  thing: Type.Optional(Type.String({ minLength: 1 })),
  status: Type.Optional(StringEnum(certificateStatuses)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String()),
});
export type CertificateListQuery = Static<typeof CertificateListQuery>;

export const CertificateIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'Certificate id' }) });
export type CertificateIdParams = Static<typeof CertificateIdParams>;

export const RegisterRequest = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 8192 }),
    csr: Type.String({ minLength: 1, maxLength: 32768, description: 'PKCS#10 request, PEM' }),
    tenant: Type.Optional(TenantName),
  },
  { additionalProperties: false, description: 'A registration token and the CSR to trade it for' },
);
export type RegisterRequest = Static<typeof RegisterRequest>;

export const Registered = Type.Object({
  certificateId: Type.String(),
  certificatePem: Type.String({ description: 'The certificate alone, PEM; certificateId is its SHA-256' }),
  certificateChainPem: Type.String({ description: 'The certificate then the intermediate CA that signed it (pki.intermediate), PEM; the certificate alone when the root signs' }),
  caCertificatePem: Type.String({ description: 'The root CA, PEM: trust it for the server, as it signs the server certificate' }),
  endpoints: Type.Object({ mqtts: Type.Optional(Type.String()), wss: Type.Optional(Type.String()) }),
  thingName: Type.String(),
  tenant: Type.String(),
  deviceConfiguration: Type.Record(Type.String(), Type.String(), { description: "The provisioning template's DeviceConfiguration; empty without a template" }),
});
export type Registered = Static<typeof Registered>;
