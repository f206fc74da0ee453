/** TypeBox schemas of the tenant routes and the audit log. */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../schemas.js';
import { TenantName } from './identity-schemas.js';

export const tenantStatuses = ['ACTIVE', 'SUSPENDED'] as const;

const DisplayName = Type.String({ minLength: 1, maxLength: 256, description: 'A name for people' });

export const TenantJson = Type.Object(
  {
    id: Type.String(),
    name: Type.Optional(Type.String()),
    status: StringEnum(tenantStatuses),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A tenant: what an AWS account is to AWS IoT' },
);

export const TenantCreateBody = Type.Object(
  {
    id: TenantName,
    name: Type.Optional(DisplayName),
    status: Type.Optional(StringEnum(tenantStatuses, { default: 'ACTIVE' })),
  },
  { additionalProperties: false, description: 'A tenant to create' },
);
export type TenantCreateBody = Static<typeof TenantCreateBody>;

export const TenantPatchBody = Type.Object(
  {
    name: Type.Optional(Type.Union([DisplayName, Type.Null()], { description: 'A new name; null removes it' })),
    status: Type.Optional(StringEnum(tenantStatuses)),
  },
  { additionalProperties: false, description: 'The fields to change; absent ones stay' },
);
export type TenantPatchBody = Static<typeof TenantPatchBody>;

export const TenantListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ description: '`nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);
export type TenantListQuery = Static<typeof TenantListQuery>;

export const AuditQueryString = Type.Object(
  {
    tenant: Type.Optional(TenantName),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Only entries at or after this time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ pattern: '^\\d{1,15}$', description: '`nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);
export type AuditQueryString = Static<typeof AuditQueryString>;

export const AuditEntryJson = Type.Object(
  {
    id: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    actor: Type.String({ description: '`admin-api` for the admin key' }),
    sourceIp: Type.Optional(Type.String()),
    action: Type.String({ examples: ['policy.create', 'certificate.revoke', 'tenant.delete'] }),
    tenant: Type.Optional(Type.String()),
    target: Type.String({ examples: ['policy/agent', 'certificate/3f2a...', 'tenant/acme'] }),
    details: Type.Record(Type.String(), Type.Unknown()),
  },
  { description: 'One admin change' },
);
