/**
 * AWS TestAuthorization in spirit: the decision the live authorizer would make for a principal, an
 * action and a resource, with the statement that made it and the policies that were consulted.
 */
import type { PolicyAction, PolicyRequestContext, Principal, PrincipalKind } from '../../auth/index.js';
import { GatehouseError } from '../../core/index.js';
import type { IdentityStore } from '../../store/index.js';
import { explainDecision, explanationText, policyResourcePrefix, type DecidingStatement, type DecisionKind } from './explain-decision.js';
import type { PolicyResolver } from './policy-resolver.js';

export interface TestAuthorizationRequest {
  readonly tenant: string;
  readonly principal: {
    readonly certificateId?: string;
    /** Used when there is no certificate (a certificate's registry record names its thing). */
    readonly thingName?: string;
    readonly clientId: string;
    readonly sourceIp?: string;
    /** Default `certificate` with a certificate id, else `token`. */
    readonly kind?: PrincipalKind;
  };
  readonly action: PolicyAction;
  /** `topic/a/b`, `client/agent-7`, ... or the full ARN (`arn:aws:iot:region:tenant:topic/a/b`). */
  readonly resource: string;
  readonly context?: {
    readonly lastWillTopic?: string;
    readonly connectAttributes?: readonly string[];
    /** ISO 8601; default now. */
    readonly currentTime?: string;
  };
}

export interface TestAuthorizationResult {
  readonly decision: DecisionKind;
  readonly decidedBy?: DecidingStatement;
  /** Names of the policies consulted, in name order. */
  readonly policies: readonly string[];
  /** The resource as policies name it. */
  readonly resource: string;
  /** The same decision in words, as the denial log writes it. */
  readonly explanation: string;
}

/** `arn:aws:iot:{region}:{account}:` (any partition), then the resource. */
const arnPattern = /^arn:[^:]+:iot:[^:]*:([^:]*):(.*)$/s;

/**
 * Decides one request. Throws BAD_REQUEST for a resource that the action is not checked on, and
 * NOT_FOUND for a certificate the tenant does not have.
 *
 * @example
 * const result = await testAuthorization({ resolver, identity }, {
 *   tenant: 'acme', principal: { certificateId, clientId: 'agent-7' }, action: 'iot:Publish', resource: 'topic/customer-1/agent-7/status',
 * });
 * result.decision; // 'ALLOW'
 */
export async function testAuthorization(
  services: { readonly resolver: PolicyResolver; readonly identity: IdentityStore }, request: TestAuthorizationRequest,
): Promise<TestAuthorizationResult> {
  const name = bareResourceName(request.tenant, request.action, request.resource);
  const given = request.principal;
  const kind = given.kind ?? (given.certificateId === undefined ? 'token' : 'certificate');
  if (given.certificateId !== undefined) {
    const certificate = await services.identity.getCertificate(given.certificateId);
    if (certificate?.tenant !== request.tenant) throw new GatehouseError('NOT_FOUND', { what: 'Certificate', id: given.certificateId });
  } else if (kind === 'certificate' || kind === 'sigv4') {
    throw new GatehouseError('BAD_REQUEST', { reason: `a ${kind} principal needs principal.certificateId` });
  }
  const principal: Principal = {
    kind, tenant: request.tenant, clientId: given.clientId, sourceIp: given.sourceIp ?? '', attributes: {},
    ...(given.certificateId === undefined ? {} : { certificateId: given.certificateId }),
    ...(given.thingName === undefined ? {} : { thingName: given.thingName }),
  };
  const now = currentTime(request.context?.currentTime);
  const resolution = await services.resolver.resolve(principal, { now });
  const context = request.context;
  const requestContext: PolicyRequestContext = {
    now,
    ...(context?.lastWillTopic === undefined ? {} : { lastWillTopic: context.lastWillTopic }),
    ...(context?.connectAttributes === undefined ? {} : { connectAttributes: context.connectAttributes }),
  };
  const explained = explainDecision(resolution, request.action, name, requestContext);
  return {
    decision: explained.decision,
    ...(explained.decidedBy === undefined ? {} : { decidedBy: explained.decidedBy }),
    policies: resolution.kind === 'policies' ? resolution.policies.map((policy) => policy.name) : [],
    resource: explained.resource,
    explanation: explanationText(explained, request.action, resolution),
  };
}

/** The name `authorize` takes: the resource without its ARN head and its type prefix. */
function bareResourceName(tenant: string, action: PolicyAction, resource: string): string {
  let rest = resource;
  const arn = arnPattern.exec(resource);
  if (arn !== null) {
    const [, account = '', after = ''] = arn;
    if (account !== tenant) throw new GatehouseError('BAD_REQUEST', { reason: `the resource's account "${account}" is not the tenant "${tenant}"` });
    rest = after;
  }
  const prefix = policyResourcePrefix(action);
  if (!rest.startsWith(prefix)) throw new GatehouseError('BAD_REQUEST', { reason: `${action} is checked on ${prefix === '' ? '*' : `${prefix}...`} resources, not "${resource}"` });
  return rest.slice(prefix.length);
}

function currentTime(text: string | undefined): number {
  if (text === undefined) return Date.now();
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new GatehouseError('BAD_REQUEST', { reason: `context.currentTime "${text}" is not an ISO 8601 time` });
  return at;
}
