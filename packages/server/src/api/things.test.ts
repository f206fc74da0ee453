/** `/v1/tenants/{tenant}/things` (AWS's CreateThing, UpdateThing, DeleteThing, ListThings) against a real admin API on loopback. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startRegistryAdminApiHarness, type RegistryAdminApiHarness } from './registry-api-harness.js';

describe('things API', () => {
  let harness: RegistryAdminApiHarness;
  const base = '/v1/tenants/acme/things';

  before(async () => {
    harness = await startRegistryAdminApiHarness();
    await harness.json('POST', '/v1/tenants', { id: 'acme' });
    await harness.json('POST', '/v1/tenants/acme/thing-types/camera', { thingTypeProperties: { searchableAttributes: ['site'] } });
    await harness.json('POST', '/v1/tenants/acme/thing-types/old', {});
    await harness.json('POST', '/v1/tenants/acme/thing-types/old/deprecate', {});
  });
  after(() => harness.close());

  test('CreateThing: 201 with AWS fields, 200 when repeated alike, 409 otherwise; refuses a missing tenant, type or billing group and a deprecated type', async () => {
    const created = await harness.json('POST', `${base}/cam-1`, { thingTypeName: 'camera', attributePayload: { attributes: { site: 'lyon', fw: '1.2' } } });
    assert.equal(created.status, 201);
    assert.match(String(created.body['thingId']), /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...created.body, thingId: '', createdAt: '', updatedAt: '' }, {
      tenant: 'acme', thingName: 'cam-1', thingId: '', thingArn: 'arn:gatehouse:iot::acme:thing/cam-1', thingTypeName: 'camera',
      attributes: { site: 'lyon', fw: '1.2' }, version: 1, thingGroups: [], defaultClientId: 'cam-1', createdAt: '', updatedAt: '',
    });
    const again = await harness.json('POST', `${base}/cam-1`, { thingTypeName: 'camera', attributePayload: { attributes: { fw: '1.2', site: 'lyon' } } });
    assert.equal(again.status, 200);
    assert.equal(again.body['thingId'], created.body['thingId'], 'the same thing');
    const different = await harness.json('POST', `${base}/cam-1`, { attributePayload: { attributes: { site: 'paris' } } });
    assert.equal(different.status, 409);
    assert.equal(different.body['message'], 'Cannot create thing "cam-1": a thing of that name exists with another type, attributes or billing group; update it instead');

    assert.equal((await harness.json('POST', '/v1/tenants/nowhere/things/x', {})).status, 404);
    assert.deepEqual((await harness.json('POST', `${base}/x`, { thingTypeName: 'nope' })).body, { code: 'NOT_FOUND', message: 'Thing type "nope" was not found' });
    assert.deepEqual((await harness.json('POST', `${base}/x`, { thingTypeName: 'old' })).body, {
      code: 'BAD_REQUEST', message: 'Invalid request: Cannot create thing "x": thing type "old" is deprecated; undeprecate it or choose another',
    });
    assert.equal((await harness.json('POST', `${base}/x`, { billingGroupName: 'nope' })).status, 404);
    assert.equal((await harness.json('POST', `${base}/has space`, {})).status, 400);
    assert.equal((await harness.json('POST', `${base}/x`, { attributePayload: { attributes: { 'bad name!': 'v' } } })).status, 400);
    assert.equal((await harness.json('POST', `${base}/x`, { attributePayload: { attributes: { ok: 'bad value!' } } })).status, 400);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, n) => [`a${n}`, 'v']));
    assert.match(String((await harness.json('POST', `${base}/x`, { attributePayload: { attributes: many } })).body['message']), /51 attributes are more than the limit of 50/);
    assert.equal(await harness.identity.getThing('acme', 'x'), undefined, 'nothing refused was created');
    assert.equal((await harness.json('POST', `${base}/plain`)).status, 201, 'no body at all');
  });

  test('UpdateThing: replace or merge attributes (empty or null removes), change or remove the type, one version per update, expectedVersion', async () => {
    await harness.json('POST', `${base}/upd-1`, { attributePayload: { attributes: { a: '1', b: '2', c: '3' } } });
    const merged = await harness.json('PATCH', `${base}/upd-1`, { attributePayload: { attributes: { a: '10', b: '', c: null, d: '4' }, merge: true } });
    assert.equal(merged.status, 200);
    assert.deepEqual(merged.body['attributes'], { a: '10', d: '4' });
    assert.equal(merged.body['version'], 2);
    const replaced = await harness.json('PATCH', `${base}/upd-1`, { attributePayload: { attributes: { z: '26' } }, thingTypeName: 'camera' });
    assert.deepEqual([replaced.body['attributes'], replaced.body['thingTypeName'], replaced.body['version']], [{ z: '26' }, 'camera', 3]);
    const stale = await harness.json('PATCH', `${base}/upd-1`, { removeThingType: true, expectedVersion: 2 });
    assert.deepEqual(stale, { status: 409, body: { code: 'VERSION_CONFLICT', message: 'Cannot update thing "upd-1": expected version 2, but the current version is 3; read it again' } });
    const untyped = await harness.json('PATCH', `${base}/upd-1`, { removeThingType: true, expectedVersion: 3 });
    assert.equal(untyped.status, 200);
    assert.equal('thingTypeName' in untyped.body, false);
    assert.equal(untyped.body['version'], 4);
    assert.equal((await harness.json('PATCH', `${base}/upd-1`, { removeThingType: true, thingTypeName: 'camera' })).status, 400);
    assert.equal((await harness.json('PATCH', `${base}/upd-1`, { thingTypeName: 'old' })).status, 400, 'a deprecated type is not given');
    assert.equal((await harness.json('PATCH', `${base}/nobody`, {})).status, 404);
    assert.equal((await harness.identity.getThing('acme', 'upd-1'))?.version, 4, 'refused updates change nothing');
    const audit = await harness.identity.listAudit({ tenant: 'acme', limit: 3 });
    assert.deepEqual(audit.items.map((entry) => [entry.action, entry.target]), [['thing.update', 'thing/upd-1'], ['thing.update', 'thing/upd-1'], ['thing.update', 'thing/upd-1']]);
  });

  test('DeleteThing: optimistic with ?expectedVersion=, and no error for a thing that does not exist', async () => {
    await harness.json('POST', `${base}/del-1`, {});
    await harness.json('PATCH', `${base}/del-1`, { attributePayload: { attributes: { x: 'y' } } });
    const stale = await harness.json('DELETE', `${base}/del-1?expectedVersion=1`);
    assert.equal(stale.status, 409);
    assert.equal(stale.body['code'], 'VERSION_CONFLICT');
    assert.equal((await harness.json('DELETE', `${base}/del-1?expectedVersion=2`)).status, 204);
    assert.equal((await harness.json('GET', `${base}/del-1`)).status, 404);
    assert.equal((await harness.json('DELETE', `${base}/del-1`)).status, 204, 'AWS answers success for a missing thing');
  });

  test('ListThings filters by type, attribute value or prefix, group (recursive) and billing group, and pages', async () => {
    const tenant = '/v1/tenants/listing';
    await harness.json('POST', '/v1/tenants', { id: 'listing' });
    await harness.json('POST', `${tenant}/thing-types/camera`, {});
    await harness.json('PUT', `${tenant}/thing-groups/sites`, {});
    await harness.json('PUT', `${tenant}/thing-groups/berlin`, { parent: 'sites' });
    await harness.json('POST', `${tenant}/billing-groups/eu`, {});
    await harness.json('POST', `${tenant}/things/t1`, { thingTypeName: 'camera', attributePayload: { attributes: { site: 'berlin-1' } }, billingGroupName: 'eu' });
    await harness.json('POST', `${tenant}/things/t2`, { attributePayload: { attributes: { site: 'berlin-2' } } });
    await harness.json('POST', `${tenant}/things/t3`, { attributePayload: { attributes: { site: 'bern' } } });
    await harness.json('PUT', `${tenant}/thing-groups/sites/things/t3`);
    await harness.json('PUT', `${tenant}/thing-groups/berlin/things/t2`);
    const list = async (query: string): Promise<string[]> => {
      const answer = await harness.json('GET', `${tenant}/things${query}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return (answer.body['items'] as Array<{ thingName: string }>).map((thing) => thing.thingName);
    };
    assert.deepEqual(await list(''), ['t1', 't2', 't3']);
    assert.deepEqual(await list('?thingTypeName=camera'), ['t1']);
    assert.deepEqual(await list('?attributeName=site&attributeValue=bern'), ['t3']);
    assert.deepEqual(await list('?attributeName=site&attributeValue=ber&usePrefixAttributeValue=true'), ['t1', 't2', 't3']);
    assert.deepEqual(await list('?attributeName=site&attributeValue=berlin-&usePrefixAttributeValue=true'), ['t1', 't2']);
    assert.deepEqual(await list('?thingGroupName=sites'), ['t3']);
    assert.deepEqual(await list('?thingGroupName=sites&recursive=true'), ['t2', 't3']);
    assert.deepEqual(await list('?billingGroupName=eu'), ['t1']);
    const first = await harness.json('GET', `${tenant}/things?limit=2`);
    assert.equal(first.body['nextCursor'], 't2');
    assert.deepEqual(await list(`?limit=2&cursor=${String(first.body['nextCursor'])}`), ['t3']);
    assert.equal((await harness.json('GET', `${tenant}/things?attributeValue=bern`)).status, 400);
    assert.equal((await harness.json('GET', `${tenant}/things?limit=0`)).status, 400);
    assert.deepEqual((await harness.json('GET', `${tenant}/things/t2/thing-groups`)).body, { items: [{ groupName: 'berlin', groupArn: 'arn:gatehouse:iot::listing:thinggroup/berlin' }] });
    assert.deepEqual(await list('?thingGroupName=sites&recursive=true').then(() => harness.json('GET', '/v1/tenants/acme/things?thingGroupName=sites')).then((answer) => answer.body['items']), [], 'another tenant sees none of them');
  });

  test('bulk create answers each thing on its own', async () => {
    const answer = await harness.json('POST', `${base}/bulk`, {
      things: [
        { thingName: 'bulk-1', attributePayload: { attributes: { n: '1' } } },
        { thingName: 'bulk-2', thingTypeName: 'nope' },
        { thingName: 'bulk-1', attributePayload: { attributes: { n: '1' } } },
        { thingName: 'bulk-1', attributePayload: { attributes: { n: '2' } } },
        { thingName: 'bulk-3', thingTypeName: 'camera' },
      ],
    });
    assert.equal(answer.status, 200);
    const results = answer.body['results'] as Array<{ thingName: string; status: number; thingId?: string; error?: { code: string } }>;
    assert.deepEqual(results.map((result) => [result.thingName, result.status, result.error?.code]), [
      ['bulk-1', 201, undefined], ['bulk-2', 404, 'NOT_FOUND'], ['bulk-1', 200, undefined], ['bulk-1', 409, 'CONFLICT'], ['bulk-3', 201, undefined],
    ]);
    assert.equal(results[0]?.thingId, (await harness.identity.getThing('acme', 'bulk-1'))?.thingId);
    assert.equal(await harness.identity.getThing('acme', 'bulk-2'), undefined);
    assert.equal((await harness.json('POST', `${base}/bulk`, { things: [] })).status, 400);
  });
});
