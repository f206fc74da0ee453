/** Thing types, billing groups and thing group membership and attributes over a real admin API on loopback. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startRegistryAdminApiHarness, type RegistryAdminApiHarness } from './registry-api-harness.js';

describe('registry API: types, billing groups, group membership', () => {
  let harness: RegistryAdminApiHarness;
  const tenant = '/v1/tenants/acme';

  before(async () => {
    harness = await startRegistryAdminApiHarness();
    await harness.json('POST', '/v1/tenants', { id: 'acme' });
  });
  after(() => harness.close());

  test('thing types: create once, describe, list, deprecate and undeprecate, delete only when deprecated and unused', async () => {
    const created = await harness.json('POST', `${tenant}/thing-types/camera`, { thingTypeProperties: { thingTypeDescription: 'IP cameras', searchableAttributes: ['site', 'fw'] } });
    assert.equal(created.status, 201);
    assert.deepEqual({ ...created.body, thingTypeId: '', thingTypeMetadata: { ...(created.body['thingTypeMetadata'] as object), creationDate: '' } }, {
      tenant: 'acme', thingTypeName: 'camera', thingTypeId: '', thingTypeArn: 'arn:gatehouse:iot::acme:thingtype/camera',
      thingTypeProperties: { thingTypeDescription: 'IP cameras', searchableAttributes: ['site', 'fw'] },
      thingTypeMetadata: { deprecated: false, creationDate: '' },
    });
    assert.equal((await harness.json('POST', `${tenant}/thing-types/camera`, { thingTypeProperties: { thingTypeDescription: 'IP cameras', searchableAttributes: ['site', 'fw'] } })).status, 200);
    assert.equal((await harness.json('POST', `${tenant}/thing-types/camera`, {})).status, 409);
    assert.equal((await harness.json('POST', `${tenant}/thing-types/four`, { thingTypeProperties: { searchableAttributes: ['a', 'b', 'c', 'd'] } })).status, 400, 'at most 3 searchable attributes');
    assert.deepEqual(((await harness.json('GET', `${tenant}/thing-types`)).body['items'] as Array<{ thingTypeName: string }>).map((type) => type.thingTypeName), ['camera']);

    await harness.json('POST', `${tenant}/things/cam-1`, { thingTypeName: 'camera' });
    const notDeprecated = await harness.json('DELETE', `${tenant}/thing-types/camera`);
    assert.deepEqual(notDeprecated.body, { code: 'CONFLICT', message: 'Cannot delete thing type "camera": it is not deprecated; deprecate it first' });
    const deprecated = await harness.json('POST', `${tenant}/thing-types/camera/deprecate`, {});
    assert.equal((deprecated.body['thingTypeMetadata'] as { deprecated: boolean }).deprecated, true);
    assert.match(String((deprecated.body['thingTypeMetadata'] as { deprecationDate?: string }).deprecationDate), /^\d{4}-\d\d-\d\dT/);
    const inUse = await harness.json('DELETE', `${tenant}/thing-types/camera`);
    assert.equal(inUse.body['message'], 'Cannot delete thing type "camera": 1 thing has it; give it another type first');
    assert.equal((await harness.json('POST', `${tenant}/things/cam-2`, { thingTypeName: 'camera' })).status, 400, 'no new thing of a deprecated type');
    assert.equal((await harness.json('PATCH', `${tenant}/things/cam-1`, { attributePayload: { attributes: { fw: '2' } } })).status, 200, 'a thing that has it keeps it through updates');
    const undone = await harness.json('POST', `${tenant}/thing-types/camera/deprecate`, { undoDeprecate: true });
    assert.equal((undone.body['thingTypeMetadata'] as { deprecated: boolean }).deprecated, false);
    assert.equal((await harness.json('POST', `${tenant}/things/cam-2`, { thingTypeName: 'camera' })).status, 201);
    await harness.json('POST', `${tenant}/thing-types/camera/deprecate`, {});
    await harness.json('PATCH', `${tenant}/things/cam-1`, { removeThingType: true });
    await harness.json('DELETE', `${tenant}/things/cam-2`);
    assert.equal((await harness.json('DELETE', `${tenant}/thing-types/camera`)).status, 204);
    assert.equal((await harness.json('GET', `${tenant}/thing-types/camera`)).status, 404);
    assert.equal((await harness.json('POST', `${tenant}/thing-types/nope/deprecate`, {})).status, 404);
  });

  test('billing groups: create, update with expectedVersion, one per thing (adding moves), list its things, delete lets them go', async () => {
    const eu = await harness.json('POST', `${tenant}/billing-groups/eu`, { billingGroupProperties: { billingGroupDescription: 'Europe' } });
    assert.equal(eu.status, 201);
    assert.equal(eu.body['billingGroupArn'], 'arn:gatehouse:iot::acme:billinggroup/eu');
    await harness.json('POST', `${tenant}/billing-groups/us`, {});
    const updated = await harness.json('PATCH', `${tenant}/billing-groups/eu`, { billingGroupProperties: { billingGroupDescription: 'EU' }, expectedVersion: 1 });
    assert.deepEqual([updated.body['version'], updated.body['billingGroupProperties']], [2, { billingGroupDescription: 'EU' }]);
    assert.equal((await harness.json('PATCH', `${tenant}/billing-groups/eu`, { billingGroupProperties: {}, expectedVersion: 1 })).body['code'], 'VERSION_CONFLICT');

    await harness.json('POST', `${tenant}/things/meter-1`, {});
    assert.deepEqual((await harness.json('PUT', `${tenant}/billing-groups/eu/things/meter-1`)).body, { billingGroupName: 'eu', thingName: 'meter-1' });
    assert.deepEqual((await harness.json('PUT', `${tenant}/billing-groups/us/things/meter-1`)).body, { billingGroupName: 'us', thingName: 'meter-1', previousBillingGroupName: 'eu' });
    assert.equal((await harness.json('GET', `${tenant}/things/meter-1`)).body['billingGroupName'], 'us');
    assert.deepEqual(((await harness.json('GET', `${tenant}/billing-groups/us/things`)).body['items'] as Array<{ thingName: string }>).map((thing) => thing.thingName), ['meter-1']);
    assert.deepEqual((await harness.json('GET', `${tenant}/billing-groups/eu/things`)).body['items'], []);
    assert.equal((await harness.json('DELETE', `${tenant}/billing-groups/eu/things/meter-1`)).status, 404, 'not in that one');
    assert.equal((await harness.json('PUT', `${tenant}/billing-groups/asia/things/meter-1`)).status, 404);
    assert.equal((await harness.json('DELETE', `${tenant}/billing-groups/us?expectedVersion=7`)).status, 409);
    assert.equal((await harness.json('DELETE', `${tenant}/billing-groups/us`)).status, 204);
    assert.equal('billingGroupName' in (await harness.json('GET', `${tenant}/things/meter-1`)).body, false, 'its thing left it');
    assert.equal((await harness.json('DELETE', `${tenant}/billing-groups/us`)).status, 404);
  });

  test('thing group membership: add, list (recursive), the limit of 10, remove; group attributes with merge and expectedVersion', async () => {
    await harness.json('PUT', `${tenant}/thing-groups/sites`, { attributePayload: { attributes: { region: 'eu', tier: 'gold' } } });
    await harness.json('PUT', `${tenant}/thing-groups/berlin`, { parent: 'sites' });
    await harness.json('POST', `${tenant}/things/agent-1`, {});
    await harness.json('POST', `${tenant}/things/agent-2`, {});
    assert.deepEqual((await harness.json('PUT', `${tenant}/thing-groups/berlin/things/agent-1`)).body, { thingGroupName: 'berlin', thingName: 'agent-1', changed: true });
    assert.equal((await harness.json('PUT', `${tenant}/thing-groups/berlin/things/agent-1`)).body['changed'], false);
    await harness.json('PUT', `${tenant}/thing-groups/sites/things/agent-2`);
    const names = async (path: string): Promise<string[]> => ((await harness.json('GET', path)).body['items'] as Array<{ thingName: string }>).map((thing) => thing.thingName);
    assert.deepEqual(await names(`${tenant}/thing-groups/sites/things`), ['agent-2']);
    assert.deepEqual(await names(`${tenant}/thing-groups/sites/things?recursive=true`), ['agent-1', 'agent-2']);
    assert.deepEqual((await harness.json('GET', `${tenant}/things/agent-1`)).body['thingGroups'], ['berlin']);
    assert.equal((await harness.json('PUT', `${tenant}/thing-groups/nowhere/things/agent-1`)).status, 404);
    assert.equal((await harness.json('PUT', `${tenant}/thing-groups/berlin/things/nobody`)).status, 404);
    assert.equal((await harness.json('GET', `${tenant}/thing-groups/nowhere/things`)).status, 404);

    for (let n = 1; n <= 9; n++) {
      await harness.json('PUT', `${tenant}/thing-groups/g${n}`);
      assert.equal((await harness.json('PUT', `${tenant}/thing-groups/g${n}/things/agent-1`)).status, 200);
    }
    await harness.json('PUT', `${tenant}/thing-groups/g10`);
    const eleventh = await harness.json('PUT', `${tenant}/thing-groups/g10/things/agent-1`);
    assert.equal(eleventh.status, 409);
    assert.match(String(eleventh.body['message']), /already in 10 thing groups, the limit/);
    assert.equal((await harness.json('DELETE', `${tenant}/thing-groups/g1/things/agent-1`)).body['changed'], true);
    assert.equal((await harness.json('DELETE', `${tenant}/thing-groups/g1/things/agent-1`)).body['changed'], false);
    assert.equal((await harness.json('PUT', `${tenant}/thing-groups/g10/things/agent-1`)).status, 200);
    await harness.json('DELETE', `${tenant}/thing-groups/g10`);
    assert.equal(((await harness.json('GET', `${tenant}/things/agent-1`)).body['thingGroups'] as string[]).includes('g10'), false, 'a deleted group lets its things go');

    const merged = await harness.json('PUT', `${tenant}/thing-groups/sites`, { attributePayload: { attributes: { tier: '', owner: 'ops' }, merge: true }, expectedVersion: 1 });
    assert.deepEqual([merged.status, merged.body['attributes'], merged.body['version']], [200, { region: 'eu', owner: 'ops' }, 2]);
    const kept = await harness.json('PUT', `${tenant}/thing-groups/sites`, { description: 'All sites' });
    assert.deepEqual([kept.body['attributes'], kept.body['version']], [{ region: 'eu', owner: 'ops' }, 3], 'attributes stay when not given');
    const stale = await harness.json('PUT', `${tenant}/thing-groups/sites`, { expectedVersion: 1 });
    assert.deepEqual(stale.body, { code: 'VERSION_CONFLICT', message: 'Cannot update thing group "sites": expected version 1, but the current version is 3; read it again' });
    assert.equal((await harness.json('PUT', `${tenant}/thing-groups/fresh`, { expectedVersion: 1 })).status, 404, 'expectedVersion names a group that exists');
  });
  test('the name lists page by ?limit= and ?cursor= (thing types, billing groups and the things of a billing group or thing group)', async () => {
    const paging = '/v1/tenants/paging';
    await harness.json('POST', '/v1/tenants', { id: 'paging' });
    await harness.json('PUT', `${paging}/thing-groups/site`);
    await harness.json('POST', `${paging}/billing-groups/bill`, {});
    for (const n of [1, 2, 3]) {
      await harness.json('POST', `${paging}/thing-types/type-${n}`, {});
      await harness.json('POST', `${paging}/billing-groups/group-${n}`, {});
      await harness.json('POST', `${paging}/things/agent-${n}`, {});
      await harness.json('PUT', `${paging}/thing-groups/site/things/agent-${n}`);
      await harness.json('PUT', `${paging}/billing-groups/bill/things/agent-${n}`);
    }
    const pages = async (path: string, key: string): Promise<string[][]> => {
      const first = await harness.json('GET', `${path}?limit=2`);
      const cursor = String(first.body['nextCursor']);
      const second = await harness.json('GET', `${path}?limit=2&cursor=${encodeURIComponent(cursor)}`);
      assert.equal('nextCursor' in second.body, false, `${path}: the last page says so`);
      return [first, second].map((page) => (page.body['items'] as Array<Record<string, string>>).map((item) => String(item[key])));
    };
    assert.deepEqual(await pages(`${paging}/thing-types`, 'thingTypeName'), [['type-1', 'type-2'], ['type-3']]);
    assert.deepEqual(await pages(`${paging}/billing-groups`, 'billingGroupName'), [['bill', 'group-1'], ['group-2', 'group-3']]);
    assert.deepEqual(await pages(`${paging}/billing-groups/bill/things`, 'thingName'), [['agent-1', 'agent-2'], ['agent-3']]);
    assert.deepEqual(await pages(`${paging}/thing-groups/site/things`, 'thingName'), [['agent-1', 'agent-2'], ['agent-3']]);
  });
});
