import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorize } from './authorize.js';
import { bindPolicySet, type BoundPolicySet } from './bind-policy-set.js';
import { compilePolicies } from './compile-policies.js';
import { parsePolicy } from './parse-policy.js';
import type { PolicyAction } from './policy-actions.js';
import type { PolicyContext, PolicyRequestContext } from './policy-context.js';

const arn = 'arn:aws:iot:us-east-1:*';
const agent: PolicyContext = {
  tenant: 'acme', clientId: 'thing1', thingName: 'thing1', thingTypeName: 'Thing_Type_Name', isAttached: true,
  thingAttributes: { attributeName: 'attributeValue', site: 'lyon' }, sourceIp: '123.45.167.89', certificateId: 'c0ffee',
  certificate: {
    subject: { attributes: { CommonName: ['thing1.example.com'], Organization: ['Example Corp'], Country: ['US'] } },
    issuer: { attributes: { CommonName: ['Example CA'], Organization: ['Example Corp'] } },
    serialNumber: '921285cbb7a5e086',
  },
  now: Date.UTC(2025, 0, 1),
};

/** Binds AWS-shaped policies (`{ name: statements }`) to a context. */
function bind(policies: Record<string, unknown[]>, context: PolicyContext = agent): BoundPolicySet {
  const parsed = Object.entries(policies).map(([name, Statement]) => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement }), { name }));
  return bindPolicySet(compilePolicies(parsed), context);
}
const allowed = (bound: BoundPolicySet, action: PolicyAction, resource: string, request?: PolicyRequestContext): boolean =>
  authorize(bound, action, resource, request).allowed;

describe('AWS\'s publish/subscribe examples', () => {
  const bound = bind({ pubsub: [
    { Effect: 'Allow', Action: ['iot:Connect'], Resource: [`${arn}:client/clientId1`] },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: [`${arn}:topic/some/specific/topic`] },
    { Effect: 'Allow', Action: ['iot:Subscribe'], Resource: [`${arn}:topicfilter/some/specific/topic`] },
  ] });

  it('allows exactly the named client, topic and topic filter', () => {
    assert.equal(allowed(bound, 'iot:Connect', 'clientId1'), true);
    assert.equal(allowed(bound, 'iot:Connect', 'clientId2'), false);
    assert.equal(allowed(bound, 'iot:Publish', 'some/specific/topic'), true);
    assert.equal(allowed(bound, 'iot:Receive', 'some/specific/topic'), true);
    assert.equal(allowed(bound, 'iot:Publish', 'some/specific/topic/more'), false);
    assert.equal(allowed(bound, 'iot:Subscribe', 'some/specific/topic'), true);
    assert.equal(allowed(bound, 'iot:Subscribe', 'some/+/topic'), false);
  });

  it('keeps resource types apart: a topic grant is no topic-filter grant', () => {
    assert.equal(allowed(bound, 'iot:Subscribe', 'some/specific/topic') && !allowed(bound, 'iot:RetainPublish', 'some/specific/topic'), true);
    const topicOnly = bind({ p: [{ Effect: 'Allow', Action: 'iot:*', Resource: 'topic/a' }] });
    assert.equal(allowed(topicOnly, 'iot:Subscribe', 'a'), false);
    assert.equal(allowed(topicOnly, 'iot:Connect', 'a'), false);
  });
});

