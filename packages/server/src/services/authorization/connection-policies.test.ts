import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Principal } from '../../auth/index.js';
import type { AuthorizeConnectEvent, ConnectionPolicy } from '../../broker/index.js';
import { silentLogger, type Logger, type PeerInfo } from '../../core/index.js';
import { MemoryIdentityStore, type IdentityStore } from '../../store/index.js';
import { holdNextRead, opensslCertificate, perThingPolicy, policyText, registerCertificate, thingRecord } from './authorization-fixtures.js';
import { createPolicyAuthorizer, type PolicyAuthorizer } from './connection-policies.js';
import { DenialLog } from './denial-log.js';

const peer: PeerInfo = { transport: 'tls', remoteAddress: '203.0.113.9', remotePort: 50000, localPort: 8883, listener: 'mqtts' };
const started: PolicyAuthorizer[] = [];

afterEach(() => {
  for (const authorizer of started.splice(0)) authorizer.stop();
});

function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger: Logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));
  return { logger, lines };
}

function authorizer(identity: IdentityStore, options: Partial<Parameters<typeof createPolicyAuthorizer>[0]> = {}): PolicyAuthorizer {
  const created = createPolicyAuthorizer({ identity, logger: silentLogger(), ...options });
  started.push(created);
  return created;
}

function connectEvent(principal: Principal, extra: Partial<AuthorizeConnectEvent> = {}): AuthorizeConnectEvent {
  return { principal, clientId: principal.clientId, peer, cleanStart: true, ...extra };
}

async function agent(identity: IdentityStore, tenant: string, thing: string): Promise<Principal> {
  await identity.putThing(thingRecord(tenant, thing));
  const certificateId = await registerCertificate(identity, tenant, opensslCertificate(`/CN=${thing}`), thing);
  await identity.attachPolicy(tenant, 'agent', { kind: 'certificate', id: certificateId });
  return { kind: 'certificate', tenant, certificateId, thingName: thing, clientId: thing, sourceIp: peer.remoteAddress, attributes: {} };
}

async function connected(authorize: PolicyAuthorizer['authorize'], principal: Principal): Promise<ConnectionPolicy> {
  const decision = await authorize(connectEvent(principal));
  assert.equal(decision.kind, 'allow');
  assert.ok(decision.kind === 'allow' && decision.policy !== undefined);
  return decision.policy;
}

