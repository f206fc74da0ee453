/**
 * Every way a shadow request is refused, black-box: over MQTT on `.../rejected` with AWS's code and
 * message and the clientToken echoed, and over REST (admin API and the agents' data plane) with the
 * HTTP status and AWS's body; a refused request leaves the shadow as it was. Tenants do not see each
 * other's shadows. Then the shapes of the payloads that are not refusals: update/accepted, delta,
 * documents, get/accepted, delete/accepted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestGatehouse } from '../helpers/index.ts';
import {
  adminShadow, agentShadow, httpRequestRaw, isCurrentSeconds, onboard, shadowPrefix, ShadowClient, startShadowGatehouse,
  type Json, type OnboardedDevice, type ShadowMessage,
} from './shadow-kit.ts';

/** `{a:{a:...{a:'leaf'}}}` with `levels` objects; as the value of `desired` it nests `levels` deep (AWS counts the section as the first level). */
function nested(levels: number): Json {
  let value: unknown = 'leaf';
  for (let level = 0; level < levels; level++) value = { a: value };
  return value as Json;
}

interface RefusedCase {
  readonly name: string;
  /** The request; a string goes out as it is. `{token}` is replaced by the case's clientToken. */
  readonly payload: (token: string) => string | Json;
  readonly code: number;
  readonly message: string;
  /** Whether the reply carries the clientToken back (false when the request could not be read). */
  readonly echoes: boolean;
}

