/** `/v1/tenants/{tenant}/provisioning-templates`: the AWS-style templates things are provisioned from. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/index.js';
import { validateTemplate } from '../../services/index.js';
import type { ProvisioningTemplateBody, ProvisioningTemplateRecord } from '../../store/index.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { TemplateJson, TemplatePutBody, TemplateTenantParams, TenantTemplateParams } from '../identity/template-schemas.js';
import { commonErrors } from '../schemas.js';

export function registerProvisioningTemplateRoutes(app: FastifyInstance, services: IdentityServices): void {
  const now = (): number => (services.now?.() ?? new Date()).getTime();

  app.get<{ Params: TemplateTenantParams }>('/v1/tenants/:tenant/provisioning-templates', {
    schema: {
      tags: ['identity'],
      summary: "List a tenant's provisioning templates, ordered by name",
      params: TemplateTenantParams,
      response: { 200: Type.Object({ items: Type.Array(TemplateJson) }), ...commonErrors },
    },
  }, async (request) => ({ items: (await services.store.listTemplates(request.params.tenant)).map(templateJson) }));

  app.get<{ Params: TenantTemplateParams }>('/v1/tenants/:tenant/provisioning-templates/:name', {
    schema: {
      tags: ['identity'],
      summary: 'Show one provisioning template',
      params: TenantTemplateParams,
      response: { 200: TemplateJson, ...commonErrors },
    },
  }, async (request) => {
    const { tenant, name } = request.params;
    const record = await services.store.getTemplate(tenant, name);
    if (record === undefined) throw notFound(tenant, name);
    return templateJson(record);
  });

  app.put<{ Params: TenantTemplateParams; Body: TemplatePutBody }>('/v1/tenants/:tenant/provisioning-templates/:name', {
    schema: {
      tags: ['identity'],
      summary: 'Create or replace a provisioning template; a template with problems is refused with all of them listed',
      params: TenantTemplateParams,
      body: TemplatePutBody,
      response: { 200: TemplateJson, 201: TemplateJson, ...commonErrors },
    },
  }, async (request, reply) => {
    const { tenant, name } = request.params;
    const body = templateBody(request.body.templateBody);
    const problems = validateTemplate(body);
    if (problems.length > 0) throw new GatehouseError('TEMPLATE_INVALID', { reason: `${problems.length === 1 ? '1 problem' : `${problems.length} problems`}: ${problems.join('; ')}` });
    const at = now();
    const existing = await services.store.getTemplate(tenant, name);
    const hook = request.body.preProvisioningHook;
    const record: ProvisioningTemplateRecord = {
      tenant,
      name,
      body,
      enabled: request.body.enabled ?? true,
      ...(hook === undefined ? {} : { preProvisioningHook: { url: hook.url, ...(hook.payloadVersion === undefined ? {} : { payloadVersion: hook.payloadVersion }) } }),
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
    };
    await services.store.putTemplate(record);
    return reply.code(existing === undefined ? 201 : 200).send(templateJson(record));
  });

  app.delete<{ Params: TenantTemplateParams }>('/v1/tenants/:tenant/provisioning-templates/:name', {
    schema: {
      tags: ['identity'],
      summary: 'Delete a provisioning template; things it made stay, and CAs or tokens that name it provision nothing until it is back',
      params: TenantTemplateParams,
      response: { 204: Type.Null(), ...commonErrors },
    },
  }, async (request, reply) => {
    const { tenant, name } = request.params;
    if (!(await services.store.deleteTemplate(tenant, name))) throw notFound(tenant, name);
    return reply.code(204).send();
  });
}

/** The body as an object: AWS's `templateBody` is JSON text, and objects are taken as they are. */
function templateBody(value: TemplatePutBody['templateBody']): ProvisioningTemplateBody {
  if (typeof value !== 'string') return value as ProvisioningTemplateBody;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new GatehouseError('TEMPLATE_INVALID', { reason: `templateBody is not JSON (${error instanceof Error ? error.message : String(error)})` });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GatehouseError('TEMPLATE_INVALID', { reason: 'templateBody is not a JSON object' });
  return parsed as ProvisioningTemplateBody;
}

function notFound(tenant: string, name: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Provisioning template', id: name, tenant });
}

function templateJson(record: ProvisioningTemplateRecord): unknown {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const { body, ...rest } = record;
  return { ...rest, templateBody: body, createdAt: iso(record.createdAt), updatedAt: iso(record.updatedAt) };
}
