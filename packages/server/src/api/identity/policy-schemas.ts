/** TypeBox schemas of the policy routes: policies and their versions, attachments, and what a target has attached. */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../schemas.js';
import { TenantName } from './identity-schemas.js';

/** AWS's policy-name pattern (CreatePolicy): 1..128 of `[\w+=,.@-]`. */
export const PolicyName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\w+=,.@-]+$', description: 'Policy name (AWS pattern)' });

export const policyTargetKinds = ['certificate', 'thing-group', 'tenant'] as const;

export const TenantPolicyParams = Type.Object({ tenant: TenantName, name: PolicyName });
export type TenantPolicyParams = Static<typeof TenantPolicyParams>;

export const PolicyVersionParams = Type.Object({
  tenant: TenantName,
  name: PolicyName,
  versionId: Type.Integer({ minimum: 1, description: 'Version id, as `versions[].versionId` lists them' }),
});
export type PolicyVersionParams = Static<typeof PolicyVersionParams>;

export const PolicyTargetParams = Type.Object({
  tenant: TenantName,
  name: PolicyName,
  kind: StringEnum(policyTargetKinds, { description: 'What the policy is attached to' }),
  id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', description: 'Certificate id, thing group name, or the tenant itself' }),
});
export type PolicyTargetParams = Static<typeof PolicyTargetParams>;

export const PolicyPutBody = Type.Object(
  {
    policyDocument: Type.Union([Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.Unknown())], {
      description: 'The AWS IoT policy document: JSON text (as AWS takes it) or the JSON object itself',
    }),
    setAsDefault: Type.Optional(Type.Boolean({ description: 'For a policy that exists: make the new version the default, the one in effect (default false, as in AWS)' })),
  },
  { additionalProperties: false, description: 'A policy to create (version 1), or a new version of one that exists' },
);
export type PolicyPutBody = Static<typeof PolicyPutBody>;

const VersionSummary = Type.Object({
  versionId: Type.Integer(),
  isDefault: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const PolicyJson = Type.Object(
  {
    tenant: Type.String(),
    name: Type.String(),
    defaultVersionId: Type.Integer(),
    policyDocument: Type.String({ description: "The default version's document, as given" }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    versions: Type.Optional(Type.Array(VersionSummary, { description: 'Every version, by id (shown for one policy, not in lists)' })),
    createdVersionId: Type.Optional(Type.Integer({ description: 'The version a PUT just created' })),
  },
  { description: 'An IoT policy, as its default version reads' },
);

export const PolicyVersionJson = Type.Object(
  {
    tenant: Type.String(),
    name: Type.String(),
    versionId: Type.Integer(),
    isDefault: Type.Boolean(),
    policyDocument: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { description: 'One version of a policy' },
);

export const PolicyTargetJson = Type.Object({ kind: StringEnum(policyTargetKinds), id: Type.String() });

export const AttachedPoliciesQuery = Type.Object(
  {
    certificate: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'A certificate id' })),
    thingGroup: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'A thing group name' })),
    tenant: Type.Optional(Type.Literal('1', { description: "`1`: the policies attached to the tenant itself" })),
  },
  { additionalProperties: false, description: 'Exactly one of the three' },
);
export type AttachedPoliciesQuery = Static<typeof AttachedPoliciesQuery>;
