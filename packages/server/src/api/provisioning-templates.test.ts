/** `/v1/tenants/{tenant}/provisioning-templates` against a real admin API on loopback. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryIdentityStore, MemoryStore } from '../store/index.js';
import { startAdminApiHarness, testIdentityServices, type AdminApiHarness } from './admin-api-harness.js';

const fleetTemplate = {
  Parameters: { ThingName: { Type: 'String' }, SerialNumber: { Type: 'String' } },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: { ThingName: { Ref: 'ThingName' }, AttributePayload: { serial: { Ref: 'SerialNumber' } }, ThingTypeName: { 'Fn::Join': ['', ['ThingPrefix_', { Ref: 'SerialNumber' }]] } },
    },
    certificate: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' } },
  },
  DeviceConfiguration: { FallbackUrl: 'https://example.com' },
};

describe('provisioning templates API', () => {
  let harness: AdminApiHarness;
  let identity: MemoryIdentityStore;
  const base = '/v1/tenants/acme/provisioning-templates';
  const put = (name: string, body: unknown) =>
    harness.request(`${base}/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    identity = new MemoryIdentityStore();
    await identity.open();
    harness = await startAdminApiHarness({
      store: new MemoryStore(),
      identity: await testIdentityServices(identity),
    });
  });
  after(async () => {
    await harness.close();
    await identity.close();
  });

  test('PUT creates (201) then replaces (200); GET shows it; the list is ordered by name', async () => {
    const created = await put('fleet', { templateBody: fleetTemplate });
    assert.equal(created.status, 201);
    const body = (await created.json()) as Record<string, unknown>;
    assert.equal(body['name'], 'fleet');
    assert.equal(body['tenant'], 'acme');
    assert.equal(body['enabled'], true);
    assert.deepEqual(body['templateBody'], fleetTemplate);

    // AWS's form: the body as JSON text.
    const replaced = await put('fleet', { templateBody: JSON.stringify(fleetTemplate), enabled: false, preProvisioningHook: { url: 'https://hooks.example.com/check' } });
    assert.equal(replaced.status, 200);
    const shown = (await (await harness.request(`${base}/fleet`)).json()) as Record<string, unknown>;
    assert.equal(shown['enabled'], false);
    assert.deepEqual(shown['templateBody'], fleetTemplate);
    assert.deepEqual(shown['preProvisioningHook'], { url: 'https://hooks.example.com/check' });
    assert.equal(shown['createdAt'], body['createdAt']);
    assert.equal((await identity.getTemplate('acme', 'fleet'))?.enabled, false);

    assert.equal((await put('another', { templateBody: { Resources: {} } })).status, 201);
    const list = (await (await harness.request(base)).json()) as { items: Array<{ name: string }> };
    assert.deepEqual(list.items.map((t) => t.name), ['another', 'fleet']);
    const otherTenant = (await (await harness.request('/v1/tenants/globex/provisioning-templates')).json()) as { items: unknown[] };
    assert.deepEqual(otherTenant.items, []);
  });

  test('PUT refuses a template with problems (400, every problem named by path) and saves nothing', async () => {
    const answer = await put('broken', {
      templateBody: {
        Resources: {
          thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'Serial' } } },
          policy: { Type: 'AWS::IoT::Policy', Properties: {} },
        },
      },
    });
    assert.equal(answer.status, 400);
    const error = (await answer.json()) as { code: string; message: string };
    assert.equal(error.code, 'TEMPLATE_INVALID');
    assert.match(error.message, /^Invalid provisioning template: 2 problems: /);
    assert.match(error.message, /Resources\.thing\.Properties\.ThingName: Ref to unknown parameter "Serial"/);
    assert.match(error.message, /Resources\.policy\.Properties: give PolicyName/);
    assert.equal(await identity.getTemplate('acme', 'broken'), undefined);

    const notJson = await put('broken', { templateBody: '{"Resources": ' });
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { message: string }).message, /templateBody is not JSON/);
    const badName = await put('no.dots', { templateBody: fleetTemplate });
    assert.equal(badName.status, 400);
    const unknownField = await put('x', { templateBody: fleetTemplate, enable: true });
    assert.equal(unknownField.status, 400);
  });

  test('DELETE answers 204, then 404; GET of a missing template is 404', async () => {
    assert.equal((await put('short-lived', { templateBody: { Resources: {} } })).status, 201);
    assert.equal((await harness.request(`${base}/short-lived`, { method: 'DELETE' })).status, 204);
    const again = await harness.request(`${base}/short-lived`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.deepEqual(await again.json(), { code: 'NOT_FOUND', message: 'Provisioning template "short-lived" was not found' });
    assert.equal((await harness.request(`${base}/short-lived`)).status, 404);
  });

  test('the routes need the admin key and appear in the OpenAPI document', async () => {
    assert.equal((await harness.request(base, { key: null })).status, 401);
    const openapi = (await (await harness.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(openapi.paths['/v1/tenants/{tenant}/provisioning-templates/{name}'] ?? {}).sort(), ['delete', 'get', 'put']);
    assert.ok(openapi.paths['/v1/tenants/{tenant}/provisioning-templates']?.['get']);
  });
});
