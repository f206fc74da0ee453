import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { authorize } from './authorize.js';
import { bindPolicySet } from './bind-policy-set.js';
import { compilePolicies } from './compile-policies.js';
import { parsePolicy, type ParsedPolicy } from './parse-policy.js';
import type { PolicyAction } from './policy-actions.js';
import type { PolicyContext, PolicyRequestContext } from './policy-context.js';

/** Policies, principals and requests over a small alphabet, so that matches are frequent. */
interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: Record<string, Record<string, string>>;
}
interface Request {
  action: PolicyAction;
  resource: string;
  request: PolicyRequestContext;
}

const segment = fc.constantFrom('a', 'b', 't1', '+', '#', '${iot:Connection.Thing.ThingName}', '${iot:ClientId}', '*', '?', '${*}');
const nameArb = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
const resourceArb = fc.oneof(
  fc.constant('*'),
  fc.tuple(fc.constantFrom('topic', 'topicfilter', 'client', 'thing'), nameArb).map(([type, name]) => `${type}/${name}`),
  fc.tuple(fc.constantFrom('*', 'acme', 'other', 'ac*'), fc.constantFrom('topic', 'topicfilter', 'client'), nameArb)
    .map(([account, type, name]) => `arn:aws:iot:us-east-1:${account}:${type}/${name}`),
);
const conditionArb = fc.constantFrom<Statement['Condition'] | undefined>(
  undefined,
  { StringEquals: { 'iot:ClientId': 't1' } },
  { StringNotLike: { 'iot:Connection.Thing.ThingName': 't*' } },
  { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
  { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
  { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
  { DateLessThan: { 'aws:CurrentTime': '2025-06-01T00:00:00Z' } },
  { StringEqualsIfExists: { 'iot:LastWillTopic': 'will/${iot:ClientId}' } },
);
const actionArb = fc.constantFrom<PolicyAction>('iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:RetainPublish', 'iot:GetThingShadow');
const statementArb: fc.Arbitrary<Statement> = fc.record({
  Effect: fc.constantFrom<'Allow' | 'Deny'>('Allow', 'Deny'),
  Action: fc.array(fc.oneof(actionArb, fc.constantFrom('iot:*', 'iot:Publish*', 'iot:*Receive')), { minLength: 1, maxLength: 3 }),
  resources: fc.array(resourceArb, { minLength: 1, maxLength: 3 }),
  not: fc.boolean(),
  condition: conditionArb,
}).map(({ Effect, Action, resources, not, condition }) => ({
  Effect, Action, ...(not ? { NotResource: resources } : { Resource: resources }), ...(condition ? { Condition: condition } : {}),
}));
const policiesArb = fc.array(fc.array(statementArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 });
const contextArb: fc.Arbitrary<PolicyContext> = fc.record({
  tenant: fc.constant('acme'),
  clientId: fc.constantFrom('t1', 't2', '+'),
  thingName: fc.constantFrom('t1', 't2', undefined),
  sourceIp: fc.constantFrom('10.1.2.3', '203.0.113.9'),
  isAttached: fc.constantFrom(true, false, undefined),
  now: fc.constantFrom(Date.UTC(2025, 0, 1), Date.UTC(2025, 11, 1)),
}).map((context) => Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined)) as unknown as PolicyContext);
const requestArb: fc.Arbitrary<Request> = fc.record({
  action: actionArb,
  resource: fc.array(fc.constantFrom('a', 'b', 't1', 't2', '+', '#', '*'), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
  request: fc.record({ now: fc.constantFrom(Date.UTC(2025, 0, 1), Date.UTC(2025, 11, 1)), lastWillTopic: fc.constantFrom('will/t1', 'will/t2') }, { requiredKeys: [] }),
});

const parse = (policies: readonly Statement[][]): ParsedPolicy[] =>
  policies.map((Statement, i) => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement }), { name: `p${i}` }));
const decide = (policies: readonly Statement[][], context: PolicyContext, { action, resource, request }: Request): boolean =>
  authorize(bindPolicySet(compilePolicies(parse(policies)), context), action, resource, request).allowed;
/** Whether one statement applies to the request: the same statement, as the only Allow. */
const applies = (statement: Statement, context: PolicyContext, request: Request): boolean =>
  decide([[{ ...statement, Effect: 'Allow' }]], context, request);

describe('authorize, on random policies, principals and requests', () => {
  it('never allows where a matching explicit Deny exists, and allows exactly where an Allow matches otherwise', () => {
    fc.assert(fc.property(policiesArb, contextArb, requestArb, (policies, context, request) => {
      const statements = policies.flat();
      const denied = statements.some((statement) => statement.Effect === 'Deny' && applies(statement, context, request));
      const granted = statements.some((statement) => statement.Effect === 'Allow' && applies(statement, context, request));
      assert.equal(decide(policies, context, request), !denied && granted);
    }), { numRuns: 1500 });
  });

  it('names a statement that applies, with the effect that decided', () => {
    fc.assert(fc.property(policiesArb, contextArb, requestArb, (policies, context, request) => {
      const result = authorize(bindPolicySet(compilePolicies(parse(policies)), context), request.action, request.resource, request.request);
      if (result.decidedBy === undefined) return;
      const statement = policies[Number(result.decidedBy.policy.slice(1))]?.[result.decidedBy.statementIndex];
      assert.ok(statement);
      assert.equal(statement.Effect, result.decidedBy.effect);
      assert.equal(result.allowed, statement.Effect === 'Allow');
      assert.equal(applies(statement, context, request), true);
    }), { numRuns: 1000 });
  });

  it('decides the same whatever the order of policies and statements', () => {
    fc.assert(fc.property(policiesArb, contextArb, requestArb, fc.infiniteStream(fc.nat()), (policies, context, request, seeds) => {
      const shuffle = <T>(items: readonly T[]): T[] => {
        const out = [...items];
        for (let i = out.length - 1; i > 0; i--) {
          const j = (seeds.next().value as number) % (i + 1);
          [out[i], out[j]] = [out[j] as T, out[i] as T];
        }
        return out;
      };
      const reordered = shuffle(policies.map((statements) => shuffle(statements)));
      assert.equal(decide(reordered, context, request), decide(policies, context, request));
    }), { numRuns: 1000 });
  });

  it('iot:* covers every action: an Allow never grants less with iot:* in place of its actions', () => {
    fc.assert(fc.property(fc.array(statementArb, { minLength: 1, maxLength: 4 }), contextArb, requestArb, (statements, context, request) => {
      const allows = statements.map((statement) => ({ ...statement, Effect: 'Allow' as const }));
      const everything = allows.map((statement) => ({ ...statement, Action: ['iot:*'] }));
      if (decide([allows], context, request)) assert.equal(decide([everything], context, request), true);
    }), { numRuns: 1000 });
  });
});
