/**
 * `/v1/tenants/{tenant}/event-configurations` and the registry events it turns on, over a real admin
 * API: nothing is published until a type is enabled, then AWS's topics and payloads, per tenant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startRegistryAdminApiHarness, type RegistryAdminApiHarness } from './registry-api-harness.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('event configurations API and registry events', () => {
  let harness: RegistryAdminApiHarness;
  const acme = '/v1/tenants/acme';

  before(async () => {
    harness = await startRegistryAdminApiHarness();
    await harness.json('POST', '/v1/tenants', { id: 'acme' });
    await harness.json('POST', '/v1/tenants', { id: 'globex' });
  });
  after(() => harness.close());

  test('GET shows every type off at first; PATCH turns the given ones on or off and keeps the rest', async () => {
    const first = await harness.json('GET', '/v1/tenants/globex/event-configurations');
    assert.deepEqual(first.body, { eventConfigurations: {
      THING: { Enabled: false }, THING_GROUP: { Enabled: false }, THING_TYPE: { Enabled: false },
      THING_TYPE_ASSOCIATION: { Enabled: false }, THING_GROUP_MEMBERSHIP: { Enabled: false }, THING_GROUP_HIERARCHY: { Enabled: false },
    } });
    await harness.json('PATCH', '/v1/tenants/globex/event-configurations', { eventConfigurations: { THING: { Enabled: true }, THING_TYPE: { Enabled: true } } });
    const patched = await harness.json('PATCH', '/v1/tenants/globex/event-configurations', { eventConfigurations: { THING_TYPE: { Enabled: false } } });
    assert.equal(patched.status, 200);
    const on = Object.entries(patched.body['eventConfigurations'] as Record<string, { Enabled: boolean }>).filter(([, setting]) => setting.Enabled).map(([type]) => type);
    assert.deepEqual(on, ['THING']);
    assert.match(String(patched.body['lastModifiedDate']), /^\d{4}-/);
    assert.equal((await harness.json('PATCH', '/v1/tenants/globex/event-configurations', { eventConfigurations: { JOB: { Enabled: true } } })).status, 400, 'a type Gatehouse does not publish');
    assert.equal((await harness.json('PATCH', '/v1/tenants/nowhere/event-configurations', { eventConfigurations: {} })).status, 404);
    await harness.json('PATCH', '/v1/tenants/globex/event-configurations', { eventConfigurations: { THING: { Enabled: false } } });
  });

  test('nothing is published before the tenant enables a type; then AWS topics and payloads, in that tenant only', async () => {
    await harness.json('POST', `${acme}/things/early`, {});
    assert.deepEqual(harness.takeEvents(), [], 'all types are off at first');

    await harness.json('PATCH', `${acme}/event-configurations`, { eventConfigurations: Object.fromEntries(
      ['THING', 'THING_GROUP', 'THING_TYPE', 'THING_TYPE_ASSOCIATION', 'THING_GROUP_MEMBERSHIP', 'THING_GROUP_HIERARCHY'].map((type) => [type, { Enabled: true }]),
    ) });
    await harness.json('POST', `${acme}/thing-types/camera`, { thingTypeProperties: { thingTypeDescription: 'cams', searchableAttributes: ['site'] } });
    const created = await harness.json('POST', `${acme}/things/cam-1`, { thingTypeName: 'camera', attributePayload: { attributes: { site: 'lyon' } } });
    await harness.json('PATCH', `${acme}/things/cam-1`, { removeThingType: true });
    await harness.json('PUT', `${acme}/thing-groups/sites`, { description: 'All', attributePayload: { attributes: { region: 'eu' } } });
    await harness.json('PUT', `${acme}/thing-groups/berlin`, { parent: 'sites' });
    await harness.json('PUT', `${acme}/thing-groups/berlin/things/cam-1`);
    await harness.json('DELETE', `${acme}/thing-groups/berlin/things/cam-1`);
    await harness.json('POST', `${acme}/thing-types/camera/deprecate`, {});
    await harness.json('DELETE', `${acme}/things/cam-1`);
    await harness.json('POST', '/v1/tenants/globex/things/not-enabled', {});
    const events = harness.takeEvents();

    assert.deepEqual(events.map((event) => event.topic), [
      '$tenants/acme/$aws/events/thingType/camera/created',
      '$tenants/acme/$aws/events/thing/cam-1/created',
      '$tenants/acme/$aws/events/thingTypeAssociation/thing/cam-1/thingType/camera/added',
      '$tenants/acme/$aws/events/thing/cam-1/updated',
      '$tenants/acme/$aws/events/thingTypeAssociation/thing/cam-1/thingType/camera/removed',
      '$tenants/acme/$aws/events/thingGroup/sites/created',
      '$tenants/acme/$aws/events/thingGroup/berlin/created',
      '$tenants/acme/$aws/events/thingGroupHierarchy/thingGroup/sites/childThingGroup/berlin/added',
      '$tenants/acme/$aws/events/thingGroupMembership/thingGroup/berlin/thing/cam-1/added',
      '$tenants/acme/$aws/events/thingGroupMembership/thingGroup/berlin/thing/cam-1/removed',
      '$tenants/acme/$aws/events/thingType/camera/updated',
      '$tenants/acme/$aws/events/thing/cam-1/deleted',
    ], 'globex enabled nothing and got nothing');
    for (const event of events) {
      assert.match(String(event.payload['eventId']), uuid, event.topic);
      assert.equal(typeof event.payload['timestamp'], 'number');
      assert.ok(Math.abs(Number(event.payload['timestamp']) - Date.now()) < 60_000, 'epoch milliseconds');
    }
    const strip = (payload: Record<string, unknown>): Record<string, unknown> => ({ ...payload, eventId: '', timestamp: 0 });
    const thingId = created.body['thingId'];
    assert.deepEqual(strip(events[1]!.payload), {
      eventType: 'THING_EVENT', eventId: '', timestamp: 0, operation: 'CREATED', accountId: 'acme', thingId, thingName: 'cam-1',
      versionNumber: 1, thingTypeName: 'camera', attributes: { site: 'lyon' },
    });
    assert.deepEqual(strip(events[3]!.payload), { ...strip(events[1]!.payload), operation: 'UPDATED', versionNumber: 2, thingTypeName: null });
    assert.deepEqual(strip(events[2]!.payload), { eventId: '', eventType: 'THING_TYPE_ASSOCIATION_EVENT', operation: 'ADDED', thingId, thingName: 'cam-1', thingTypeName: 'camera', timestamp: 0 });
    const type = strip(events[0]!.payload);
    assert.match(String(type['thingTypeId']), /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...type, thingTypeId: '' }, {
      eventType: 'THING_TYPE_EVENT', eventId: '', timestamp: 0, operation: 'CREATED', accountId: 'acme', thingTypeId: '', thingTypeName: 'camera',
      isDeprecated: false, deprecationDate: null, searchableAttributes: ['site'], propagatingAttributes: [], description: 'cams',
    });
    assert.equal(events[10]!.payload['isDeprecated'], true);
    assert.equal(typeof events[10]!.payload['deprecationDate'], 'number');

    const sites = await harness.identity.getThingGroup('acme', 'sites');
    const berlin = await harness.identity.getThingGroup('acme', 'berlin');
    assert.deepEqual(strip(events[5]!.payload), {
      eventType: 'THING_GROUP_EVENT', eventId: '', timestamp: 0, operation: 'CREATED', accountId: 'acme', thingGroupId: sites?.thingGroupId, thingGroupName: 'sites',
      versionNumber: 1, parentGroupName: null, parentGroupId: null, description: 'All', rootToParentThingGroups: null, attributes: { region: 'eu' },
    });
    assert.deepEqual(strip(events[6]!.payload)['rootToParentThingGroups'], [{ groupName: 'sites', groupArn: 'arn:gatehouse:iot::acme:thinggroup/sites' }]);
    assert.equal(events[6]!.payload['parentGroupId'], sites?.thingGroupId);
    assert.deepEqual(strip(events[7]!.payload), {
      eventType: 'THING_GROUP_HIERARCHY_EVENT', eventId: '', timestamp: 0, operation: 'ADDED', accountId: 'acme',
      thingGroupId: sites?.thingGroupId, thingGroupName: 'sites', childGroupId: berlin?.thingGroupId, childGroupName: 'berlin',
    });
    const added = strip(events[8]!.payload);
    assert.deepEqual({ ...added, membershipId: '' }, {
      eventType: 'THING_GROUP_MEMBERSHIP_EVENT', eventId: '', timestamp: 0, operation: 'ADDED', accountId: 'acme',
      groupArn: 'arn:gatehouse:iot::acme:thinggroup/berlin', groupId: berlin?.thingGroupId, thingArn: 'arn:gatehouse:iot::acme:thing/cam-1', thingId, membershipId: '',
    });
    assert.match(String(added['membershipId']), uuid);
    assert.equal(events[9]!.payload['membershipId'], added['membershipId'], 'one id for the membership, added and removed');
    assert.equal(events[9]!.payload['operation'], 'REMOVED');
    assert.deepEqual([events[11]!.payload['operation'], events[11]!.payload['versionNumber']], ['DELETED', 2]);
  });

  test('a type turned off again stops its events', async () => {
    await harness.json('PATCH', `${acme}/event-configurations`, { eventConfigurations: { THING: { Enabled: false } } });
    await harness.json('POST', `${acme}/things/quiet`, {});
    await harness.json('PUT', `${acme}/thing-groups/quiet-group`);
    assert.deepEqual(harness.takeEvents().map((event) => event.topic), ['$tenants/acme/$aws/events/thingGroup/quiet-group/created']);
  });
});
