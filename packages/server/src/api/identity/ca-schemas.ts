/** TypeBox schemas of the CA routes (`/v1/cas`) and of certificate status changes and registration. */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../schemas.js';
import { CertificateJson, TenantName, ThingName } from './identity-schemas.js';

const Pem = (what: string) => Type.String({ minLength: 1, maxLength: 65536, description: `${what}, PEM` });

export const TenantQuery = Type.Object({ tenant: Type.Optional(TenantName) }, { additionalProperties: false });
export type TenantQuery = Static<typeof TenantQuery>;

export const CaIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'CA id: SHA-256 fingerprint of its certificate' }) });
export type CaIdParams = Static<typeof CaIdParams>;

export const CaJson = Type.Object(
  {
    id: Type.String({ description: 'SHA-256 fingerprint of the DER, lower-case hex' }),
    tenant: Type.String(),
    kind: StringEnum(['gatehouse', 'customer'] as const, { description: "`gatehouse`: Gatehouse's own CA (it holds the key); `customer`: uploaded, key held by the customer" }),
    status: StringEnum(['ACTIVE', 'INACTIVE'] as const),
    autoRegistration: Type.Boolean({ description: 'Unknown certificates it signed are registered on first connect (JITP)' }),
    provisioningTemplate: Type.Optional(Type.String()),
    subject: Type.String(),
    notAfter: Type.String({ format: 'date-time' }),
    createdAt: Type.String({ format: 'date-time' }),
    certificatePem: Type.String(),
  },
  { description: 'A CA certificate registered with a tenant' },
);

export const CaList = Type.Object({ items: Type.Array(CaJson) });

export const RegistrationCodeJson = Type.Object(
  {
    tenant: Type.String(),
    registrationCode: Type.String({ description: 'Put it as the CN of a verification certificate that the CA signs' }),
  },
  { description: "The tenant's CA registration code (AWS GetRegistrationCode)" },
);

export const CaRegistrationRequest = Type.Object(
  {
    caCertificatePem: Pem('The CA certificate'),
    verificationCertificatePem: Pem('A certificate the CA signed whose CN is the registration code'),
    tenant: Type.Optional(TenantName),
    autoRegistration: Type.Optional(Type.Boolean({ default: false, description: 'Register unknown certificates it signed on first connect (JITP)' })),
    provisioningTemplate: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "The tenant's provisioning template JITP applies" })),
  },
  { additionalProperties: false, description: 'A customer CA with proof that its owner holds the key (AWS RegisterCACertificate)' },
);
export type CaRegistrationRequest = Static<typeof CaRegistrationRequest>;

export const CaStatusChangeJson = Type.Object({
  ca: CaJson,
  disconnected: Type.Integer({ description: 'Live connections closed on this node' }),
});

export const CrlQuery = Type.Object(
  {
    tenant: Type.Optional(TenantName),
    format: Type.Optional(StringEnum(['der', 'pem'] as const, { default: 'der', description: '`der` (application/pkix-crl) or `pem`' })),
  },
  { additionalProperties: false },
);
export type CrlQuery = Static<typeof CrlQuery>;

export const CertificateStatusChangeJson = Type.Object({
  certificate: CertificateJson,
  disconnected: Type.Integer({ description: 'Live connections closed on this node' }),
});

export const CertificateRegistrationRequest = Type.Object(
  {
    certificatePem: Pem('The device certificate, signed by a CA registered for the tenant'),
    tenant: Type.Optional(TenantName),
    thing: Type.Optional(ThingName),
    status: Type.Optional(StringEnum(['ACTIVE', 'INACTIVE'] as const, { default: 'ACTIVE' })),
  },
  { additionalProperties: false, description: 'A device certificate to register (AWS RegisterCertificate); only the certificate, never its key' },
);
export type CertificateRegistrationRequest = Static<typeof CertificateRegistrationRequest>;
