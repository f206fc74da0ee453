/** `/v1/tenants/{tenant}/things/{thing}/shadow[s]` against a real admin API on loopback. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startShadowApiHarness, type ShadowApiHarness } from './shadow/shadow-api-harness.js';

describe('shadows API', () => {
  let harness: ShadowApiHarness;
  const base = '/v1/tenants/acme/things/agent-7';
  const json = async (answer: Response): Promise<Record<string, unknown>> => (await answer.json()) as Record<string, unknown>;

  before(async () => {
    harness = await startShadowApiHarness();
    await harness.registerThing('acme', 'agent-7');
  });
  after(() => harness.close());

  test('POST updates with AWS\'s accepted body and publishes the MQTT events; GET returns the document with its delta', async () => {
    const updated = await harness.send('POST', `${base}/shadow`, { state: { desired: { interval: 10 } }, clientToken: 'admin-1' });
    assert.equal(updated.status, 200);
    const accepted = await json(updated);
    assert.deepEqual(accepted['state'], { desired: { interval: 10 } });
    assert.equal(accepted['version'], 1);
    assert.equal(accepted['clientToken'], 'admin-1');
    assert.deepEqual(harness.published.map((p) => p.topic), [
      '$tenants/acme/$aws/things/agent-7/shadow/update/accepted',
      '$tenants/acme/$aws/things/agent-7/shadow/update/delta',
      '$tenants/acme/$aws/things/agent-7/shadow/update/documents',
    ]);
    assert.deepEqual(harness.published[1]!.body['state'], { interval: 10 });

    const got = await json(await harness.send('GET', `${base}/shadow`));
    assert.deepEqual(got['state'], { desired: { interval: 10 }, delta: { interval: 10 } });
    assert.equal(got['version'], 1);
    assert.equal(typeof (got['metadata'] as { desired: { interval: { timestamp: unknown } } }).desired.interval.timestamp, 'number');
    const audit = await harness.identity.listAudit({ limit: 5, tenant: 'acme' });
    assert.deepEqual(audit.items.map((entry) => [entry.action, entry.target]), [['shadow.update', 'thing/agent-7/shadow']]);
  });

  test('errors are AWS bodies with the code as status: bad JSON 400, wrong version 409, unknown thing 404, missing shadow 404, bad names 400', async () => {
    const published = harness.published.length;
    const bad = await harness.send('POST', `${base}/shadow?name=config`, '{"state":');
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-amzn-errortype'), 'InvalidRequestException');
    const badBody = await json(bad);
    assert.deepEqual({ ...badBody, timestamp: 0 }, { code: 400, message: 'Invalid JSON', timestamp: 0 });

    const conflict = await harness.send('POST', `${base}/shadow`, { state: { reported: { a: 1 } }, version: 7, clientToken: 'c' });
    assert.equal(conflict.status, 409);
    assert.deepEqual({ ...(await json(conflict)), timestamp: 0 }, { code: 409, message: 'Version conflict', timestamp: 0, clientToken: 'c' });

    const unknown = await harness.send('POST', '/v1/tenants/acme/things/nobody/shadow', { state: { reported: { a: 1 } } });
    assert.equal(unknown.status, 404);
    assert.equal((await json(unknown))['message'], 'Thing not found');
    const otherTenant = await harness.send('GET', '/v1/tenants/globex/things/agent-7/shadow');
    assert.equal(otherTenant.status, 404, "acme's shadow is not globex's");
    assert.equal((await json(otherTenant))['message'], "No shadow exists with name: 'agent-7'");

    const missingNamed = await harness.send('GET', `${base}/shadow?name=firmware`);
    assert.equal(missingNamed.status, 404);
    assert.equal((await json(missingNamed))['message'], "No shadow exists with name: 'firmware'");
    assert.equal((await harness.send('GET', '/v1/tenants/acme/things/a%20b/shadow')).status, 400);
    assert.equal((await harness.send('GET', `${base}/shadow?name=a%2Fb`)).status, 400);
    assert.equal(harness.published.length, published, 'REST refusals publish nothing (no /rejected)');

    const tooBig = await harness.send('POST', `${base}/shadow`, { state: { reported: { blob: 'x'.repeat(200 * 1024) } } });
    assert.equal(tooBig.status, 413);
    assert.equal((await json(tooBig))['message'], 'The payload exceeds the maximum size allowed');
    assert.equal((await harness.send('GET', `${base}/shadow`, undefined)).status, 200);
    const noKey = await fetch(`${harness.apiUrl}${base}/shadow`);
    assert.equal(noKey.status, 401, 'the admin key is still required');
  });

  test('named shadows list bytewise with AWS paging; DELETE answers {version, timestamp} and a second DELETE is 404', async () => {
    for (const name of ['zeta', 'alpha', 'Mid', '$config']) {
      assert.equal((await harness.send('POST', `${base}/shadow?name=${encodeURIComponent(name)}`, { state: { reported: { on: true } } })).status, 200, name);
    }
    const first = await json(await harness.send('GET', `${base}/shadows?pageSize=3`));
    assert.deepEqual(first['results'], ['$config', 'Mid', 'alpha']);
    assert.equal(typeof first['timestamp'], 'number');
    const second = await json(await harness.send('GET', `${base}/shadows?pageSize=3&nextToken=${encodeURIComponent(String(first['nextToken']))}`));
    assert.deepEqual(second['results'], ['zeta']);
    assert.equal('nextToken' in second, false);
    assert.equal((await harness.send('GET', `${base}/shadows?pageSize=0`)).status, 400);

    const deleted = await harness.send('DELETE', `${base}/shadow?name=zeta`);
    assert.equal(deleted.status, 200);
    const body = await json(deleted);
    assert.equal(body['version'], 1);
    assert.deepEqual(Object.keys(body).sort(), ['timestamp', 'version']);
    assert.equal(harness.published.at(-1)?.topic, '$tenants/acme/$aws/things/agent-7/shadow/name/zeta/delete/accepted');
    const again = await harness.send('DELETE', `${base}/shadow?name=zeta`);
    assert.equal(again.status, 404);
    assert.equal((await json(again))['message'], "No shadow exists with name: 'zeta'");
    assert.deepEqual((await json(await harness.send('GET', `${base}/shadows`)))['results'], ['$config', 'Mid', 'alpha']);
    assert.deepEqual((await json(await harness.send('GET', '/v1/tenants/acme/things/nobody/shadows')))['results'], [], 'an unknown thing has an empty list');
  });

  test('shadow requests show in /metrics by operation and outcome', async () => {
    const metrics = await (await fetch(`${harness.apiUrl}/metrics`)).text();
    assert.match(metrics, /gatehouse_shadow_requests_total\{operation="update",outcome="accepted",code="200"\} [1-9]/);
    assert.match(metrics, /gatehouse_shadow_requests_total\{operation="update",outcome="rejected",code="409"\} 1/);
    assert.match(metrics, /gatehouse_shadow_requests_total\{operation="get",outcome="rejected",code="404"\} [1-9]/);
  });
});
