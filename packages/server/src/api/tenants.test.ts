/** `/v1/tenants` against a real admin API on loopback. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startIdentityAdminApiHarness, type IdentityAdminApiHarness } from './admin-api-harness.js';

describe('tenants API', () => {
  let harness: IdentityAdminApiHarness;

  before(async () => {
    harness = await startIdentityAdminApiHarness();
  });
  after(() => harness.close());

  test('POST creates (201), a taken id is 409; GET shows it; the list pages by id', async () => {
    const created = await harness.send('POST', '/v1/tenants', { id: 'acme', name: 'ACME Corp.' });
    assert.equal(created.status, 201);
    const body = (await created.json()) as Record<string, unknown>;
    assert.equal(body['id'], 'acme');
    assert.equal(body['name'], 'ACME Corp.');
    assert.equal(body['status'], 'ACTIVE');
    assert.match(String(body['createdAt']), /^\d{4}-\d\d-\d\dT/);
    assert.equal((await harness.identity.getTenant('acme'))?.name, 'ACME Corp.');

    const again = await harness.send('POST', '/v1/tenants', { id: 'acme' });
    assert.equal(again.status, 409);
    assert.deepEqual(await again.json(), { code: 'CONFLICT', message: 'Cannot create tenant "acme": it already exists' });

    assert.equal((await harness.send('POST', '/v1/tenants', { id: 'globex', status: 'SUSPENDED' })).status, 201);
    const shown = (await (await harness.request('/v1/tenants/globex')).json()) as Record<string, unknown>;
    assert.equal(shown['status'], 'SUSPENDED');
    assert.equal('name' in shown, false);

    const first = (await (await harness.request('/v1/tenants?limit=1')).json()) as { items: Array<{ id: string }>; nextCursor?: string };
    assert.deepEqual(first.items.map((t) => t.id), ['acme']);
    assert.equal(first.nextCursor, 'acme');
    const second = (await (await harness.request('/v1/tenants?limit=1&cursor=acme')).json()) as { items: Array<{ id: string }>; nextCursor?: string };
    assert.deepEqual(second.items.map((t) => t.id), ['globex']);
  });

  test('POST refuses a bad id or an unknown field (400); GET of a missing tenant is 404', async () => {
    const bad = await harness.send('POST', '/v1/tenants', { id: 'no spaces' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /body\.id must match pattern/);
    assert.equal((await harness.send('POST', '/v1/tenants', { id: 'x', owner: 'me' })).status, 400);
    assert.equal((await harness.send('POST', '/v1/tenants', { id: 'x', status: 'GONE' })).status, 400);
    const missing = await harness.request('/v1/tenants/nobody');
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { code: 'NOT_FOUND', message: 'Tenant "nobody" was not found' });
  });

  test('PATCH renames, suspends and removes the name; absent fields stay', async () => {
    assert.equal((await harness.send('POST', '/v1/tenants', { id: 'initech', name: 'Initech' })).status, 201);
    const suspended = (await (await harness.send('PATCH', '/v1/tenants/initech', { status: 'SUSPENDED' })).json()) as Record<string, unknown>;
    assert.equal(suspended['status'], 'SUSPENDED');
    assert.equal(suspended['name'], 'Initech');
    const renamed = (await (await harness.send('PATCH', '/v1/tenants/initech', { name: 'Initech Ltd.' })).json()) as Record<string, unknown>;
    assert.equal(renamed['name'], 'Initech Ltd.');
    assert.equal(renamed['status'], 'SUSPENDED');
    const unnamed = (await (await harness.send('PATCH', '/v1/tenants/initech', { name: null, status: 'ACTIVE' })).json()) as Record<string, unknown>;
    assert.equal('name' in unnamed, false);
    assert.equal(unnamed['status'], 'ACTIVE');
    const stored = await harness.identity.getTenant('initech');
    assert.equal(stored?.status, 'ACTIVE');
    assert.equal(stored !== undefined && 'name' in stored, false, 'the stored record has no name either');
    assert.equal((await harness.send('PATCH', '/v1/tenants/nobody', { status: 'ACTIVE' })).status, 404);
  });

  test('DELETE refuses while certificates or things remain (409, naming them) and for the default tenant; then 204, then 404', async () => {
    assert.equal((await harness.send('POST', '/v1/tenants', { id: 'hooli' })).status, 201);
    await harness.identity.putThing({ tenant: 'hooli', name: 'agent-1', attributes: {}, groups: [], version: 1, createdAt: 1, updatedAt: 1 });
    const refused = await harness.send('DELETE', '/v1/tenants/hooli');
    assert.equal(refused.status, 409);
    assert.deepEqual(await refused.json(), { code: 'CONFLICT', message: 'Cannot delete tenant "hooli": it still has 1 thing; delete them first' });
    assert.ok(await harness.identity.getTenant('hooli'));

    await harness.identity.deleteThing('hooli', 'agent-1');
    assert.equal((await harness.send('DELETE', '/v1/tenants/hooli')).status, 204);
    assert.equal(await harness.identity.getTenant('hooli'), undefined);
    assert.equal((await harness.send('DELETE', '/v1/tenants/hooli')).status, 404);

    await harness.identity.createTenant({ id: 'default', status: 'ACTIVE', createdAt: 1, updatedAt: 1 });
    const defaultTenant = await harness.send('DELETE', '/v1/tenants/default');
    assert.equal(defaultTenant.status, 409);
    assert.match(((await defaultTenant.json()) as { message: string }).message, /^Cannot delete tenant "default": it is the default tenant/);
  });

  test('the routes need the admin key and appear in the OpenAPI document', async () => {
    assert.equal((await harness.request('/v1/tenants', { key: null })).status, 401);
    const openapi = (await (await harness.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(openapi.paths['/v1/tenants/{tenant}'] ?? {}).sort(), ['delete', 'get', 'patch']);
    assert.deepEqual(Object.keys(openapi.paths['/v1/tenants'] ?? {}).sort(), ['get', 'post']);
  });
});
