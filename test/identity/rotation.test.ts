// Certificate rotation as docs/identity.md describes it: a second certificate for the same thing,
// the agent moves to it, the old one is revoked; the thing and its new certificate carry on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectClient, startGatehouse, type TestGatehouse } from '../helpers/index.ts';
import { onboardDevice, requestJson, type JsonAnswer } from './onboarding-kit.ts';

describe('certificate rotation', () => {
  let gh: TestGatehouse;
  const admin = (path: string, body?: unknown): Promise<JsonAnswer> =>
    requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` }, ...(body === undefined ? {} : { body }) });

  before(async () => {
    gh = await startGatehouse({ store: 'sqlite', config: { listeners: { mqtts: { allowAnonymous: false } } } });
  });
  after(() => gh.stop());

  test('a new certificate for the same thing, then the old one revoked: only the new one connects', async () => {
    const server = { adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem };
    const old = await onboardDevice(server, 'agent-rotating', { attributes: { site: 'lyon' } });
    const live = (await connectClient(gh.urls.mqtts.replace('127.0.0.1', 'localhost'), { ca: gh.caPem, cert: old.certificatePem, key: old.keyPem, clientId: 'agent-rotating', protocolVersion: 5 })).client;

    const next = await onboardDevice(server, 'agent-rotating');
    assert.notEqual(next.certificateId, old.certificateId);
    const listed = await admin('/v1/certificates?thing=agent-rotating&status=ACTIVE');
    assert.deepEqual((listed.body['items'] as Array<{ id: string }>).map((c) => c.id).sort(), [old.certificateId, next.certificateId].sort(), 'both are ACTIVE during the overlap');
    const thing = await gh.running.identity.getThing('default', 'agent-rotating');
    assert.deepEqual(thing?.attributes, { site: 'lyon' }, 'the thing is kept, not replaced');

    const closed = new Promise<void>((resolve) => live.once('close', () => resolve()));
    const revoked = await admin(`/v1/certificates/${old.certificateId}/revoke`, {});
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.equal(revoked.body['disconnected'], 1);
    await closed;

    await assert.rejects(connectClient(gh.urls.mqtts.replace('127.0.0.1', 'localhost'), { ca: gh.caPem, cert: old.certificatePem, key: old.keyPem, clientId: 'agent-rotating', protocolVersion: 5 }), /Not authorized/);
    const fresh = (await connectClient(gh.urls.mqtts.replace('127.0.0.1', 'localhost'), { ca: gh.caPem, cert: next.certificatePem, key: next.keyPem, clientId: 'agent-rotating', protocolVersion: 5 })).client;
    await fresh.endAsync();
  });
});
