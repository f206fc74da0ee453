/** TypeBox schemas of the provisioning-template admin routes. */
import { Type, type Static } from '@sinclair/typebox';

/** AWS's template-name pattern (CreateProvisioningTemplate): 1..36 of `[0-9A-Za-z_-]`. */
export const TemplateName = Type.String({ minLength: 1, maxLength: 36, pattern: '^[0-9A-Za-z_-]+$', description: 'Provisioning template name (AWS pattern)' });

export const TenantTemplateParams = Type.Object({
  tenant: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', description: 'Tenant' }),
  name: TemplateName,
});
export type TenantTemplateParams = Static<typeof TenantTemplateParams>;

export const TemplateTenantParams = Type.Object({ tenant: TenantTemplateParams.properties.tenant });
export type TemplateTenantParams = Static<typeof TemplateTenantParams>;

const PreProvisioningHookJson = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, pattern: '^https?://', description: 'Webhook asked before fleet provisioning goes ahead (AWS: a Lambda ARN)' }),
    payloadVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);

export const TemplatePutBody = Type.Object(
  {
    templateBody: Type.Union([Type.Object({}, { additionalProperties: true }), Type.String({ minLength: 2, maxLength: 10240 })], {
      description: 'The AWS-style template: a JSON object, or JSON text as AWS\'s `templateBody` takes it',
    }),
    enabled: Type.Optional(Type.Boolean({ default: true, description: 'A disabled template provisions nothing' })),
    preProvisioningHook: Type.Optional(PreProvisioningHookJson),
  },
  { additionalProperties: false, description: 'A provisioning template to create or replace' },
);
export type TemplatePutBody = Static<typeof TemplatePutBody>;

export const TemplateJson = Type.Object(
  {
    tenant: Type.String(),
    name: Type.String(),
    templateBody: Type.Unknown({ description: 'The template as a JSON object' }),
    enabled: Type.Boolean(),
    preProvisioningHook: Type.Optional(PreProvisioningHookJson),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A provisioning template: what JITP, registration tokens and fleet provisioning create things from' },
);
