/** `POST /v1/test-authorization`: what a principal's policies decide for one action on one resource, and which statement decided. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { allPolicyActions } from '../../auth/index.js';
import { PolicyResolver, testAuthorization } from '../../services/index.js';
import { TenantName } from '../identity/identity-schemas.js';
import type { IdentityServices } from '../identity/identity-services.js';
import { commonErrors, StringEnum } from '../schemas.js';

const principalKinds = ['certificate', 'sigv4', 'token', 'password', 'anonymous', 'service'] as const;
const decisions = ['ALLOW', 'EXPLICIT_DENY', 'IMPLICIT_DENY'] as const;

export const TestAuthorizationBody = Type.Object(
  {
    tenant: TenantName,
    principal: Type.Object(
      {
        certificateId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: "The certificate's id; its policies, and its thing's groups' when clientId is the thing's name, apply" })),
        thingName: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'The thing, for principals without a certificate (a certificate names its own thing)' })),
        clientId: Type.String({ maxLength: 65535, description: 'The MQTT client id (`iot:ClientId`)' }),
        sourceIp: Type.Optional(Type.String({ description: '`aws:SourceIp`; absent when not given' })),
        kind: Type.Optional(StringEnum(principalKinds, { description: 'Default: certificate with a certificateId, else token (tenant policies only)' })),
      },
      { additionalProperties: false },
    ),
    action: StringEnum(allPolicyActions as readonly (typeof allPolicyActions)[number][], { description: 'The IoT action, e.g. iot:Publish' }),
    resource: Type.String({ minLength: 1, description: 'As policies name it (`topic/a/b`, `topicfilter/a/#`, `client/agent-7`) or as an ARN whose account is the tenant' }),
    context: Type.Optional(Type.Object(
      {
        lastWillTopic: Type.Optional(Type.String({ description: '`iot:LastWillTopic` (iot:Connect)' })),
        connectAttributes: Type.Optional(Type.Array(Type.String(), { description: '`iot:ConnectAttributes`: PersistentConnect, LastWill' })),
        currentTime: Type.Optional(Type.String({ description: 'ISO 8601 time for `aws:CurrentTime` and `aws:EpochTime`; default now' })),
      },
      { additionalProperties: false },
    )),
  },
  { additionalProperties: false, description: "AWS TestAuthorization in spirit: one principal, one action, one resource" },
);
export type TestAuthorizationBody = Static<typeof TestAuthorizationBody>;

const TestAuthorizationAnswer = Type.Object({
  decision: StringEnum(decisions),
  decidedBy: Type.Optional(Type.Object({
    policy: Type.String(),
    version: Type.Integer({ description: "The policy's default version that was evaluated" }),
    statementIndex: Type.Integer({ description: "Index in the policy's Statement list" }),
    effect: StringEnum(['Allow', 'Deny'] as const),
  }, { description: 'The statement that decided; absent for IMPLICIT_DENY' })),
  policies: Type.Array(Type.String(), { description: 'The policies that apply to the principal, by name' }),
  resource: Type.String({ description: 'The resource as policies name it' }),
  explanation: Type.String({ description: 'The decision in words, as the denial log writes it' }),
});

/**
 * Mounts the route. Given the live authorizer's resolver it decides exactly as connections are
 * decided (same `auth.anonymousPolicies` and `auth.unattachedPolicy`); without one it makes its own
 * with the default settings.
 *
 * @example
 * registerTestAuthorizationRoutes(app, identityServices);
 * // curl -X POST .../v1/test-authorization -d '{"tenant":"acme","principal":{"certificateId":"…","clientId":"agent-7"},"action":"iot:Publish","resource":"topic/customer-1/agent-7/status"}'
 */
export function registerTestAuthorizationRoutes(app: FastifyInstance, services: IdentityServices, resolver: PolicyResolver = new PolicyResolver({ identity: services.store })): void {
  app.post<{ Body: TestAuthorizationBody }>('/v1/test-authorization', {
    schema: {
      tags: ['policies'],
      summary: "Decide an action on a resource with a principal's policies and name the statement that decided",
      body: TestAuthorizationBody,
      response: { 200: TestAuthorizationAnswer, ...commonErrors },
    },
  }, async (request) => testAuthorization({ resolver, identity: services.store }, request.body));
}
