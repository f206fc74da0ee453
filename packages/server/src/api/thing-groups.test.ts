/** `/v1/tenants/{tenant}/thing-groups` against a real admin API on loopback. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startIdentityAdminApiHarness, type IdentityAdminApiHarness } from './admin-api-harness.js';

describe('thing groups API', () => {
  let harness: IdentityAdminApiHarness;
  const base = '/v1/tenants/acme/thing-groups';
  const json = async (answer: Response): Promise<Record<string, unknown>> => (await answer.json()) as Record<string, unknown>;

  before(async () => {
    harness = await startIdentityAdminApiHarness();
  });
  after(() => harness.close());

  test('PUT creates (201) and replaces (200) groups under a parent; GET shows and lists them', async () => {
    const root = await harness.send('PUT', `${base}/sites`, { description: 'All sites' });
    assert.equal(root.status, 201);
    assert.deepEqual(Object.keys(await json(root)).sort(), ['attributes', 'createdAt', 'description', 'name', 'tenant', 'thingGroupArn', 'thingGroupId', 'updatedAt', 'version']);
    assert.equal((await harness.send('PUT', `${base}/berlin`, { parent: 'sites' })).status, 201);
    const shown = await json(await harness.request(`${base}/berlin`));
    assert.equal(shown['parent'], 'sites');
    assert.equal((await harness.identity.getThingGroup('acme', 'berlin'))?.parent, 'sites');

    const moved = await harness.send('PUT', `${base}/berlin`);
    assert.equal(moved.status, 200);
    assert.equal('parent' in (await json(moved)), false, 'a PUT without parent makes it a root');
    const list = await json(await harness.request(base));
    assert.deepEqual((list['items'] as Array<{ name: string }>).map((group) => group.name), ['berlin', 'sites']);
    assert.equal((await harness.request('/v1/tenants/globex/thing-groups/sites')).status, 404, 'another tenant does not see it');
    const audit = await harness.identity.listAudit({ limit: 10, tenant: 'acme' });
    assert.deepEqual(audit.items.map((entry) => entry.action), ['thing-group.update', 'thing-group.create', 'thing-group.create']);
  });

  test('refuses a missing parent and a cycle (400), deleting a parent (409), bad names (400) and a missing group (404)', async () => {
    const orphan = await harness.send('PUT', `${base}/orphan`, { parent: 'nowhere' });
    assert.equal(orphan.status, 400);
    assert.match(String((await json(orphan))['message']), /parent group "nowhere" does not exist in tenant "acme"/);
    await harness.send('PUT', `${base}/a`);
    await harness.send('PUT', `${base}/b`, { parent: 'a' });
    const cycle = await harness.send('PUT', `${base}/a`, { parent: 'b' });
    assert.equal(cycle.status, 400);
    assert.match(String((await json(cycle))['message']), /would make a cycle/);
    const parent = await harness.send('DELETE', `${base}/a`);
    assert.equal(parent.status, 409);
    assert.match(String((await json(parent))['message']), /it is the parent of "b"/);
    assert.equal((await harness.send('PUT', `${base}/has space`)).status, 400);
    assert.equal((await harness.send('PUT', `${base}/x`, { parent: 'a', color: 'red' })).status, 400);
    assert.equal((await harness.send('DELETE', `${base}/b`)).status, 204);
    assert.equal((await harness.send('DELETE', `${base}/b`)).status, 404);
    assert.equal((await harness.send('DELETE', `${base}/a`)).status, 204);
  });
});
