import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorize, type Principal } from '../../auth/index.js';
import { GatehouseError } from '../../core/index.js';
import { MemoryIdentityStore } from '../../store/index.js';
import { opensslCertificate, perThingPolicy, policyText, registerCertificate, thingRecord } from './authorization-fixtures.js';
import { explainDecision, explanationText } from './explain-decision.js';
import { PolicyResolver, unattachedPolicyName, type BoundResolution, type PolicyResolution } from './policy-resolver.js';

const now = Date.now();

function certificatePrincipal(tenant: string, certificateId: string, clientId: string, thingName?: string): Principal {
  return { kind: 'certificate', tenant, certificateId, clientId, sourceIp: '203.0.113.9', attributes: {}, ...(thingName === undefined ? {} : { thingName }) };
}

function bound(resolution: PolicyResolution): BoundResolution {
  assert.equal(resolution.kind, 'policies');
  return resolution as BoundResolution;
}

/** A tenant with a certificate policy, two thing groups with one policy each, and a tenant default. */
async function fleet(): Promise<{ identity: MemoryIdentityStore; certificateId: string }> {
  const identity = new MemoryIdentityStore();
  await identity.createPolicy('acme', 'agent', perThingPolicy, now);
  await identity.createPolicy('acme', 'floor-telemetry', policyText({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/floor-1/*' }), now);
  await identity.createPolicy('acme', 'lab-deny', policyText({ Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/customer-1/*/secrets' }), now);
  await identity.createPolicy('acme', 'tenant-default', policyText({ Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topicfilter/broadcast/#' }), now);
  await identity.createPolicy('acme', 'unused', policyText({ Effect: 'Allow', Action: 'iot:*', Resource: '*' }), now);
  await identity.putThing(thingRecord('acme', 'agent-7', { thingType: 'gateway', attributes: { site: 'lyon' }, groups: ['floor-1', 'lab'] }));
  const certificateId = await registerCertificate(identity, 'acme', opensslCertificate('/C=FR/O=Acme, Inc./OU=ops/OU=field/CN=agent-7', 'DNS:agent-7.acme.example,IP:10.0.0.7'), 'agent-7');
  await identity.attachPolicy('acme', 'agent', { kind: 'certificate', id: certificateId });
  await identity.attachPolicy('acme', 'floor-telemetry', { kind: 'thing-group', id: 'floor-1' });
  await identity.attachPolicy('acme', 'lab-deny', { kind: 'thing-group', id: 'lab' });
  await identity.attachPolicy('acme', 'tenant-default', { kind: 'tenant', id: 'acme' });
  return { identity, certificateId };
}

describe('PolicyResolver', () => {
  it("collects the certificate's, its thing groups' and the tenant's policies, and says where each came from", async () => {
    const { identity, certificateId } = await fleet();
    const resolution = bound(await new PolicyResolver({ identity }).resolve(certificatePrincipal('acme', certificateId, 'agent-7', 'agent-7'), { now }));
    assert.deepEqual(resolution.policies.map((policy) => [policy.name, policy.version, policy.attachedTo.kind]), [
      ['agent', 1, 'certificate'], ['floor-telemetry', 1, 'thing-group'], ['lab-deny', 1, 'thing-group'], ['tenant-default', 1, 'tenant'],
    ]);
    const check = (action: 'iot:Publish' | 'iot:Subscribe', name: string): boolean => authorize(resolution.bound, action, name).allowed;
    assert.equal(check('iot:Publish', 'customer-1/agent-7/status'), true);
    assert.equal(check('iot:Publish', 'customer-1/agent-8/status'), false);
    assert.equal(check('iot:Publish', 'floor-1/temperature'), true);
    assert.equal(check('iot:Publish', 'customer-1/agent-7/secrets'), false, "the lab group's Deny wins over the certificate's Allow");
    assert.equal(check('iot:Subscribe', 'broadcast/#'), true);
    assert.equal(authorize(resolution.bound, 'iot:Connect', 'agent-7').allowed, true);
  });

  it('fills thing and certificate variables from the registry, and the thing only when the client id is its name', async () => {
    const { identity, certificateId } = await fleet();
    await identity.createPolicy('acme', 'by-facts', policyText(
      { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/site/${iot:Connection.Thing.Attributes[site]}/${iot:Connection.Thing.ThingTypeName}' },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/org/${iot:Certificate.Subject.Organization}/${iot:Certificate.Subject.OrganizationalUnit.1}' },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/dns/${iot:Certificate.Subject.AlternativeName.DNSName}' },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/attached', Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } },
    ), now);
    await identity.attachPolicy('acme', 'by-facts', { kind: 'certificate', id: certificateId });
    const resolver = new PolicyResolver({ identity });

    const asThing = bound(await resolver.resolve(certificatePrincipal('acme', certificateId, 'agent-7', 'agent-7'), { now }));
    assert.equal(asThing.context.thingName, 'agent-7');
    assert.equal(asThing.context.isAttached, true);
    for (const topic of ['site/lyon/gateway', 'org/Acme, Inc./field', 'dns/agent-7.acme.example', 'attached']) {
      assert.equal(authorize(asThing.bound, 'iot:Publish', topic).allowed, true, topic);
    }

    // Another client id: no thing variables, no thing group policies (AWS), certificate ones still apply.
    const other = bound(await resolver.resolve(certificatePrincipal('acme', certificateId, 'debug-shell', 'agent-7'), { now }));
    assert.equal(other.context.thingName, undefined);
    assert.equal(other.context.isAttached, false);
    assert.deepEqual(other.policies.map((policy) => policy.name), ['agent', 'by-facts', 'tenant-default']);
    assert.equal(authorize(other.bound, 'iot:Publish', 'site/lyon/gateway').allowed, false);
    assert.equal(authorize(other.bound, 'iot:Publish', 'attached').allowed, false);
    assert.equal(authorize(other.bound, 'iot:Publish', 'org/Acme, Inc./field').allowed, true);
    assert.equal(authorize(other.bound, 'iot:Connect', 'debug-shell').allowed, false);
  });

  it('compiles one set for every principal with the same policies', async () => {
    const { identity, certificateId } = await fleet();
    await identity.putThing(thingRecord('acme', 'agent-8', { groups: ['floor-1', 'lab'] }));
    const second = await registerCertificate(identity, 'acme', opensslCertificate('/CN=agent-8'), 'agent-8');
    await identity.attachPolicy('acme', 'agent', { kind: 'certificate', id: second });
    const resolver = new PolicyResolver({ identity });
    const seven = bound(await resolver.resolve(certificatePrincipal('acme', certificateId, 'agent-7'), { now }));
    const eight = bound(await resolver.resolve(certificatePrincipal('acme', second, 'agent-8'), { now }));
    assert.equal(resolver.cache.compilations, 1);
    assert.equal(seven.compiled, eight.compiled);
    assert.equal(authorize(eight.bound, 'iot:Publish', 'customer-1/agent-8/status').allowed, true);
    assert.equal(authorize(eight.bound, 'iot:Publish', 'customer-1/agent-7/status').allowed, false);
  });

  it('follows group ancestors when a parent lookup is given (issue 7)', async () => {
    const { identity, certificateId } = await fleet();
    await identity.createPolicy('acme', 'building', policyText({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/building/*' }), now);
    await identity.attachPolicy('acme', 'building', { kind: 'thing-group', id: 'building-a' });
    const parents: Record<string, string> = { 'floor-1': 'building-a', 'building-a': 'floor-1' };
    const resolver = new PolicyResolver({ identity, parentGroup: async (_tenant, group) => parents[group] });
    const resolution = bound(await resolver.resolve(certificatePrincipal('acme', certificateId, 'agent-7'), { now }));
    assert.deepEqual(resolution.facts.targets.map((target) => target.id), [certificateId, 'floor-1', 'building-a', 'lab', 'acme']);
    assert.equal(authorize(resolution.bound, 'iot:Publish', 'building/door').allowed, true);
  });

  it('gives token and password principals the tenant policies only, with their thing in the variables', async () => {
    const { identity } = await fleet();
    await identity.createPolicy('acme', 'tenant-things', policyText({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/t/${iot:Connection.Thing.ThingName}' }), now);
    await identity.attachPolicy('acme', 'tenant-things', { kind: 'tenant', id: 'acme' });
    const resolver = new PolicyResolver({ identity });
    for (const kind of ['token', 'password'] as const) {
      const resolution = bound(await resolver.resolve({ kind, tenant: 'acme', thingName: 'agent-7', clientId: 'agent-7', sourceIp: '::1', attributes: {} }, { now }));
      assert.deepEqual(resolution.policies.map((policy) => policy.name), ['tenant-default', 'tenant-things'], kind);
      assert.equal(authorize(resolution.bound, 'iot:Publish', 't/agent-7').allowed, true, kind);
      assert.equal(authorize(resolution.bound, 'iot:Publish', 'floor-1/x').allowed, false, `${kind} gets no thing group policy`);
    }
  });

  it('leaves service principals and, by default, anonymous ones unrestricted', async () => {
    const { identity } = await fleet();
    const anonymous: Principal = { kind: 'anonymous', tenant: 'acme', clientId: 'dev', sourceIp: '127.0.0.1', attributes: {} };
    assert.equal((await new PolicyResolver({ identity }).resolve(anonymous, { now })).kind, 'unrestricted');
    assert.equal((await new PolicyResolver({ identity }).resolve({ ...anonymous, kind: 'service' }, { now })).kind, 'unrestricted');
    const strict = bound(await new PolicyResolver({ identity, anonymous: 'tenant-policies' }).resolve(anonymous, { now }));
    assert.deepEqual(strict.policies.map((policy) => policy.name), ['tenant-default']);
  });

  it('ignores a certificate of another tenant', async () => {
    const { identity, certificateId } = await fleet();
    const resolution = bound(await new PolicyResolver({ identity, unattached: 'deny' }).resolve(certificatePrincipal('globex', certificateId, 'agent-7', 'agent-7'), { now }));
    assert.deepEqual(resolution.policies, []);
    assert.equal(resolution.context.certificate, undefined);
    assert.equal(authorize(resolution.bound, 'iot:Connect', 'agent-7').allowed, false);
  });

  it("gives a principal with no policy attached anywhere its whole tenant by default, and nothing with unattached 'deny' (AWS)", async () => {
    const identity = new MemoryIdentityStore();
    const certificateId = await registerCertificate(identity, 'acme', opensslCertificate('/CN=agent-7'), 'agent-7');
    const principal = certificatePrincipal('acme', certificateId, 'agent-7', 'agent-7');
    const open = bound(await new PolicyResolver({ identity }).resolve(principal, { now }));
    assert.deepEqual(open.policies.map((policy) => policy.name), [unattachedPolicyName]);
    assert.equal(authorize(open.bound, 'iot:Publish', 'anything/at/all').allowed, true);
    const closed = bound(await new PolicyResolver({ identity, unattached: 'deny' }).resolve(principal, { now }));
    assert.deepEqual(closed.policies, []);
    assert.equal(authorize(closed.bound, 'iot:Connect', 'agent-7').allowed, false);
  });

  it('refuses to resolve a stored policy the parser refuses, naming it', async () => {
    const { identity, certificateId } = await fleet();
    await identity.putPolicy({ tenant: 'acme', name: 'broken', document: '{"Statement": []}', version: 4, createdAt: now, updatedAt: now });
    await identity.attachPolicy('acme', 'broken', { kind: 'tenant', id: 'acme' });
    await assert.rejects(
      new PolicyResolver({ identity }).resolve(certificatePrincipal('acme', certificateId, 'agent-7'), { now }),
      (error: unknown) => error instanceof GatehouseError && error.code === 'POLICY_INVALID' && /policy "broken" version 4: Statement/.test(error.message),
    );
  });

  it('explains decisions by policy, version and statement, and says when nothing allows', async () => {
    const { identity, certificateId } = await fleet();
    await identity.createPolicyVersion('acme', 'lab-deny', policyText(
      { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/unrelated' },
      { Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/customer-1/*/secrets' },
    ), { setAsDefault: true }, now);
    const resolution = bound(await new PolicyResolver({ identity }).resolve(certificatePrincipal('acme', certificateId, 'agent-7', 'agent-7'), { now }));
    const denied = explainDecision(resolution, 'iot:Publish', 'customer-1/agent-7/secrets');
    assert.deepEqual(denied, { decision: 'EXPLICIT_DENY', decidedBy: { policy: 'lab-deny', version: 2, statementIndex: 1, effect: 'Deny' }, resource: 'topic/customer-1/agent-7/secrets' });
    assert.equal(explanationText(denied, 'iot:Publish', resolution), 'iot:Publish on topic/customer-1/agent-7/secrets: denied by policy "lab-deny" v2 statement 1');
    const implicit = explainDecision(resolution, 'iot:Subscribe', 'elsewhere/#');
    assert.equal(implicit.decision, 'IMPLICIT_DENY');
    assert.match(explanationText(implicit, 'iot:Subscribe', resolution), /^iot:Subscribe on topicfilter\/elsewhere\/#: no statement allows it \(policies: agent v1, /);
    // RetainPublish needs Publish too: without an iot:RetainPublish statement a retained publish is refused by nobody.
    assert.equal(explainDecision(resolution, 'iot:RetainPublish', 'customer-1/agent-7/status').decision, 'IMPLICIT_DENY');
    assert.equal(explainDecision(resolution, 'iot:RetainPublish', 'customer-1/agent-7/secrets').decidedBy?.policy, 'lab-deny');
  });
});