describe('createPolicyAuthorizer', () => {
  it('binds an allowed connection to checks on its own names, RetainPublish needing Publish too', async () => {
    const identity = new MemoryIdentityStore();
    await identity.createPolicy('acme', 'agent', perThingPolicy, Date.now());
    await identity.createPolicy('acme', 'retain', policyText({ Effect: 'Allow', Action: 'iot:RetainPublish', Resource: ['arn:aws:iot:*:*:topic/customer-1/*/config', 'arn:aws:iot:*:*:topic/elsewhere'] }), Date.now());
    await identity.attachPolicy('acme', 'retain', { kind: 'tenant', id: 'acme' });
    const policies = authorizer(identity);
    const policy = await connected(policies.authorize, await agent(identity, 'acme', 'agent-7'));
    assert.equal(policies.liveConnections, 1);
    assert.equal(policy.generation, 1);
    assert.equal(policy.mayPublish('customer-1/agent-7/status', false), true);
    assert.equal(policy.mayPublish('customer-1/agent-8/status', false), false);
    assert.equal(policy.mayPublish('customer-1/agent-7/status', true), false, 'no RetainPublish on status');
    assert.equal(policy.mayPublish('customer-1/agent-7/config', true), true);
    assert.equal(policy.mayPublish('elsewhere', true), false, 'RetainPublish without Publish is not enough');
    assert.equal(policy.maySubscribe('customer-1/agent-7/#'), true);
    assert.equal(policy.maySubscribe('customer-1/#'), false);
    assert.equal(policy.mayReceive('customer-1/agent-7/commands'), true);
    assert.equal(policy.mayReceive('customer-1/agent-8/commands'), false);
    assert.equal(policy.explain('iot:Publish', 'customer-1/agent-8/status'), 'iot:Publish on topic/customer-1/agent-8/status: no statement allows it (policies: agent v1, retain v1)');
    policy.release();
    assert.equal(policies.liveConnections, 0);
  });

  it('refuses iot:Connect with a reason, counts it and logs the explanation', async () => {
    const identity = new MemoryIdentityStore();
    await identity.createPolicy('acme', 'agent', perThingPolicy, Date.now());
    const denied: string[] = [];
    const { logger, lines } = capture();
    const policies = authorizer(identity, { logger, countDenial: (action) => denied.push(action) });
    const principal = await agent(identity, 'acme', 'agent-7');
    const decision = await policies.authorize(connectEvent({ ...principal, clientId: 'not-the-thing' }));
    assert.deepEqual(decision, { kind: 'deny', reason: 'Not authorized: iot:Connect on client/not-the-thing is not allowed by any policy' });
    assert.deepEqual(denied, ['iot:Connect']);
    assert.equal(policies.liveConnections, 0);
    const line = lines.find((entry) => entry['msg'] === 'not authorized');
    assert.equal(line?.['tenant'], 'acme');
    assert.equal(line?.['resource'], 'client/not-the-thing');
    assert.match(String(line?.['explanation']), /^iot:Connect on client\/not-the-thing: no statement allows it \(policies: agent v1\)$/);
  });

  it('decides iot:Connect with the will topic and connect attributes as request context', async () => {
    const identity = new MemoryIdentityStore();
    await identity.createPolicy('acme', 'agent', policyText(
      { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:ClientId}' },
      { Effect: 'Deny', Action: 'iot:Connect', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'iot:ConnectAttributes': 'PersistentConnect' } } },
      // IAM: a negated operator holds when the key is absent, so the Deny also asks for a will (Null false).
      { Effect: 'Deny', Action: 'iot:Connect', Resource: '*', Condition: { Null: { 'iot:LastWillTopic': 'false' }, StringNotLike: { 'iot:LastWillTopic': 'customer-1/${iot:ClientId}/*' } } },
    ), Date.now());
    const policies = authorizer(identity);
    const principal = await agent(identity, 'acme', 'agent-7');
    assert.equal((await policies.authorize(connectEvent(principal))).kind, 'allow');
    assert.equal((await policies.authorize(connectEvent(principal, { cleanStart: false }))).kind, 'deny');
    assert.equal((await policies.authorize(connectEvent(principal, { willTopic: 'customer-1/agent-7/gone' }))).kind, 'allow');
    assert.deepEqual(await policies.authorize(connectEvent(principal, { willTopic: 'customer-1/agent-8/gone' })), {
      kind: 'deny', reason: 'Not authorized: iot:Connect on client/agent-7 is denied by a policy',
    });
  });

  it('rebinds live connections when a policy version, an attachment or the tenant default changes, in one refresh', async () => {
    const identity = new MemoryIdentityStore();
    await identity.createPolicy('acme', 'agent', perThingPolicy, Date.now());
    await identity.createPolicy('globex', 'agent', perThingPolicy, Date.now());
    const policies = authorizer(identity, { intervalMs: 60_000 });
    const seven = await connected(policies.authorize, await agent(identity, 'acme', 'agent-7'));
    const eight = await connected(policies.authorize, await agent(identity, 'acme', 'agent-8'));
    const other = await connected(policies.authorize, await agent(identity, 'globex', 'agent-7'));
    assert.equal(await policies.refresh(), 0);

    // A new default version that takes Publish away.
    await identity.createPolicyVersion('acme', 'agent', policyText(
      { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' },
      { Effect: 'Allow', Action: 'iot:Receive', Resource: 'arn:aws:iot:*:*:topic/customer-1/${iot:Connection.Thing.ThingName}/*' },
    ), { setAsDefault: true }, Date.now());
    assert.equal(await policies.refresh(), 2);
    assert.equal(seven.generation, 2);
    assert.equal(seven.mayPublish('customer-1/agent-7/status', false), false);
    assert.equal(seven.mayReceive('customer-1/agent-7/commands'), true);
    assert.equal(other.generation, 1, "another tenant's policy of the same name is not touched");
    assert.equal(other.mayPublish('customer-1/agent-7/status', false), true);

    // A tenant default attached: every live connection of the tenant may now publish to broadcast/.
    await identity.createPolicy('acme', 'broadcast', policyText({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/broadcast/*' }), Date.now());
    assert.equal(await policies.refresh(), 0, 'a policy attached to nothing changes nobody');
    await identity.attachPolicy('acme', 'broadcast', { kind: 'tenant', id: 'acme' });
    assert.equal(await policies.refresh(), 2);
    assert.equal(eight.mayPublish('broadcast/hello', false), true);
    assert.equal(eight.generation, 3);

    // Detached from one certificate: only that connection changes.
    const sevenCertificate = (await identity.listCertificates('acme', { thing: 'agent-7', limit: 10 })).items[0]!.id;
    await identity.detachPolicy('acme', 'agent', { kind: 'certificate', id: sevenCertificate });
    assert.equal(await policies.refresh(), 1);
    assert.equal(seven.generation, 4);
    assert.equal(seven.mayReceive('customer-1/agent-7/commands'), false);
    assert.equal(eight.mayReceive('customer-1/agent-8/commands'), true);
    assert.equal(eight.generation, 3);
  });

  it('applies a change within a second without being asked', async () => {
    const identity = new MemoryIdentityStore();
    await identity.createPolicy('acme', 'agent', perThingPolicy, Date.now());
    const policies = authorizer(identity, { unattached: 'deny' });
    const policy = await connected(policies.authorize, await agent(identity, 'acme', 'agent-7'));
    const principalCertificate = (await identity.listCertificates('acme', { limit: 10 })).items[0]!.id;
    const detachedAt = Date.now();
    await identity.detachPolicy('acme', 'agent', { kind: 'certificate', id: principalCertificate });
    while (policy.generation === 1 && Date.now() - detachedAt < 2000) await new Promise((resolve) => setTimeout(resolve, 10));
    const tookMs = Date.now() - detachedAt;
    assert.ok(tookMs < 1000, `took ${tookMs} ms`);
    assert.equal(policy.mayPublish('customer-1/agent-7/status', false), false);
  });

  it('moves a connection off the built-in tenant-wide stand-in once its first policy is attached', async () => {
    const identity = new MemoryIdentityStore();
    await identity.putThing(thingRecord('acme', 'agent-7'));
    const certificateId = await registerCertificate(identity, 'acme', opensslCertificate('/CN=agent-7'), 'agent-7');
    const policies = authorizer(identity, { intervalMs: 60_000 });
    const policy = await connected(policies.authorize, { kind: 'certificate', tenant: 'acme', certificateId, thingName: 'agent-7', clientId: 'agent-7', sourceIp: peer.remoteAddress, attributes: {} });
    assert.equal(policy.mayPublish('customer-1/agent-8/status', false), true, 'no policy attached: the whole tenant');
    await identity.createPolicy('acme', 'agent', perThingPolicy, Date.now());
    await identity.attachPolicy('acme', 'agent', { kind: 'certificate', id: certificateId });
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.mayPublish('customer-1/agent-8/status', false), false);
    assert.equal(policy.mayPublish('customer-1/agent-7/status', false), true);
  });

  it('stops following a released connection', async () => {
    const identity = new MemoryIdentityStore();
    await identity.createPolicy('acme', 'agent', perThingPolicy, Date.now());
    const policies = authorizer(identity, { intervalMs: 60_000 });
    const policy = await connected(policies.authorize, await agent(identity, 'acme', 'agent-7'));
    policy.release();
    await identity.createPolicyVersion('acme', 'agent', policyText({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }), { setAsDefault: true }, Date.now());
    assert.equal(await policies.refresh(), 0);
    assert.equal(policy.generation, 1);
  });

  it('resolves again a connection whose policies changed while it was being authorized', async () => {
    const store = new MemoryIdentityStore();
    await store.createPolicy('acme', 'agent', perThingPolicy, Date.now());
    const principal = await agent(store, 'acme', 'agent-7');
    // The store itself, with the first attachment read held after it has read (old state).
    const held = holdNextRead(store, 'listPoliciesAttachedTo');
    const policies = authorizer(held.identity, { intervalMs: 60_000, unattached: 'deny' });
    const wasRead = held.hold();
    const decision = policies.authorize(connectEvent(principal));
    await wasRead;
    await store.detachPolicy('acme', 'agent', { kind: 'certificate', id: principal.certificateId! });
    await policies.refresh();
    held.release();
    assert.equal((await decision).kind, 'deny', 'the detachment is seen before the connection is bound');
  });

  it('refuses everything on a live connection whose policy became unreadable', async () => {
    const identity = new MemoryIdentityStore();
    await identity.createPolicy('acme', 'agent', perThingPolicy, Date.now());
    const { logger, lines } = capture();
    const policies = authorizer(identity, { intervalMs: 60_000, logger });
    const policy = await connected(policies.authorize, await agent(identity, 'acme', 'agent-7'));
    // putPolicy stores what it is given: a document written by hand into the store, bypassing the API.
    await identity.putPolicy({ tenant: 'acme', name: 'agent', document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}', version: 9, createdAt: Date.now(), updatedAt: Date.now() });
    assert.equal(await policies.refresh(), 1);
    assert.equal(policy.mayReceive('customer-1/agent-7/commands'), false);
    assert.match(policy.explain('iot:Receive', 'customer-1/agent-7/commands'), /denied, Invalid policy document: policy "agent" version 9: Statement\[0\]/);
    assert.ok(lines.some((line) => line['level'] === 50 && /invalid/.test(String(line['msg']))));
  });
});

describe('DenialLog', () => {
  it('writes at most its rate per tenant per second and then says how many it left out', () => {
    let at = 1_000_000;
    const { logger, lines } = capture();
    const denials = new DenialLog({ logger, perSecond: 3, now: () => at });
    const deny = (tenant: string, i: number): boolean => denials.record({ tenant, clientId: `c${i}`, action: 'iot:Publish', resource: `topic/t/${i}`, explain: () => `why ${i}` });
    const written = Array.from({ length: 8 }, (_, i) => deny('acme', i));
    assert.deepEqual(written, [true, true, true, false, false, false, false, false]);
    assert.equal(deny('globex', 0), true, 'another tenant has its own budget');
    at += 1000;
    assert.equal(deny('acme', 9), true);
    assert.equal(lines.length, 5);
    assert.equal(lines[4]?.['suppressed'], 5);
    assert.equal(lines[4]?.['explanation'], 'why 9');
    assert.equal(lines[0]?.['suppressed'], undefined);
  });
});
