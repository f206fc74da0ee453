/** `/v1/tenants/{tenant}/policies`, their versions and attachments, against a real admin API on loopback. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startIdentityAdminApiHarness, type IdentityAdminApiHarness } from './admin-api-harness.js';

const documentFor = (topic: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `arn:aws:iot:*:*:topic/${topic}/\${iot:Connection.Thing.ThingName}/*` }],
});
const certificateId = 'ab'.repeat(32);

describe('policies API', () => {
  let harness: IdentityAdminApiHarness;
  const base = '/v1/tenants/acme/policies';
  const json = async (answer: Response): Promise<Record<string, unknown>> => (await answer.json()) as Record<string, unknown>;

  before(async () => {
    harness = await startIdentityAdminApiHarness();
    await harness.identity.createTenant({ id: 'acme', status: 'ACTIVE', createdAt: 1, updatedAt: 1 });
    await harness.identity.createTenant({ id: 'globex', status: 'ACTIVE', createdAt: 1, updatedAt: 1 });
    await harness.identity.putCertificate({
      id: certificateId, tenant: 'acme', status: 'ACTIVE', certificatePem: 'PEM', caId: 'cd'.repeat(32), serialNumber: '01', subject: 'CN=agent-1',
      notBefore: 1, notAfter: 2, issuedBy: 'gatehouse', createdAt: 1, updatedAt: 1,
    });
  });
  after(() => harness.close());

  test('PUT creates version 1 (201) from an object or AWS\'s JSON text; later PUTs add versions, the default only with setAsDefault', async () => {
    const created = await harness.send('PUT', `${base}/agent`, { policyDocument: documentFor('v1') });
    assert.equal(created.status, 201);
    const body = await json(created);
    assert.equal(body['defaultVersionId'], 1);
    assert.equal(body['createdVersionId'], 1);
    assert.deepEqual(JSON.parse(String(body['policyDocument'])), documentFor('v1'));
    assert.deepEqual((body['versions'] as Array<{ versionId: number; isDefault: boolean }>).map((v) => [v.versionId, v.isDefault]), [[1, true]]);

    const second = await harness.send('PUT', `${base}/agent`, { policyDocument: JSON.stringify(documentFor('v2'), null, 2) });
    assert.equal(second.status, 200);
    const secondBody = await json(second);
    assert.equal(secondBody['createdVersionId'], 2);
    assert.equal(secondBody['defaultVersionId'], 1, 'not the default unless asked');
    assert.equal((await harness.identity.getPolicyVersion('acme', 'agent', 2))?.document, JSON.stringify(documentFor('v2'), null, 2), 'JSON text is kept exactly');

    const third = await json(await harness.send('PUT', `${base}/agent`, { policyDocument: documentFor('v3'), setAsDefault: true }));
    assert.equal(third['defaultVersionId'], 3);
    assert.deepEqual(JSON.parse(String(third['policyDocument'])), documentFor('v3'));

    const shown = await json(await harness.request(`${base}/agent`));
    assert.deepEqual((shown['versions'] as Array<{ versionId: number; isDefault: boolean }>).map((v) => [v.versionId, v.isDefault]), [[1, false], [2, false], [3, true]]);
    assert.equal('createdVersionId' in shown, false);
    const version = await json(await harness.request(`${base}/agent/versions/2`));
    assert.equal(version['isDefault'], false);
    assert.equal(version['policyDocument'], JSON.stringify(documentFor('v2'), null, 2));

    const list = (await json(await harness.request(base)))['items'] as Array<Record<string, unknown>>;
    assert.deepEqual(list.map((p) => [p['name'], p['defaultVersionId']]), [['agent', 3]]);
    assert.equal('versions' in list[0]!, false);
    assert.deepEqual((await json(await harness.request('/v1/tenants/globex/policies')))['items'], []);
  });

  test('a bad document is 400 POLICY_INVALID naming its path, and nothing is saved', async () => {
    const typo = await harness.send('PUT', `${base}/broken`, { policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publsh', Resource: '*' }] } });
    assert.equal(typo.status, 400);
    const error = await json(typo);
    assert.equal(error['code'], 'POLICY_INVALID');
    assert.match(String(error['message']), /^Invalid policy document: Statement\[0\]\.Action: /);
    assert.match(String(error['message']), /iot:Publsh/);
    assert.equal(await harness.identity.getPolicy('acme', 'broken'), undefined);

    const notJson = await harness.send('PUT', `${base}/broken`, { policyDocument: '{"Statement": ' });
    assert.equal(notJson.status, 400);
    assert.match(String((await json(notJson))['message']), /not valid JSON/);
    // A bad new version leaves the policy as it was.
    const badVersion = await harness.send('PUT', `${base}/agent`, { policyDocument: { Statement: [{ Effect: 'Maybe', Action: 'iot:Connect', Resource: '*' }] } });
    assert.equal(badVersion.status, 400);
    assert.match(String((await json(badVersion))['message']), /Statement\[0\]\.Effect/);
    assert.equal((await harness.identity.listPolicyVersions('acme', 'agent')).length, 3);

    assert.equal((await harness.send('PUT', `${base}/has space`, { policyDocument: documentFor('x') })).status, 400);
    assert.equal((await harness.send('PUT', `${base}/x`, { policyDocument: documentFor('x'), default: true })).status, 400);
    const noTenant = await harness.send('PUT', '/v1/tenants/nobody/policies/x', { policyDocument: documentFor('x') });
    assert.equal(noTenant.status, 404);
    assert.equal((await json(noTenant))['message'], 'Tenant "nobody" was not found');
  });

  test('a sixth version is 409 VERSIONS_LIMIT_EXCEEDED; the default version cannot be deleted; another can, and a version can become the default', async () => {
    await harness.send('PUT', `${base}/agent`, { policyDocument: documentFor('v4') });
    await harness.send('PUT', `${base}/agent`, { policyDocument: documentFor('v5') });
    const sixth = await harness.send('PUT', `${base}/agent`, { policyDocument: documentFor('v6'), setAsDefault: true });
    assert.equal(sixth.status, 409);
    assert.deepEqual(await sixth.json(), {
      code: 'VERSIONS_LIMIT_EXCEEDED',
      message: 'Cannot create a version of policy "agent": the policy agent already has the maximum number of versions (5); delete a version that is not the default first',
    });

    const deleteDefault = await harness.send('DELETE', `${base}/agent/versions/3`);
    assert.equal(deleteDefault.status, 409);
    assert.match(String((await json(deleteDefault))['message']), /^Cannot delete version 3 of policy "agent": it is the default version/);
    assert.equal((await harness.send('DELETE', `${base}/agent/versions/1`)).status, 204);
    const gone = await harness.send('DELETE', `${base}/agent/versions/1`);
    assert.equal(gone.status, 404);
    assert.equal((await json(gone))['message'], 'Policy "agent" version "1" was not found');
    assert.equal((await harness.request(`${base}/agent/versions/1`)).status, 404);
    assert.equal((await json(await harness.request(`${base}/missing/versions/1`)))['message'], 'Policy "missing" was not found');

    const madeDefault = await json(await harness.send('POST', `${base}/agent/versions/5/default`));
    assert.equal(madeDefault['defaultVersionId'], 5);
    assert.deepEqual(JSON.parse(String(madeDefault['policyDocument'])), documentFor('v5'));
    assert.equal((await harness.identity.getPolicy('acme', 'agent'))?.version, 5);
    assert.equal((await harness.send('POST', `${base}/agent/versions/9/default`)).status, 404);
    assert.equal((await harness.send('PUT', `${base}/agent`, { policyDocument: documentFor('v6') })).status, 200, 'room again after a delete');
    assert.equal((await harness.identity.getPolicyVersion('acme', 'agent', 6))?.versionId, 6);
  });

  test('attaches to a certificate, a thing group and the tenant; lists targets and attached policies; refuses what cannot belong to the tenant', async () => {
    assert.equal((await harness.send('PUT', `${base}/agent/targets/certificate/${certificateId.toUpperCase()}`)).status, 204);
    assert.equal((await harness.send('PUT', `${base}/agent/targets/certificate/${certificateId}`)).status, 204, 'attaching twice changes nothing');
    assert.equal((await harness.send('PUT', `${base}/agent/targets/thing-group/lab`)).status, 204);
    assert.equal((await harness.send('PUT', `${base}/agent/targets/tenant/acme`)).status, 204);
    assert.deepEqual(await harness.identity.listPolicyTargets('acme', 'agent'), [
      { kind: 'certificate', id: certificateId }, { kind: 'tenant', id: 'acme' }, { kind: 'thing-group', id: 'lab' },
    ]);
    assert.deepEqual((await json(await harness.request(`${base}/agent/targets`)))['items'], [
      { kind: 'certificate', id: certificateId }, { kind: 'tenant', id: 'acme' }, { kind: 'thing-group', id: 'lab' },
    ]);

    const attached = (await json(await harness.request(`/v1/tenants/acme/attached-policies?certificate=${certificateId}`)))['items'] as Array<Record<string, unknown>>;
    assert.deepEqual(attached.map((p) => [p['name'], p['defaultVersionId']]), [['agent', 5]]);
    assert.equal(((await json(await harness.request('/v1/tenants/acme/attached-policies?thingGroup=lab')))['items'] as unknown[]).length, 1);
    assert.equal(((await json(await harness.request('/v1/tenants/acme/attached-policies?tenant=1')))['items'] as unknown[]).length, 1);
    assert.deepEqual((await json(await harness.request('/v1/tenants/acme/attached-policies?thingGroup=other')))['items'], []);
    const both = await harness.request(`/v1/tenants/acme/attached-policies?thingGroup=lab&tenant=1`);
    assert.equal(both.status, 400);
    assert.match(String((await json(both))['message']), /exactly one of certificate, thingGroup and tenant=1/);
    assert.equal((await harness.request('/v1/tenants/acme/attached-policies')).status, 400);

    const unknownCertificate = await harness.send('PUT', `${base}/agent/targets/certificate/${'ef'.repeat(32)}`);
    assert.equal(unknownCertificate.status, 404);
    assert.equal((await harness.send('PUT', `/v1/tenants/globex/policies/agent/targets/certificate/${certificateId}`)).status, 404, "another tenant's certificate");
    const otherTenant = await harness.send('PUT', `${base}/agent/targets/tenant/globex`);
    assert.equal(otherTenant.status, 400);
    assert.match(String((await json(otherTenant))['message']), /attaches only to its own tenant/);
    assert.equal((await harness.send('PUT', `${base}/missing/targets/thing-group/lab`)).status, 404);
    assert.equal((await harness.send('PUT', `${base}/agent/targets/thing/lab`)).status, 400);
  });

  test('refuses to delete an attached policy (409, naming the targets); detached, it goes with its versions', async () => {
    const refused = await harness.send('DELETE', `${base}/agent`);
    assert.equal(refused.status, 409);
    assert.equal((await json(refused))['message'], `Cannot delete policy "agent": it is attached to 3 targets (certificate ${certificateId}, tenant acme, thing-group lab); detach it first`);
    assert.ok(await harness.identity.getPolicy('acme', 'agent'));

    assert.equal((await harness.send('DELETE', `${base}/agent/targets/certificate/${certificateId}`)).status, 204);
    const again = await harness.send('DELETE', `${base}/agent/targets/certificate/${certificateId}`);
    assert.equal(again.status, 404);
    assert.equal((await json(again))['message'], `Policy "agent" attachment "certificate/${certificateId}" was not found`);
    assert.equal((await harness.send('DELETE', `${base}/agent/targets/thing-group/lab`)).status, 204);
    assert.equal((await harness.send('DELETE', `${base}/agent/targets/tenant/acme`)).status, 204);

    assert.equal((await harness.send('DELETE', `${base}/agent`)).status, 204);
    assert.equal(await harness.identity.getPolicy('acme', 'agent'), undefined);
    assert.deepEqual(await harness.identity.listPolicyVersions('acme', 'agent'), []);
    assert.equal((await harness.send('DELETE', `${base}/agent`)).status, 404);
    assert.equal((await harness.request(`${base}/agent`)).status, 404);
    assert.equal((await harness.request(`${base}/agent/targets`)).status, 404);
    assert.equal((await harness.send('DELETE', `${base}/agent/targets/thing-group/lab`)).status, 404);
  });

  test('every change reaches the policy change feed, the detach and the delete included', async () => {
    const feed = await harness.identity.listPolicyChanges(0, 1000);
    const kinds = feed.filter((entry) => entry.name === 'agent').map((entry) => entry.kind);
    assert.ok(kinds.filter((kind) => kind === 'attachment').length >= 6, 'three attaches and three detaches');
    assert.equal(feed.at(-1)?.kind, 'policy', 'the delete is last');
  });

  test('the routes need the admin key and appear in the OpenAPI document', async () => {
    assert.equal((await harness.request(base, { key: null })).status, 401);
    const openapi = (await (await harness.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(openapi.paths['/v1/tenants/{tenant}/policies/{name}'] ?? {}).sort(), ['delete', 'get', 'put']);
    assert.deepEqual(Object.keys(openapi.paths['/v1/tenants/{tenant}/policies/{name}/versions/{versionId}'] ?? {}).sort(), ['delete', 'get']);
    assert.ok(openapi.paths['/v1/tenants/{tenant}/policies/{name}/versions/{versionId}/default']?.['post']);
    assert.deepEqual(Object.keys(openapi.paths['/v1/tenants/{tenant}/policies/{name}/targets/{kind}/{id}'] ?? {}).sort(), ['delete', 'put']);
    assert.ok(openapi.paths['/v1/tenants/{tenant}/attached-policies']?.['get']);
  });
});