describe('Device Shadow refusals and payloads', () => {
  let gh: TestGatehouse;
  let acme: OnboardedDevice;
  let globex: OnboardedDevice;
  let agentA: ShadowClient;
  let agentB: ShadowClient;
  let dir: string;
  const classicA = shadowPrefix('agent-a');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-shadow-rejections-'));
    gh = await startShadowGatehouse();
    acme = await onboard(gh, 'agent-a', 'acme');
    globex = await onboard(gh, 'agent-b', 'globex');
    agentA = await ShadowClient.connectDevice(gh, acme);
    agentB = await ShadowClient.connectDevice(gh, globex);
    const seeded = await agentA.request(classicA, 'update', { state: { reported: { firmware: '1.0', interval: 60 } }, clientToken: 'seed' });
    assert.equal(seeded.topic, `${classicA}/update/accepted`, seeded.text);
  });
  after(async () => {
    await agentA?.end();
    await agentB?.end();
    await gh?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** acme's agent-a classic shadow as the admin API shows it. */
  async function shadowOfA(): Promise<Json> {
    const answer = await adminShadow(gh, 'GET', { tenant: 'acme', thing: 'agent-a' });
    assert.equal(answer.status, 200, answer.text);
    return answer.body;
  }

  const updateRefusals: RefusedCase[] = [
    { name: 'bad JSON', payload: () => '{"state":{"reported":{"interval":', code: 400, message: 'Invalid JSON', echoes: false },
    { name: 'not an object', payload: () => '[1,2,3]', code: 400, message: 'Invalid JSON', echoes: false },
    { name: 'missing state', payload: (token) => ({ clientToken: token }), code: 400, message: 'Missing required node: state', echoes: true },
    { name: 'state is a string', payload: (token) => ({ state: 'on', clientToken: token }), code: 400, message: 'State node must be an object', echoes: true },
    { name: 'state is an array', payload: (token) => ({ state: [{ desired: {} }], clientToken: token }), code: 400, message: 'State node must be an object', echoes: true },
    { name: 'desired is a string', payload: (token) => ({ state: { desired: 'on' }, clientToken: token }), code: 400, message: 'Desired node must be an object', echoes: true },
    { name: 'desired is an array', payload: (token) => ({ state: { desired: [1] }, clientToken: token }), code: 400, message: 'Desired node must be an object', echoes: true },
    { name: 'reported is a number', payload: (token) => ({ state: { reported: 7 }, clientToken: token }), code: 400, message: 'Reported node must be an object', echoes: true },
    { name: 'version is a string', payload: (token) => ({ state: { reported: { interval: 1 } }, version: 'seven', clientToken: token }), code: 400, message: 'Invalid version', echoes: true },
    { name: 'version is a fraction', payload: (token) => ({ state: { reported: { interval: 1 } }, version: 1.5, clientToken: token }), code: 400, message: 'Invalid version', echoes: true },
    { name: 'version is not the current one', payload: (token) => ({ state: { reported: { interval: 1 } }, version: 99, clientToken: token }), code: 409, message: 'Version conflict', echoes: true },
    { name: 'version is an older one', payload: (token) => ({ state: { reported: { interval: 1 } }, version: 0, clientToken: token }), code: 409, message: 'Version conflict', echoes: true },
    {
      name: 'more than 8 KB of state', payload: (token) => ({ state: { reported: { blob: 'x'.repeat(8200) } }, clientToken: token }),
      code: 413, message: 'The payload exceeds the maximum size allowed', echoes: true,
    },
    {
      name: 'nested too deep', payload: (token) => ({ state: { desired: nested(10) }, clientToken: token }),
      code: 400, message: 'JSON contains too many levels of nesting; maximum is 6', echoes: true,
    },
    { name: 'null inside an array', payload: (token) => ({ state: { reported: { list: [1, null] } }, clientToken: token }), code: 400, message: 'State contains an invalid node', echoes: true },
  ];

  for (const refused of updateRefusals) {
    test(`update refused over MQTT and REST: ${refused.name} (${refused.code})`, async () => {
      const before = await shadowOfA();
      const token = agentA.token('refused');
      const payload = refused.payload(token);
      const reply = await agentA.request(classicA, 'update', payload);
      assert.equal(reply.topic, `${classicA}/update/rejected`, reply.text);
      assertRefusal(reply.body, refused.code, refused.message);
      if (refused.echoes) assert.equal(reply.body['clientToken'], token, 'the clientToken comes back');
      else assert.equal('clientToken' in reply.body, false, reply.text);

      const viaAdmin = await adminShadow(gh, 'POST', { tenant: 'acme', thing: 'agent-a', body: payload });
      assert.equal(viaAdmin.status, refused.code, viaAdmin.text);
      assertRefusal(viaAdmin.body, refused.code, refused.message, { timestamp: false });
      const viaDataPlane = await agentShadow(gh, acme, 'POST', { thing: 'agent-a', body: payload });
      assert.equal(viaDataPlane.status, refused.code, viaDataPlane.text);
      assertRefusal(viaDataPlane.body, refused.code, refused.message, { timestamp: false });

      assert.deepEqual(withoutTimestamp(await shadowOfA()), withoutTimestamp(before), 'a refused update changes nothing');
    });
  }

  test('the limits are exact: 8192 bytes of state and 6 levels (the section being the first) pass, one more is refused', async () => {
    const prefix = shadowPrefix('agent-a', 'limits');
    // The JSON of desired plus that of reported counts; `{"blob":"..."}` is 11 bytes around the blob.
    const fits = await agentA.request(prefix, 'update', { state: { reported: { blob: 'y'.repeat(8181) } }, clientToken: 'size-ok' });
    assert.equal(fits.topic, `${prefix}/update/accepted`, fits.text.slice(0, 300));
    const over = await agentA.request(shadowPrefix('agent-a', 'limits-2'), 'update', { state: { reported: { blob: 'y'.repeat(8182) } }, clientToken: 'size-over' });
    assertRefusal(over.body, 413, 'The payload exceeds the maximum size allowed');
    // The limit holds for the shadow after the merge, not only for the request: a small update that
    // would grow the full shadow past 8192 bytes is refused too.
    const grows = await agentA.request(prefix, 'update', { state: { desired: { more: 1 } }, clientToken: 'size-grow' });
    assertRefusal(grows.body, 413, 'The payload exceeds the maximum size allowed');

    const six = await agentA.request(shadowPrefix('agent-a', 'depth'), 'update', { state: { desired: nested(6) }, clientToken: 'depth-6' });
    assert.equal(six.topic, `${shadowPrefix('agent-a', 'depth')}/update/accepted`, six.text);
    const seven = await agentA.request(shadowPrefix('agent-a', 'depth'), 'update', { state: { reported: nested(7) }, clientToken: 'depth-7' });
    assertRefusal(seven.body, 400, 'JSON contains too many levels of nesting; maximum is 6');
    const arrays = await agentA.request(shadowPrefix('agent-a', 'depth'), 'update', { state: { reported: { a: [[[[[[1]]]]]] } }, clientToken: 'depth-arrays' });
    assertRefusal(arrays.body, 400, 'JSON contains too many levels of nesting; maximum is 6');
  });

  test('a payload that is not UTF-8 is refused with 415', async () => {
    const from = agentA.messages.length;
    await agentA.subscribe(`${classicA}/update/accepted`, `${classicA}/update/rejected`);
    await agentA.client.publishAsync(`${classicA}/update`, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { qos: 1 });
    const reply = await agentA.next([`${classicA}/update/accepted`, `${classicA}/update/rejected`], { from });
    assert.equal(reply.topic, `${classicA}/update/rejected`);
    assertRefusal(reply.body, 415, 'Unsupported documented encoding; supported encoding is UTF-8');
  });

  test('a clientToken over 64 bytes is refused (400 Invalid clientToken) on MQTT and REST', async () => {
    const long = 't'.repeat(65);
    const payload = { state: { reported: { interval: 2 } }, clientToken: long };
    const from = agentA.messages.length;
    await agentA.subscribe(`${classicA}/update/accepted`, `${classicA}/update/rejected`);
    await agentA.client.publishAsync(`${classicA}/update`, JSON.stringify(payload), { qos: 1 });
    const reply = await agentA.next([`${classicA}/update/accepted`, `${classicA}/update/rejected`], { from });
    assert.equal(reply.topic, `${classicA}/update/rejected`, reply.text);
    assertRefusal(reply.body, 400, 'Invalid clientToken');
    assert.equal('clientToken' in reply.body, false, 'an invalid token is not echoed');
    const viaAdmin = await adminShadow(gh, 'POST', { tenant: 'acme', thing: 'agent-a', body: payload });
    assert.equal(viaAdmin.status, 400, viaAdmin.text);
    assertRefusal(viaAdmin.body, 400, 'Invalid clientToken', { timestamp: false });
    // Exactly 64 bytes is fine.
    const fits = await agentA.request(classicA, 'get', { clientToken: 'k'.repeat(64) });
    assert.equal(fits.topic, `${classicA}/get/accepted`, fits.text);
    assert.equal(fits.body['clientToken'], 'k'.repeat(64));
  });

  test('get and delete refuse a payload that is not JSON, and a clientToken that is too long', async () => {
    for (const operation of ['get', 'delete'] as const) {
      const bad = await agentA.request(classicA, operation, '{"clientToken":');
      assert.equal(bad.topic, `${classicA}/${operation}/rejected`, bad.text);
      assertRefusal(bad.body, 400, 'Invalid JSON');
      const from = agentA.messages.length;
      await agentA.client.publishAsync(`${classicA}/${operation}`, JSON.stringify({ clientToken: 'z'.repeat(65) }), { qos: 1 });
      const long = await agentA.next([`${classicA}/${operation}/accepted`, `${classicA}/${operation}/rejected`], { from });
      assert.equal(long.topic, `${classicA}/${operation}/rejected`, long.text);
      assertRefusal(long.body, 400, 'Invalid clientToken');
    }
    assert.equal((await shadowOfA())['version'] !== undefined, true, 'the refused delete did not delete');
  });

  test('an unknown thing: update 404 Thing not found, get and delete 404 No shadow exists', async () => {
    const ghost = shadowPrefix('ghost');
    const update = await agentA.request(ghost, 'update', { state: { reported: { on: true } }, clientToken: 'ghost-update' });
    assert.equal(update.topic, `${ghost}/update/rejected`, update.text);
    assertRefusal(update.body, 404, 'Thing not found');
    assert.equal(update.body['clientToken'], 'ghost-update');
    for (const operation of ['get', 'delete'] as const) {
      const reply = await agentA.request(ghost, operation, { clientToken: `ghost-${operation}` });
      assert.equal(reply.topic, `${ghost}/${operation}/rejected`, reply.text);
      assertRefusal(reply.body, 404, "No shadow exists with name: 'ghost'");
      assert.equal(reply.body['clientToken'], `ghost-${operation}`);
    }
    // A named shadow that does not exist on a real thing names the shadow.
    const named = await agentA.request(shadowPrefix('agent-a', 'nothing'), 'get', { clientToken: 'named-missing' });
    assertRefusal(named.body, 404, "No shadow exists with name: 'nothing'");

    const adminUpdate = await adminShadow(gh, 'POST', { tenant: 'acme', thing: 'ghost', body: { state: { reported: { on: true } } } });
    assert.equal(adminUpdate.status, 404, adminUpdate.text);
    assertRefusal(adminUpdate.body, 404, 'Thing not found', { timestamp: false });
    for (const method of ['GET', 'DELETE'] as const) {
      const answer = await adminShadow(gh, method, { tenant: 'acme', thing: 'ghost' });
      assert.equal(answer.status, 404, `${method} ${answer.text}`);
      assertRefusal(answer.body, 404, "No shadow exists with name: 'ghost'", { timestamp: false });
      const dataPlane = await agentShadow(gh, acme, method, { thing: 'ghost' });
      assert.equal(dataPlane.status, 404, `${method} ${dataPlane.text}`);
      assertRefusal(dataPlane.body, 404, "No shadow exists with name: 'ghost'", { timestamp: false });
    }
    const namedAdmin = await adminShadow(gh, 'GET', { tenant: 'acme', thing: 'agent-a', name: 'nothing' });
    assert.equal(namedAdmin.status, 404);
    assertRefusal(namedAdmin.body, 404, "No shadow exists with name: 'nothing'", { timestamp: false });
  });

  test("another tenant's thing: globex cannot read, change or delete acme's shadow, by MQTT or REST", async () => {
    const before = await shadowOfA();
    const watcher = agentA.messages.length;
    await agentA.subscribe(`${classicA}/update/documents`, `${classicA}/update/delta`, `${classicA}/delete/accepted`);

    // globex's agent names acme's thing as its own: in globex there is no such thing.
    const update = await agentB.request(classicA, 'update', { state: { desired: { interval: 1 } }, clientToken: 'cross-update' });
    assert.equal(update.topic, `${classicA}/update/rejected`, update.text);
    assertRefusal(update.body, 404, 'Thing not found');
    for (const operation of ['get', 'delete'] as const) {
      const reply = await agentB.request(classicA, operation, { clientToken: `cross-${operation}` });
      assert.equal(reply.topic, `${classicA}/${operation}/rejected`, reply.text);
      assertRefusal(reply.body, 404, "No shadow exists with name: 'agent-a'");
    }
    // Spelling out acme's tenant does not leave globex: the topic is globex's own `$tenants/acme/...`.
    await agentB.client.publishAsync(`$tenants/acme/${classicA}/update`, JSON.stringify({ state: { desired: { interval: 2 } } }), { qos: 1 }).catch(() => undefined);
    await agentB.client.publishAsync(`$tenants/acme/${classicA}/delete`, '', { qos: 1 }).catch(() => undefined);

    // The data plane takes the tenant from the certificate.
    const read = await agentShadow(gh, globex, 'GET', { thing: 'agent-a' });
    assert.equal(read.status, 404, read.text);
    assertRefusal(read.body, 404, "No shadow exists with name: 'agent-a'", { timestamp: false });
    const write = await agentShadow(gh, globex, 'POST', { thing: 'agent-a', body: { state: { desired: { interval: 3 } } } });
    assert.equal(write.status, 404, write.text);
    assertRefusal(write.body, 404, 'Thing not found', { timestamp: false });
    const erase = await agentShadow(gh, globex, 'DELETE', { thing: 'agent-a' });
    assert.equal(erase.status, 404, erase.text);
    const adminView = await adminShadow(gh, 'GET', { tenant: 'globex', thing: 'agent-a' });
    assert.equal(adminView.status, 404, 'the admin API keeps tenants apart too');

    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(agentA.messages.slice(watcher).map((message) => message.topic), [], "acme's agent saw no event from globex's attempts");
    assert.deepEqual(withoutTimestamp(await shadowOfA()), withoutTimestamp(before), "acme's shadow is untouched, metadata timestamps included");
    assert.equal(agentB.messages.some((message) => message.text.includes('"firmware"')), false, "globex never saw acme's state");
  });

  test('more than 10 requests of one connection under way: the rest are refused with 429', async () => {
    const prefix = shadowPrefix('agent-a', 'burst');
    await agentA.subscribe(`${prefix}/get/accepted`, `${prefix}/get/rejected`);
    const from = agentA.messages.length;
    const count = 40;
    // One write, so the broker reads every request before the service answers any.
    const stream = agentA.client.stream;
    stream.cork();
    for (let index = 0; index < count; index++) agentA.client.publish(`${prefix}/get`, JSON.stringify({ clientToken: `burst-${index}` }), { qos: 0 });
    process.nextTick(() => stream.uncork());
    const deadline = Date.now() + 5000;
    const replies = (): ShadowMessage[] => agentA.messages.slice(from).filter((message) => String(message.body['clientToken']).startsWith('burst-'));
    while (replies().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const answered = replies();
    assert.equal(answered.length, count, 'every request is answered');
    const throttled = answered.filter((message) => message.body['code'] === 429);
    const served = answered.filter((message) => message.body['code'] === 404);
    assert.ok(throttled.length > 0, `some requests were throttled (${served.length} served)`);
    assert.ok(served.length >= 10, `the first 10 are served (${served.length})`);
    assert.equal(throttled.length + served.length, count);
    for (const message of throttled) {
      assert.equal(message.topic, `${prefix}/get/rejected`);
      assertRefusal(message.body, 429, 'Too many requests');
    }
    // Once the burst is over the connection is served again.
    const later = await agentA.request(prefix, 'get', { clientToken: 'after-burst' });
    assertRefusal(later.body, 404, "No shadow exists with name: 'burst'");
  });

  test('data plane: no client certificate is 401, a policy without the action is 403', async () => {
    const anonymous = await httpRequestRaw(`https://localhost:${gh.ports.wss}/things/agent-a/shadow`, { ca: gh.caPem });
    assert.equal(anonymous.status, 401, anonymous.text);
    assertRefusal(anonymous.body, 401, 'Unauthorized', { timestamp: false });

    // A tenant whose policy lets its agents read shadows but not change them.
    const tenant = await httpRequestRaw(`${gh.urls.admin}/v1/tenants`, { headers: { authorization: `Bearer ${gh.adminKey}` }, body: { id: 'readonly' } });
    assert.ok(tenant.status < 300, tenant.text);
    const readOnly = await onboard(gh, 'reader-1', 'readonly');
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['iot:Connect', 'iot:GetThingShadow'], Resource: '*' }],
    };
    const put = await httpRequestRaw(`${gh.urls.admin}/v1/tenants/readonly/policies/read-shadows`, { method: 'PUT', headers: { authorization: `Bearer ${gh.adminKey}` }, body: { policyDocument: policy } });
    assert.ok(put.status < 300, put.text);
    const attach = await httpRequestRaw(`${gh.urls.admin}/v1/tenants/readonly/policies/read-shadows/targets/tenant/readonly`, { method: 'PUT', headers: { authorization: `Bearer ${gh.adminKey}` } });
    assert.ok(attach.status < 300, attach.text);
    const seeded = await adminShadow(gh, 'POST', { tenant: 'readonly', thing: 'reader-1', body: { state: { desired: { on: true } } } });
    assert.equal(seeded.status, 200, seeded.text);

    const read = await agentShadow(gh, readOnly, 'GET', { thing: 'reader-1' });
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body['state'], { desired: { on: true }, delta: { on: true } });
    const write = await agentShadow(gh, readOnly, 'POST', { thing: 'reader-1', body: { state: { reported: { on: true } } } });
    assert.equal(write.status, 403, write.text);
    assertRefusal(write.body, 403, 'Forbidden', { timestamp: false });
    assert.equal(write.headers['x-amzn-errortype'], 'ForbiddenException');
    const erase = await agentShadow(gh, readOnly, 'DELETE', { thing: 'reader-1' });
    assert.equal(erase.status, 403, erase.text);
    const after = await adminShadow(gh, 'GET', { tenant: 'readonly', thing: 'reader-1' });
    assert.equal(after.body['version'], 1, 'the forbidden requests changed nothing');
  });

  test('update/accepted carries only what was sent; delta the differing desired keys with their path; documents previous and current', async () => {
    const prefix = shadowPrefix('agent-a', 'shapes');
    await agentA.subscribe(`${prefix}/update/delta`, `${prefix}/update/documents`);
    const first = await agentA.request(prefix, 'update', {
      state: { reported: { interval: 30, mode: { level: 'info', verbose: false }, tags: ['a', 'b'] } },
      clientToken: 'shape-1',
    });
    assert.equal(first.topic, `${prefix}/update/accepted`, first.text);
    const t1 = first.body['timestamp'];
    assert.ok(isCurrentSeconds(t1), `timestamp in epoch seconds: ${String(t1)}`);
    assert.deepEqual(first.body, {
      state: { reported: { interval: 30, mode: { level: 'info', verbose: false }, tags: ['a', 'b'] } },
      metadata: { reported: { interval: { timestamp: t1 }, mode: { level: { timestamp: t1 }, verbose: { timestamp: t1 } }, tags: [{ timestamp: t1 }, { timestamp: t1 }] } },
      version: 1,
      timestamp: t1,
      clientToken: 'shape-1',
    });
    const firstDocuments = await agentA.next(`${prefix}/update/documents`, { accept: (message) => message.body['clientToken'] === 'shape-1' });
    const current1 = {
      state: { reported: { interval: 30, mode: { level: 'info', verbose: false }, tags: ['a', 'b'] } },
      metadata: { reported: { interval: { timestamp: t1 }, mode: { level: { timestamp: t1 }, verbose: { timestamp: t1 } }, tags: [{ timestamp: t1 }, { timestamp: t1 }] } },
      version: 1,
    };
    assert.deepEqual(firstDocuments.body['current'], current1);
    assert.equal(firstDocuments.body['timestamp'], t1);
    assert.equal(firstDocuments.body['previous'], null, `a new shadow has no previous: ${firstDocuments.text}`);
    assert.equal(agentA.messages.some((message) => message.topic === `${prefix}/update/delta`), false, 'no delta while nothing is desired');

    const fromDelta = agentA.messages.length;
    const second = await agentA.request(prefix, 'update', { state: { desired: { interval: 10, mode: { level: 'info', verbose: true }, tags: ['a', 'b'] } }, clientToken: 'shape-2' });
    const t2 = second.body['timestamp'];
    const desiredMetadata = { interval: { timestamp: t2 }, mode: { level: { timestamp: t2 }, verbose: { timestamp: t2 } }, tags: [{ timestamp: t2 }, { timestamp: t2 }] };
    assert.deepEqual(second.body, {
      state: { desired: { interval: 10, mode: { level: 'info', verbose: true }, tags: ['a', 'b'] } },
      metadata: { desired: desiredMetadata },
      version: 2,
      timestamp: t2,
      clientToken: 'shape-2',
    });
    const delta = await agentA.next(`${prefix}/update/delta`, { from: fromDelta });
    assert.deepEqual(delta.body, {
      state: { interval: 10, mode: { verbose: true } },
      metadata: { interval: { timestamp: t2 }, mode: { verbose: { timestamp: t2 } } },
      version: 2,
      timestamp: t2,
      clientToken: 'shape-2',
    }, 'the delta holds the desired keys that differ, nested with their path, and their desired metadata');
    const documents = await agentA.next(`${prefix}/update/documents`, { from: fromDelta });
    assert.deepEqual(documents.body, {
      previous: current1,
      current: {
        state: { desired: { interval: 10, mode: { level: 'info', verbose: true }, tags: ['a', 'b'] }, reported: current1.state.reported },
        metadata: { desired: desiredMetadata, reported: current1.metadata.reported },
        version: 2,
      },
      timestamp: t2,
      clientToken: 'shape-2',
    });

    const got = await agentA.request(prefix, 'get', { clientToken: 'shape-get' });
    assert.equal(got.topic, `${prefix}/get/accepted`, got.text);
    assert.deepEqual(got.body['state'], {
      desired: { interval: 10, mode: { level: 'info', verbose: true }, tags: ['a', 'b'] },
      reported: { interval: 30, mode: { level: 'info', verbose: false }, tags: ['a', 'b'] },
      delta: { interval: 10, mode: { verbose: true } },
    });
    assert.deepEqual(got.body['metadata'], (documents.body['current'] as Json)['metadata'], 'get/accepted metadata covers desired and reported');
    assert.equal(got.body['version'], 2);
    assert.ok(isCurrentSeconds(got.body['timestamp']));
    assert.equal(got.body['clientToken'], 'shape-get');
    assert.deepEqual(Object.keys(got.body).sort(), ['clientToken', 'metadata', 'state', 'timestamp', 'version']);

    // The agent reports what it applied; null deletes a key; the delta empties and no delta goes out.
    const fromReport = agentA.messages.length;
    const report = await agentA.request(prefix, 'update', { state: { reported: { interval: 10, mode: { verbose: true }, tags: null } }, clientToken: 'shape-3' });
    assert.equal(report.body['version'], 3);
    assert.deepEqual(report.body['state'], { reported: { interval: 10, mode: { verbose: true }, tags: null } }, 'accepted echoes what was sent, nulls included');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await agentA.request(prefix, 'get', { clientToken: 'shape-get-2' });
    assert.deepEqual(after.body['state'], {
      desired: { interval: 10, mode: { level: 'info', verbose: true }, tags: ['a', 'b'] },
      reported: { interval: 10, mode: { level: 'info', verbose: true } },
      delta: { tags: ['a', 'b'] },
    }, 'tags was removed from reported, so it is in the delta again');
    // AWS sends /update/delta after every accepted update that leaves desired ≠ reported, one of
    // reported alone included, with the whole delta.
    const deltas = agentA.messages.slice(fromReport).filter((message) => message.topic === `${prefix}/update/delta`);
    assert.deepEqual(deltas.map((message) => message.body['state']), [{ tags: ['a', 'b'] }], 'a reported-only update that leaves a difference sends the delta');
    assert.deepEqual(deltas[0]?.body['metadata'], { tags: [{ timestamp: t2 }, { timestamp: t2 }] }, "the delta's metadata is desired's");
    assert.equal(deltas[0]?.body['clientToken'], 'shape-3');

    // "desired": null removes the section; the delta goes with it.
    const cleared = await agentA.request(prefix, 'update', { state: { desired: null }, clientToken: 'shape-4' });
    assert.equal(cleared.body['version'], 4);
    const bare = await agentA.request(prefix, 'get', {});
    assert.deepEqual(bare.body['state'], { reported: { interval: 10, mode: { level: 'info', verbose: true } } });
    assert.equal('clientToken' in bare.body, false, 'no clientToken sent, none echoed');

    // "state": null empties the shadow without deleting it; its version goes on.
    const emptied = await agentA.request(prefix, 'update', { state: null, clientToken: 'shape-5' });
    assert.equal(emptied.topic, `${prefix}/update/accepted`, emptied.text);
    assert.equal(emptied.body['version'], 5);
    const empty = await agentA.request(prefix, 'get', { clientToken: 'shape-get-3' });
    assert.equal(empty.topic, `${prefix}/get/accepted`, empty.text);
    assert.deepEqual(empty.body['state'], {});
    assert.equal(empty.body['version'], 5);
  });

  test('delete/accepted carries the version and the clientToken; the count continues when the shadow comes back', async () => {
    const prefix = shadowPrefix('agent-a', 'doomed');
    await agentA.request(prefix, 'update', { state: { desired: { on: true } } });
    await agentA.request(prefix, 'update', { state: { reported: { on: true } } });
    const deleted = await agentA.request(prefix, 'delete', { clientToken: 'bye' });
    assert.equal(deleted.topic, `${prefix}/delete/accepted`, deleted.text);
    const stamp = deleted.body['timestamp'];
    assert.ok(isCurrentSeconds(stamp));
    assert.deepEqual(deleted.body, { version: 2, timestamp: stamp, clientToken: 'bye' });
    const gone = await agentA.request(prefix, 'get', { clientToken: 'after-delete' });
    assertRefusal(gone.body, 404, "No shadow exists with name: 'doomed'");
    const again = await agentA.request(prefix, 'delete', { clientToken: 'twice' });
    assert.equal(again.topic, `${prefix}/delete/rejected`, 'deleting twice is refused');
    assertRefusal(again.body, 404, "No shadow exists with name: 'doomed'");
    const back = await agentA.request(prefix, 'update', { state: { reported: { on: false } }, clientToken: 'back' });
    assert.equal(back.topic, `${prefix}/update/accepted`);
    assert.equal(back.body['version'], 3, 'a shadow recreated within 48 h continues its version');

    const viaRest = await adminShadow(gh, 'DELETE', { tenant: 'acme', thing: 'agent-a', name: 'doomed' });
    assert.equal(viaRest.status, 200, viaRest.text);
    assert.equal(viaRest.body['version'], 3);
    assert.ok(isCurrentSeconds(viaRest.body['timestamp']));
  });

  test('REST answers: the admin API and the data plane return the AWS documents', async () => {
    const created = await adminShadow(gh, 'POST', { tenant: 'acme', thing: 'agent-a', name: 'rest', body: { state: { desired: { color: 'red' } }, clientToken: 'rest-1' } });
    assert.equal(created.status, 200, created.text);
    const stamp = created.body['timestamp'];
    assert.deepEqual(created.body, { state: { desired: { color: 'red' } }, metadata: { desired: { color: { timestamp: stamp } } }, version: 1, timestamp: stamp, clientToken: 'rest-1' });
    const conflict = await agentShadow(gh, acme, 'POST', { thing: 'agent-a', name: 'rest', body: { state: { reported: { color: 'red' } }, version: 7 } });
    assert.equal(conflict.status, 409, conflict.text);
    assertRefusal(conflict.body, 409, 'Version conflict', { timestamp: false });
    assert.equal(conflict.headers['x-amzn-errortype'], 'ConflictException', "AWS's error type header, which SDKs map on");
    const reported = await agentShadow(gh, acme, 'POST', { thing: 'agent-a', name: 'rest', body: { state: { reported: { color: 'red' } }, version: 1 } });
    assert.equal(reported.status, 200, reported.text);
    assert.equal(reported.body['version'], 2);
    const read = await agentShadow(gh, acme, 'GET', { thing: 'agent-a', name: 'rest' });
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body['state'], { desired: { color: 'red' }, reported: { color: 'red' } }, 'no delta when desired = reported');
    assert.equal(read.body['version'], 2);
  });
});

/** AWS's error document: exactly `{code, message, timestamp?, clientToken?}`. */
function assertRefusal(body: Json, code: number, message: string, options: { timestamp?: boolean } = {}): void {
  assert.equal(body['code'], code, JSON.stringify(body));
  assert.equal(body['message'], message, JSON.stringify(body));
  if (options.timestamp ?? true) assert.ok(isCurrentSeconds(body['timestamp']), `timestamp in epoch seconds: ${JSON.stringify(body)}`);
  const extra = Object.keys(body).filter((key) => !['code', 'message', 'timestamp', 'clientToken'].includes(key));
  assert.deepEqual(extra, [], `nothing but AWS's fields: ${JSON.stringify(body)}`);
}

/** A get document without its `timestamp` (the time of the answer, not of the shadow). */
function withoutTimestamp(document: Json): Json {
  return Object.fromEntries(Object.entries(document).filter(([key]) => key !== 'timestamp'));
}
