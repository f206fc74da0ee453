// Registry events black-box: an agent of a tenant, connected over real mTLS with a Gatehouse-issued
// certificate, subscribes to AWS's `$aws/events/...` registry topics and gets thing and membership
// events with AWS's payloads only once its tenant turned those types on through the admin API; the
// same changes in another tenant, or this tenant's changes seen from another tenant, reach nobody else.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { connectClient, sleep, startGatehouse, waitFor, type TestGatehouse } from '../helpers/index.ts';
import { onboardDevice, requestJson, type JsonAnswer } from '../identity/onboarding-kit.ts';

interface Watcher {
  readonly client: MqttClient;
  readonly events: Array<{ topic: string; payload: Record<string, unknown> }>;
}

/** Every registry topic AWS defines, none of the presence ones (those are on by default and not ours to test here). */
const REGISTRY_FILTERS = ['$aws/events/thing/#', '$aws/events/thingType/#', '$aws/events/thingTypeAssociation/#', '$aws/events/thingGroup/#', '$aws/events/thingGroupMembership/#', '$aws/events/thingGroupHierarchy/#'];
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const QUIET_MS = 400;

describe('registry events', () => {
  let gh: TestGatehouse;
  const open: MqttClient[] = [];
  let acme: Watcher;
  let globex: Watcher;

  before(async () => {
    gh = await startGatehouse({ store: 'sqlite', config: { listeners: { mqtts: { allowAnonymous: false } } } });
    for (const id of ['acme', 'globex']) await admin('POST', '/v1/tenants', { id });
    const server = { adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem };
    acme = await watch(await onboardDevice(server, 'watcher', { tenant: 'acme' }));
    globex = await watch(await onboardDevice(server, 'watcher', { tenant: 'globex' }));
  });
  after(async () => {
    await Promise.all(open.map((client) => client.endAsync()));
    await gh.stop();
  });

  async function watch(device: { certificatePem: string; keyPem: string; thing: string }): Promise<Watcher> {
    const events: Watcher['events'] = [];
    const { client } = await connectClient(gh.urls.mqtts.replace('127.0.0.1', 'localhost'), { ca: gh.caPem, cert: device.certificatePem, key: device.keyPem, clientId: device.thing, protocolVersion: 5 },
      (topic, payload) => events.push({ topic, payload: JSON.parse(payload.toString('utf8')) as Record<string, unknown> }));
    open.push(client);
    await client.subscribeAsync(REGISTRY_FILTERS, { qos: 1 });
    return { client, events };
  }

  async function admin(method: string, path: string, body?: unknown): Promise<JsonAnswer> {
    return requestJson(`${gh.urls.admin}${path}`, { method, headers: { authorization: `Bearer ${gh.adminKey}` }, ...(body === undefined ? {} : { body }) });
  }

  async function ok(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const answer = await admin(method, path, body);
    assert.ok(answer.status >= 200 && answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  test('nothing is published before the tenant enables registry events', async () => {
    await ok('POST', '/v1/tenants/acme/things/early', { attributePayload: { attributes: { n: '1' } } });
    await ok('PUT', '/v1/tenants/acme/thing-groups/fleet');
    await ok('PUT', '/v1/tenants/acme/thing-groups/fleet/things/early');
    await ok('DELETE', '/v1/tenants/acme/things/early');
    await sleep(QUIET_MS);
    assert.deepEqual(acme.events, []);
    assert.deepEqual(globex.events, []);
  });

  test('once enabled, thing created/updated/deleted and membership added/removed reach the tenant with AWS payloads; the other tenant gets none', async () => {
    await ok('PATCH', '/v1/tenants/acme/event-configurations', { eventConfigurations: { THING: { Enabled: true }, THING_GROUP_MEMBERSHIP: { Enabled: true } } });
    await ok('PATCH', '/v1/tenants/globex/event-configurations', { eventConfigurations: { THING: { Enabled: true } } });

    const created = await ok('POST', '/v1/tenants/acme/things/agent-7', { attributePayload: { attributes: { site: 'lyon', fw: '1.2' } } });
    await ok('PATCH', '/v1/tenants/acme/things/agent-7', { attributePayload: { attributes: { fw: '1.3' }, merge: true }, expectedVersion: 1 });
    await ok('PUT', '/v1/tenants/acme/thing-groups/fleet/things/agent-7');
    await ok('DELETE', '/v1/tenants/acme/thing-groups/fleet/things/agent-7');
    await ok('DELETE', '/v1/tenants/acme/things/agent-7?expectedVersion=2');
    await waitFor(() => acme.events.length >= 5, 'five registry events in acme');
    await sleep(QUIET_MS);

    assert.deepEqual(acme.events.map((event) => event.topic), [
      '$aws/events/thing/agent-7/created',
      '$aws/events/thing/agent-7/updated',
      '$aws/events/thingGroupMembership/thingGroup/fleet/thing/agent-7/added',
      '$aws/events/thingGroupMembership/thingGroup/fleet/thing/agent-7/removed',
      '$aws/events/thing/agent-7/deleted',
    ], 'the agent sees its tenant\'s own names; THING_GROUP is off, so PUT of a group published nothing');
    assert.equal(globex.events.length, 0, `globex enabled THING too, and still sees none of acme's: ${JSON.stringify(globex.events)}`);

    const [createdEvent, updatedEvent, addedEvent, removedEvent, deletedEvent] = acme.events.map((event) => event.payload);
    for (const payload of [createdEvent, updatedEvent, addedEvent, removedEvent, deletedEvent]) {
      assert.match(String(payload?.['eventId']), uuid);
      assert.ok(Math.abs(Number(payload?.['timestamp']) - Date.now()) < 60_000, 'a timestamp in epoch ms');
    }
    const thingId = created['thingId'];
    const thingEvent = (operation: string, versionNumber: number, attributes: Record<string, string>) => ({
      eventType: 'THING_EVENT', operation, accountId: 'acme', thingId, thingName: 'agent-7', versionNumber, thingTypeName: null, attributes,
    });
    const { eventId: _a, timestamp: _b, ...createdFields } = createdEvent!;
    assert.deepEqual(createdFields, thingEvent('CREATED', 1, { site: 'lyon', fw: '1.2' }));
    const { eventId: _c, timestamp: _d, ...updatedFields } = updatedEvent!;
    assert.deepEqual(updatedFields, thingEvent('UPDATED', 2, { site: 'lyon', fw: '1.3' }));
    const { eventId: _e, timestamp: _f, ...deletedFields } = deletedEvent!;
    assert.deepEqual(deletedFields, thingEvent('DELETED', 2, { site: 'lyon', fw: '1.3' }));

    const { eventId: _g, timestamp: _h, membershipId, groupId, ...addedFields } = addedEvent!;
    assert.deepEqual(addedFields, {
      eventType: 'THING_GROUP_MEMBERSHIP_EVENT', operation: 'ADDED', accountId: 'acme',
      groupArn: 'arn:gatehouse:iot::acme:thinggroup/fleet', thingArn: 'arn:gatehouse:iot::acme:thing/agent-7', thingId,
    });
    assert.match(String(groupId), uuid);
    assert.match(String(membershipId), uuid);
    assert.deepEqual([removedEvent?.['operation'], removedEvent?.['membershipId'], removedEvent?.['groupId']], ['REMOVED', membershipId, groupId]);

    // globex's own change reaches globex only.
    await ok('POST', '/v1/tenants/globex/things/agent-7', {});
    await waitFor(() => globex.events.length >= 1, 'globex\'s own thing event');
    await sleep(QUIET_MS);
    assert.deepEqual(globex.events.map((event) => [event.topic, event.payload['accountId']]), [['$aws/events/thing/agent-7/created', 'globex']]);
    assert.equal(acme.events.length, 5, 'acme got nothing of globex\'s');
  });

  test('turned off again, the type publishes nothing more', async () => {
    await ok('PATCH', '/v1/tenants/acme/event-configurations', { eventConfigurations: { THING: { Enabled: false } } });
    const before = acme.events.length;
    await ok('POST', '/v1/tenants/acme/things/silent', {});
    await ok('PUT', '/v1/tenants/acme/thing-groups/fleet/things/silent');
    await waitFor(() => acme.events.length > before, 'the membership event, still on');
    await sleep(QUIET_MS);
    assert.deepEqual(acme.events.slice(before).map((event) => event.topic), ['$aws/events/thingGroupMembership/thingGroup/fleet/thing/silent/added']);
  });
});