describe('wildcards in resources', () => {
  it('takes + and # in topicfilter resources as text: they match only the same filter', () => {
    const bound = bind({ p: [{ Effect: 'Allow', Action: 'iot:Subscribe', Resource: [`${arn}:topicfilter/sensor/+/data`, `${arn}:topicfilter/sensor/#`] }] });
    assert.equal(allowed(bound, 'iot:Subscribe', 'sensor/+/data'), true);
    assert.equal(allowed(bound, 'iot:Subscribe', 'sensor/1/data'), false);
    assert.equal(allowed(bound, 'iot:Subscribe', 'sensor/#'), true);
    assert.equal(allowed(bound, 'iot:Subscribe', 'sensor/1'), false);
  });

  it('lets * cover + and # in filters and every level of topics; ? is one character', () => {
    const bound = bind({ p: [
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${arn}:topicfilter/sensor/*` },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: `${arn}:topic/device-?/status` },
    ] });
    assert.equal(allowed(bound, 'iot:Subscribe', 'sensor/+/data'), true);
    assert.equal(allowed(bound, 'iot:Subscribe', 'sensor/#'), true);
    assert.equal(allowed(bound, 'iot:Publish', 'device-1/status'), true);
    assert.equal(allowed(bound, 'iot:Publish', 'device-12/status'), false);
  });

  it('allows everything with "*", and nothing for ListRetainedMessages without it', () => {
    assert.equal(allowed(bind({ p: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] }), 'iot:ListRetainedMessages', '*'), true);
    assert.equal(allowed(bind({ p: [{ Effect: 'Allow', Action: 'iot:*', Resource: 'topic/*' }] }), 'iot:ListRetainedMessages', '*'), false);
  });
});

describe('AWS\'s thing policy examples', () => {
  it('connects when the certificate is attached to the thing', () => {
    const statements = [{ Effect: 'Allow', Action: ['iot:Connect'], Resource: ['*'], Condition: { Bool: { 'iot:Connection.Thing.IsAttached': ['true'] } } }];
    assert.equal(allowed(bind({ p: statements }), 'iot:Connect', 'thing1'), true);
    assert.equal(allowed(bind({ p: statements }, { ...agent, isAttached: false }), 'iot:Connect', 'thing1'), false);
    assert.equal(allowed(bind({ p: statements }, { tenant: 'acme', clientId: 'x', now: 0 }), 'iot:Connect', 'x'), false);
  });

  it('publishes when the thing has the type and attribute the condition names', () => {
    const statements = [{
      Effect: 'Allow', Action: ['iot:Publish'], Resource: 'arn:aws:iot:us-east-1:*:topic/device/stats',
      Condition: {
        StringEquals: { 'iot:Connection.Thing.Attributes[attributeName]': 'attributeValue', 'iot:Connection.Thing.ThingTypeName': 'Thing_Type_Name' },
        Bool: { 'iot:Connection.Thing.IsAttached': 'true' },
      },
    }];
    assert.equal(allowed(bind({ p: statements }), 'iot:Publish', 'device/stats'), true);
    assert.equal(allowed(bind({ p: statements }, { ...agent, thingTypeName: 'other' }), 'iot:Publish', 'device/stats'), false);
    assert.equal(allowed(bind({ p: statements }, { ...agent, thingAttributes: {} }), 'iot:Publish', 'device/stats'), false);
  });

  it('publishes under a thing attribute, and nowhere when the attribute is missing', () => {
    const statements = [{ Effect: 'Allow', Action: ['iot:Publish'], Resource: `${arn}:topic/\${iot:Connection.Thing.Attributes[attributeName]}/*` }];
    assert.equal(allowed(bind({ p: statements }), 'iot:Publish', 'attributeValue/x'), true);
    assert.equal(allowed(bind({ p: statements }), 'iot:Publish', 'other/x'), false);
    assert.equal(allowed(bind({ p: statements }, { ...agent, thingAttributes: {} }), 'iot:Publish', '/x'), false);
  });
});

describe('the per-thing agent policy', () => {
  const thing = '${iot:Connection.Thing.ThingName}';
  const statements = [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: `${arn}:client/${thing}` },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: [`${arn}:topic/customer-1/${thing}/*`, `${arn}:topic/$aws/things/${thing}/shadow/*`] },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: [`${arn}:topicfilter/customer-1/${thing}/*`, `${arn}:topicfilter/$aws/things/${thing}/shadow/*`] },
    { Effect: 'Allow', Action: ['iot:GetThingShadow', 'iot:UpdateThingShadow'], Resource: [`${arn}:thing/${thing}`, `${arn}:thing/${thing}/*`] },
  ];

  it('lets each agent use its own topics, shadows and client id only', () => {
    const bound = bind({ agent: statements });
    assert.equal(allowed(bound, 'iot:Connect', 'thing1'), true);
    assert.equal(allowed(bound, 'iot:Connect', 'thing2'), false);
    assert.equal(allowed(bound, 'iot:Publish', 'customer-1/thing1/telemetry'), true);
    assert.equal(allowed(bound, 'iot:Publish', 'customer-1/thing2/telemetry'), false);
    assert.equal(allowed(bound, 'iot:Publish', 'customer-1/thing10/telemetry'), false);
    assert.equal(allowed(bound, 'iot:Subscribe', 'customer-1/thing1/#'), true);
    assert.equal(allowed(bound, 'iot:Subscribe', 'customer-1/+/commands'), false);
    assert.equal(allowed(bound, 'iot:Subscribe', '#'), false);
    assert.equal(allowed(bound, 'iot:Receive', '$aws/things/thing1/shadow/update/delta'), true);
    assert.equal(allowed(bound, 'iot:Receive', '$aws/things/thing2/shadow/update/delta'), false);
    assert.equal(allowed(bound, 'iot:UpdateThingShadow', 'thing1/config'), true);
    assert.equal(allowed(bound, 'iot:GetThingShadow', 'thing1'), true);
    assert.equal(allowed(bound, 'iot:GetThingShadow', 'thing2'), false);
  });

  it('grants nothing to a principal without a thing: the unresolved variable matches nothing', () => {
    const bound = bind({ agent: statements }, { tenant: 'acme', clientId: 'loose', now: 0 });
    assert.equal(allowed(bound, 'iot:Connect', 'loose'), false);
    assert.equal(allowed(bound, 'iot:Publish', 'customer-1//telemetry'), false);
  });
});

describe('AWS\'s certificate policy examples', () => {
  it('publishes to the certificate id or the subject common name', () => {
    const bound = bind({ p: [
      { Effect: 'Allow', Action: 'iot:Publish', Resource: [`${arn}:topic/\${iot:CertificateId}`, `${arn}:topic/\${iot:Certificate.Subject.CommonName}`] },
      { Effect: 'Allow', Action: 'iot:Connect', Resource: [`${arn}:client/client1`, `${arn}:client/client2`, `${arn}:client/client3`] },
    ] });
    assert.equal(allowed(bound, 'iot:Publish', 'c0ffee'), true);
    assert.equal(allowed(bound, 'iot:Publish', 'thing1.example.com'), true);
    assert.equal(allowed(bound, 'iot:Publish', 'thing2.example.com'), false);
    assert.equal(allowed(bound, 'iot:Connect', 'client3'), true);
  });

  it('tests subject and issuer fields in conditions', () => {
    const statements = [{
      Effect: 'Allow', Action: 'iot:Connect', Resource: '*',
      Condition: {
        'ForAllValues:StringEquals': { 'iot:Certificate.Subject.Organization.List': ['Example Corp', 'AnyCompany'] },
        StringEquals: { 'iot:Certificate.Subject.Country': 'US', 'iot:Certificate.Issuer.CommonName': 'Example CA' },
      },
    }];
    assert.equal(allowed(bind({ p: statements }), 'iot:Connect', 'thing1'), true);
    const other = { ...agent, certificate: { ...agent.certificate!, subject: { attributes: { Organization: ['Example Corp', 'Evil Inc'], Country: ['US'] } } } };
    assert.equal(allowed(bind({ p: statements }, other), 'iot:Connect', 'thing1'), false);
  });
});

describe('source IP conditions (AWS\'s basic variables example)', () => {
  const statements = [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `${arn}:topic/my/topic/\${iot:ClientId}`, Condition: { IpAddress: { 'aws:SourceIp': '123.45.167.89' } } }];
  it('allows from the named address only', () => {
    assert.equal(allowed(bind({ p: statements }), 'iot:Publish', 'my/topic/thing1'), true);
    assert.equal(allowed(bind({ p: statements }, { ...agent, sourceIp: '123.45.167.90' }), 'iot:Publish', 'my/topic/thing1'), false);
    assert.equal(allowed(bind({ p: statements }, { ...agent, sourceIp: '::ffff:123.45.167.89' }), 'iot:Publish', 'my/topic/thing1'), true);
  });

  it('denies outside a network with NotIpAddress, whatever the allows say', () => {
    const bound = (ip: string): BoundPolicySet => bind({
      allow: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }],
      fence: [{ Effect: 'Deny', Action: 'iot:*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] } } }],
    }, { ...agent, sourceIp: ip });
    assert.deepEqual(authorize(bound('203.0.113.9'), 'iot:Connect', 'thing1'), { allowed: false, decidedBy: { policy: 'fence', statementIndex: 0, effect: 'Deny' } });
    assert.deepEqual(authorize(bound('10.1.2.3'), 'iot:Connect', 'thing1'), { allowed: true, decidedBy: { policy: 'allow', statementIndex: 0, effect: 'Allow' } });
    assert.equal(allowed(bound('2001:db8::5'), 'iot:Connect', 'thing1'), true);
  });
});

describe('evaluation', () => {
  it('lets an explicit deny in any policy win over allows, and names it', () => {
    const bound = bind({
      broad: [{ Effect: 'Allow', Action: ['iot:Publish', 'iot:Subscribe'], Resource: ['topic/*', 'topicfilter/*'] }],
      narrow: [{ Sid: 'x', Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }, { Effect: 'Deny', Action: 'iot:Publish', Resource: 'topic/secret/*' }],
    });
    assert.deepEqual(authorize(bound, 'iot:Publish', 'secret/x'), { allowed: false, decidedBy: { policy: 'narrow', statementIndex: 1, effect: 'Deny' } });
    assert.deepEqual(authorize(bound, 'iot:Publish', 'public/x'), { allowed: true, decidedBy: { policy: 'broad', statementIndex: 0, effect: 'Allow' } });
    assert.deepEqual(authorize(bound, 'iot:Receive', 'public/x'), { allowed: false });
  });

  it('applies NotResource to every other resource of the action\'s type', () => {
    const bound = bind({ p: [{ Effect: 'Allow', Action: ['iot:Publish', 'iot:Subscribe'], NotResource: 'topic/admin/*' }] });
    assert.equal(allowed(bound, 'iot:Publish', 'a/b'), true);
    assert.equal(allowed(bound, 'iot:Publish', 'admin/reset'), false);
    assert.equal(allowed(bound, 'iot:Subscribe', 'admin/#'), true, 'topic/admin/* names no topic filter');
  });

  it('checks time and CONNECT conditions on every request', () => {
    const bound = bind({ p: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: 'client/thing1', Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['PersistentConnect'] } } },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: 'topic/*', Condition: { DateLessThan: { 'aws:CurrentTime': '2025-06-01T00:00:00Z' } } },
      { Effect: 'Deny', Action: 'iot:Connect', Resource: '*', Condition: { StringLike: { 'iot:LastWillTopic': 'customer-1/other/*' } } },
    ] });
    assert.equal(allowed(bound, 'iot:Connect', 'thing1', { connectAttributes: ['PersistentConnect'] }), true);
    assert.equal(allowed(bound, 'iot:Connect', 'thing1', { connectAttributes: ['PersistentConnect', 'LastWill'], lastWillTopic: 'customer-1/thing1/gone' }), false);
    assert.equal(allowed(bound, 'iot:Connect', 'thing1', { connectAttributes: ['PersistentConnect'], lastWillTopic: 'customer-1/other/gone' }), false);
    assert.equal(allowed(bound, 'iot:Publish', 'a'), true, 'the bind time is before the date');
    assert.equal(allowed(bound, 'iot:Publish', 'a', { now: Date.UTC(2025, 5, 2) }), false);
  });

  it('lets a Deny whose variable does not resolve deny nothing, as in AWS', () => {
    const statements = [
      { Effect: 'Allow', Action: 'iot:Publish', Resource: 'topic/*' },
      { Effect: 'Deny', Action: 'iot:Publish', Resource: 'topic/${iot:Connection.Thing.Attributes[blocked]}/*' },
    ];
    assert.equal(allowed(bind({ p: statements }, { ...agent, thingAttributes: { blocked: 'x' } }), 'iot:Publish', 'x/1'), false);
    assert.equal(allowed(bind({ p: statements }), 'iot:Publish', 'x/1'), true);
  });

  it('matches the ARN account against the tenant: * or its id, nothing else', () => {
    const statements = [{ Effect: 'Allow', Action: 'iot:Publish', Resource: ['arn:aws:iot:eu-west-3:acme:topic/a', 'arn:aws:iot:*:123456789012:topic/b', 'arn:aws:iot:*:ac?e:topic/c'] }];
    const bound = bind({ p: statements });
    assert.equal(allowed(bound, 'iot:Publish', 'a'), true);
    assert.equal(allowed(bound, 'iot:Publish', 'b'), false);
    assert.equal(allowed(bound, 'iot:Publish', 'c'), true);
    assert.equal(allowed(bind({ p: statements }, { ...agent, tenant: 'globex' }), 'iot:Publish', 'a'), false);
  });

  it('denies everything with no policies, and shares result objects between checks', () => {
    const none = bindPolicySet(compilePolicies([]), agent);
    assert.deepEqual(authorize(none, 'iot:Connect', 'thing1'), { allowed: false });
    const bound = bind({ p: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: 'topic/*' }] });
    assert.equal(authorize(bound, 'iot:Publish', 'a'), authorize(bound, 'iot:Publish', 'b'));
    for (const odd of ['toString', '__proto__', 'iot:Nope']) assert.deepEqual(authorize(bound, odd as PolicyAction, 'a'), { allowed: false }, odd);
  });
});
