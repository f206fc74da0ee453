/**
 * Policies attached to a thing group reach the things of its subgroups: the authorizer with the real
 * MemoryIdentityStore and `parentGroup` read from the store's group tree, as app/serve.ts wires it.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Principal } from '../../auth/index.js';
import { silentLogger, type PeerInfo } from '../../core/index.js';
import { MemoryIdentityStore, type IdentityStore } from '../../store/index.js';
import { opensslCertificate, policyText, registerCertificate, thingRecord } from './authorization-fixtures.js';
import { createPolicyAuthorizer, type PolicyAuthorizer } from './connection-policies.js';

const peer: PeerInfo = { transport: 'tls', remoteAddress: '203.0.113.9', remotePort: 50000, localPort: 8883, listener: 'mqtts' };
const started: PolicyAuthorizer[] = [];

afterEach(() => {
  for (const authorizer of started.splice(0)) authorizer.stop();
});

/** The authorizer as serve wires it; `inherit: false` leaves the group tree out (every group a root). */
function authorizer(identity: IdentityStore, inherit = true): PolicyAuthorizer {
  const created = createPolicyAuthorizer({
    identity, logger: silentLogger(), unattached: 'deny',
    ...(inherit ? { parentGroup: async (tenant: string, group: string) => (await identity.getThingGroup(tenant, group))?.parent } : {}),
  });
  started.push(created);
  return created;
}

/** acme: sites ← germany ← berlin; `site-fleet` (connect, publish under site/) attached to `sites`; agent-7 in `berlin`. */
async function fleet(): Promise<{ identity: MemoryIdentityStore; principal: Principal }> {
  const identity = new MemoryIdentityStore();
  const at = Date.now();
  await identity.putThingGroup({ tenant: 'acme', name: 'sites', createdAt: at, updatedAt: at });
  await identity.putThingGroup({ tenant: 'acme', name: 'germany', parent: 'sites', createdAt: at, updatedAt: at });
  await identity.putThingGroup({ tenant: 'acme', name: 'berlin', parent: 'germany', createdAt: at, updatedAt: at });
  await identity.createPolicy('acme', 'site-fleet', policyText(
    { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' },
    { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/site/${iot:Connection.Thing.ThingName}/*' },
  ), at);
  await identity.attachPolicy('acme', 'site-fleet', { kind: 'thing-group', id: 'sites' });
  await identity.putThing(thingRecord('acme', 'agent-7', { groups: ['berlin'] }));
  const certificateId = await registerCertificate(identity, 'acme', opensslCertificate('/CN=agent-7'), 'agent-7');
  return { identity, principal: { kind: 'certificate', tenant: 'acme', certificateId, thingName: 'agent-7', clientId: 'agent-7', sourceIp: peer.remoteAddress, attributes: {} } };
}

describe('thing group inheritance', () => {
  it('applies a policy attached to a group to the things of its grandchild group', async () => {
    const { identity, principal } = await fleet();
    const decision = await authorizer(identity).authorize({ principal, clientId: 'agent-7', peer, cleanStart: true });
    assert.equal(decision.kind, 'allow');
    assert.ok(decision.kind === 'allow' && decision.policy !== undefined);
    assert.equal(decision.policy.mayPublish('site/agent-7/status', false), true);
    assert.equal(decision.policy.mayPublish('site/agent-8/status', false), false);
    decision.policy.release();
  });

  it('does not apply it without the group tree, nor when the client id is not the thing name', async () => {
    const { identity, principal } = await fleet();
    const flat = await authorizer(identity, false).authorize({ principal, clientId: 'agent-7', peer, cleanStart: true });
    assert.equal(flat.kind, 'deny', 'berlin alone has no policy');
    const other = await authorizer(identity).authorize({ principal: { ...principal, clientId: 'not-the-thing' }, clientId: 'not-the-thing', peer, cleanStart: true });
    assert.equal(other.kind, 'deny', 'group policies apply only when the client id is the thing name (AWS)');
  });

  it('stops applying it at the next CONNECT once the subgroup moves out of the tree', async () => {
    const { identity, principal } = await fleet();
    const at = Date.now();
    await identity.putThingGroup({ tenant: 'acme', name: 'germany', createdAt: at, updatedAt: at });
    const decision = await authorizer(identity).authorize({ principal, clientId: 'agent-7', peer, cleanStart: true });
    assert.equal(decision.kind, 'deny');
  });
});
