/**
 * Registry changes reach live connections: a thing's attributes, its groups, the group tree and a
 * certificate's thing, each through the store's change feed, resolved afresh only for the connections
 * they concern. The real MemoryIdentityStore, `parentGroup` read from it as app/serve.ts wires it.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Principal } from '../../auth/index.js';
import type { ConnectionPolicy } from '../../broker/index.js';
import { silentLogger, type PeerInfo } from '../../core/index.js';
import { MemoryIdentityStore, type IdentityStore, type ThingRecord } from '../../store/index.js';
import { holdNextRead, interceptStore, opensslCertificate, policyText, registerCertificate, thingRecord } from './authorization-fixtures.js';
import { createPolicyAuthorizer, type PolicyAuthorizer, type PolicyAuthorizerOptions } from './connection-policies.js';

const peer: PeerInfo = { transport: 'tls', remoteAddress: '203.0.113.9', remotePort: 50000, localPort: 8883, listener: 'mqtts' };
const started: PolicyAuthorizer[] = [];

afterEach(() => {
  for (const authorizer of started.splice(0)) authorizer.stop();
});

/** Connect as the thing; publish under `site/{its site attribute}/` (AWS's thing attribute variable). */
const sitePolicy = policyText(
  { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' },
  { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/site/${iot:Connection.Thing.Attributes[site]}/*' },
);
/** Attached to the group `sites`: publish under `fleet/{thing}/`. */
const fleetPolicy = policyText({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/fleet/${iot:Connection.Thing.ThingName}/*' });

function authorizer(identity: IdentityStore, options: Partial<PolicyAuthorizerOptions> = {}): PolicyAuthorizer {
  const created = createPolicyAuthorizer({
    identity, logger: silentLogger(), unattached: 'deny', intervalMs: 60_000,
    parentGroup: async (tenant, group) => (await identity.getThingGroup(tenant, group))?.parent,
    ...options,
  });
  started.push(created);
  return created;
}

/** acme: groups sites ← berlin with `fleet` on sites; both tenants have the policy `site`. */
async function registry(): Promise<MemoryIdentityStore> {
  const identity = new MemoryIdentityStore();
  const at = Date.now();
  await identity.putThingGroup({ tenant: 'acme', name: 'sites', createdAt: at, updatedAt: at });
  await identity.putThingGroup({ tenant: 'acme', name: 'berlin', parent: 'sites', createdAt: at, updatedAt: at });
  await identity.createPolicy('acme', 'site', sitePolicy, at);
  await identity.createPolicy('globex', 'site', sitePolicy, at);
  await identity.createPolicy('acme', 'fleet', fleetPolicy, at);
  await identity.attachPolicy('acme', 'fleet', { kind: 'thing-group', id: 'sites' });
  return identity;
}

/** A thing at site lyon in no group, with its own certificate carrying `site`, attached to the thing unless `attached: false`. */
async function agent(identity: IdentityStore, tenant: string, name: string, options: { attached?: boolean } = {}): Promise<Principal> {
  await identity.putThing(thingRecord(tenant, name, { attributes: { site: 'lyon' } }));
  const certificateId = await registerCertificate(identity, tenant, opensslCertificate(`/CN=${name}`), options.attached === false ? undefined : name);
  await identity.attachPolicy(tenant, 'site', { kind: 'certificate', id: certificateId });
  return { kind: 'certificate', tenant, certificateId, thingName: name, clientId: name, sourceIp: peer.remoteAddress, attributes: {} };
}

async function connected(policies: PolicyAuthorizer, principal: Principal): Promise<ConnectionPolicy> {
  const decision = await policies.authorize({ principal, clientId: principal.clientId, peer, cleanStart: true });
  assert.ok(decision.kind === 'allow' && decision.policy !== undefined, `${principal.clientId} connects`);
  return decision.policy;
}

/** The stored thing with `change` applied and its version bumped, written as the registry writes it. */
async function updateThing(identity: IdentityStore, tenant: string, name: string, change: (thing: ThingRecord) => Partial<ThingRecord>): Promise<void> {
  const current = (await identity.getThing(tenant, name))!;
  assert.equal(await identity.replaceThing({ ...current, ...change(current), version: current.version + 1, updatedAt: Date.now() }, current.version), true);
}

/** The identity store with its `getThing` reads counted. */
function countingThingReads(store: IdentityStore): { identity: IdentityStore; reads: string[] } {
  const reads: string[] = [];
  const identity = interceptStore(store, 'getThing', (read, [tenant, name]) => (reads.push(`${tenant}/${name}`), read()));
  return { identity, reads };
}

describe('live registry changes', () => {
  it("follows a thing's attribute: the old site is refused and the new one allowed after one refresh", async () => {
    const identity = await registry();
    const policies = authorizer(identity);
    const policy = await connected(policies, await agent(identity, 'acme', 'agent-7'));
    assert.equal(policy.mayPublish('site/lyon/status', false), true);
    assert.equal(policy.mayPublish('site/paris/status', false), false);

    await updateThing(identity, 'acme', 'agent-7', () => ({ attributes: { site: 'paris' } }));
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.generation, 2);
    assert.equal(policy.mayPublish('site/paris/status', false), true);
    assert.equal(policy.mayPublish('site/lyon/status', false), false);

    await updateThing(identity, 'acme', 'agent-7', () => ({ attributes: {} }));
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.mayPublish('site/paris/status', false), false, 'no attribute: the variable matches nothing');
  });

  it('applies an attribute change within a second without being asked', async () => {
    const identity = await registry();
    const policies = authorizer(identity, { intervalMs: 250 });
    const policy = await connected(policies, await agent(identity, 'acme', 'agent-7'));
    const changedAt = Date.now();
    await updateThing(identity, 'acme', 'agent-7', () => ({ attributes: { site: 'paris' } }));
    while (policy.generation === 1 && Date.now() - changedAt < 2000) await new Promise((resolve) => setTimeout(resolve, 10));
    const tookMs = Date.now() - changedAt;
    assert.ok(tookMs < 1000, `took ${tookMs} ms`);
    assert.equal(policy.mayPublish('site/paris/status', false), true);
  });

  it("follows the thing's groups: joining a subgroup brings its ancestor's policy, leaving takes it away", async () => {
    const identity = await registry();
    const policies = authorizer(identity);
    const policy = await connected(policies, await agent(identity, 'acme', 'agent-7'));
    assert.equal(policy.mayPublish('fleet/agent-7/status', false), false);

    assert.equal(await identity.addThingToThingGroup('acme', 'berlin', 'agent-7'), true);
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.mayPublish('fleet/agent-7/status', false), true);
    assert.match(policy.explain('iot:Publish', 'fleet/agent-7/status'), /allowed by policy "fleet" v1/);

    assert.equal(await identity.removeThingFromThingGroup('acme', 'berlin', 'agent-7'), true);
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.mayPublish('fleet/agent-7/status', false), false);
  });

  it('follows the group tree: a subgroup moved away from the ancestor loses its policy, moved back regains it, deleted loses it', async () => {
    const identity = await registry();
    const principal = await agent(identity, 'acme', 'agent-7');
    await identity.addThingToThingGroup('acme', 'berlin', 'agent-7');
    const policies = authorizer(identity);
    const policy = await connected(policies, principal);
    assert.equal(await policies.refresh(), 0, 'the set-up changes nothing');
    assert.equal(policy.mayPublish('fleet/agent-7/status', false), true);

    const at = Date.now();
    await identity.putThingGroup({ tenant: 'acme', name: 'berlin', createdAt: at, updatedAt: at });
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.mayPublish('fleet/agent-7/status', false), false, 'berlin is a root now');

    await identity.putThingGroup({ tenant: 'acme', name: 'berlin', parent: 'sites', createdAt: at, updatedAt: at });
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.mayPublish('fleet/agent-7/status', false), true);

    await identity.deleteThingGroup('acme', 'berlin');
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.mayPublish('fleet/agent-7/status', false), false);
  });

  it('follows the certificate: attached to the thing named by the client id, the thing variables fill; detached, they empty', async () => {
    const identity = await registry();
    const policies = authorizer(identity);
    const principal = await agent(identity, 'acme', 'agent-7', { attached: false });
    await identity.attachPolicy('acme', 'fleet', { kind: 'certificate', id: principal.certificateId! });
    // Connect on `fleet` alone would not do: it has no iot:Connect. A tenant policy lets any client connect.
    await identity.createPolicy('acme', 'connect', policyText({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }), Date.now());
    await identity.attachPolicy('acme', 'connect', { kind: 'tenant', id: 'acme' });
    const policy = await connected(policies, principal);
    assert.equal(policy.mayPublish('site/lyon/status', false), false, 'not attached: no thing attributes');

    await identity.setCertificateThing(principal.certificateId!, 'agent-7', Date.now());
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.mayPublish('site/lyon/status', false), true);
    assert.equal(policy.mayPublish('fleet/agent-7/status', false), true);

    await identity.setCertificateThing(principal.certificateId!, undefined, Date.now());
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.mayPublish('site/lyon/status', false), false);
  });

  it('follows a deleted thing: its attributes stop applying', async () => {
    const identity = await registry();
    const policies = authorizer(identity);
    const policy = await connected(policies, await agent(identity, 'acme', 'agent-7'));
    assert.equal(await identity.deleteThing('acme', 'agent-7'), true);
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.mayPublish('site/lyon/status', false), false);
  });

  it('resolves afresh only the connections a registry change concerns, and reloads without reading things on a policy change', async () => {
    const store = await registry();
    const { identity, reads } = countingThingReads(store);
    const policies = authorizer(identity);
    const seven = await connected(policies, await agent(store, 'acme', 'agent-7'));
    const eight = await connected(policies, await agent(store, 'acme', 'agent-8'));
    const elsewhere = await connected(policies, await agent(store, 'globex', 'agent-7'));
    assert.equal(await policies.refresh(), 0, 'the set-up changes nothing');
    reads.length = 0;

    await updateThing(store, 'acme', 'agent-8', () => ({ attributes: { site: 'paris' } }));
    assert.equal(await policies.refresh(), 1);
    assert.deepEqual(reads, ['acme/agent-8'], 'only the changed thing is read');
    assert.equal(seven.generation, 1);
    assert.equal(eight.generation, 2);

    reads.length = 0;
    await updateThing(store, 'globex', 'agent-7', () => ({ attributes: { site: 'paris' } }));
    assert.equal(await policies.refresh(), 1);
    assert.deepEqual(reads, ['globex/agent-7'], "another tenant's thing of the same name concerns only that tenant");
    assert.equal(seven.generation, 1);
    assert.equal(elsewhere.generation, 2);

    reads.length = 0;
    await store.createPolicyVersion('acme', 'site', policyText({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/any/*' }), { setAsDefault: true }, Date.now());
    assert.equal(await policies.refresh(), 2);
    assert.deepEqual(reads, [], 'a policy edit reloads with the targets kept');
  });

  it('resolves again a connection whose thing changed while it was being authorized', async () => {
    const store = await registry();
    const principal = await agent(store, 'acme', 'agent-7');
    const other = await agent(store, 'acme', 'agent-8');
    // The store itself, with a thing read held after it has read (old attributes).
    const held = holdNextRead(store, 'getThing');
    const policies = authorizer(held.identity);
    // A live connection keeps the feed read, so the set-up's entries are read here, not with the change.
    await connected(policies, other);
    await policies.refresh();
    const wasRead = held.hold();
    const decision = policies.authorize({ principal, clientId: 'agent-7', peer, cleanStart: true });
    await wasRead;
    await updateThing(store, 'acme', 'agent-7', () => ({ attributes: { site: 'paris' } }));
    await policies.refresh();
    held.release();
    const bound = await decision;
    assert.ok(bound.kind === 'allow' && bound.policy !== undefined);
    assert.equal(bound.policy.mayPublish('site/paris/status', false), true, 'the new attribute is seen before the connection is bound');
    assert.equal(bound.policy.mayPublish('site/lyon/status', false), false);
  });
});
