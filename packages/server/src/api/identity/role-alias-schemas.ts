/** TypeBox schemas of role aliases: the admin routes and the credentials provider's answers. */
import { Type, type Static } from '@sinclair/typebox';
import { maxCredentialSeconds, minCredentialSeconds } from '../../auth/index.js';
import { TenantName } from './identity-schemas.js';

/** AWS's role-alias pattern (CreateRoleAlias): 1..128 of `[\w=,@-]`. */
export const RoleAliasName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\w=,@-]+$', description: 'Role alias (AWS pattern)' });

export const RoleAliasParams = Type.Object({ alias: RoleAliasName });
export type RoleAliasParams = Static<typeof RoleAliasParams>;

export const TenantRoleAliasParams = Type.Object({ tenant: TenantName, alias: RoleAliasName });
export type TenantRoleAliasParams = Static<typeof TenantRoleAliasParams>;

export const TenantParams = Type.Object({ tenant: TenantName });
export type TenantParams = Static<typeof TenantParams>;

export const CredentialDurationSeconds = Type.Integer({
  minimum: minCredentialSeconds,
  maximum: maxCredentialSeconds,
  description: `Lifetime of the credentials the alias hands out, ${minCredentialSeconds}..${maxCredentialSeconds} seconds (AWS's range); 3600 when absent`,
});

export const RoleAliasBody = Type.Object(
  {
    credentialDurationSeconds: Type.Optional(CredentialDurationSeconds),
    roleArn: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'Kept for AWS-shaped records; Gatehouse signs the credentials itself. Default `arn:gatehouse:iam::{tenant}:role/{alias}`' })),
  },
  { additionalProperties: false, description: 'A role alias to create or replace' },
);
export type RoleAliasBody = Static<typeof RoleAliasBody>;

export const RoleAliasJson = Type.Object(
  {
    tenant: Type.String(),
    alias: Type.String(),
    roleArn: Type.String(),
    credentialDurationSeconds: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A role alias: what `GET /role-aliases/{alias}/credentials` on the agent port trades a certificate for' },
);

/** The credentials provider's 200 body, field for field as AWS IoT answers (camelCase). */
export const CredentialsAnswer = Type.Object({
  credentials: Type.Object({
    accessKeyId: Type.String(),
    secretAccessKey: Type.String(),
    sessionToken: Type.String(),
    expiration: Type.String({ description: 'YYYY-MM-DDThh:mm:ssZ' }),
  }),
});

/** The credentials provider's error body, as AWS IoT answers (the error type is in `x-amzn-ErrorType`). */
export const CredentialsError = Type.Object({ message: Type.String() });
