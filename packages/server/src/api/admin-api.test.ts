/** The admin API against a real broker, real MQTT.js clients and real HTTP. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectAsync, type IPublishPacket, type MqttClient } from 'mqtt';
import { MemoryStore } from '../store/memory/index.js';
import { startAdminApiHarness, type AdminApiHarness } from './admin-api-harness.js';

let harness: AdminApiHarness;
const clients: MqttClient[] = [];

before(async () => {
  harness = await startAdminApiHarness({ store: new MemoryStore() });
});

after(async () => {
  await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
  await harness.close();
});

async function connect(clientId: string, options: { protocolVersion?: 4 | 5; clean?: boolean; sessionExpiry?: number } = {}): Promise<MqttClient> {
  const client = await connectAsync(harness.mqttUrl, {
    clientId,
    protocolVersion: options.protocolVersion ?? 5,
    clean: options.clean ?? true,
    reconnectPeriod: 0,
    ...(options.sessionExpiry === undefined ? {} : { properties: { sessionExpiryInterval: options.sessionExpiry } }),
  });
  clients.push(client);
  return client;
}

async function json(response: Response): Promise<unknown> {
  return JSON.parse(await response.text()) as unknown;
}

const enc = encodeURIComponent;

function nextMessage(client: MqttClient): Promise<[string, Buffer, IPublishPacket]> {
  return new Promise((resolve) => client.once('message', (topic, payload, packet) => resolve([topic, payload, packet])));
}

describe('auth', () => {
  test('every /v1 route needs the bearer key', async () => {
    for (const [method, path] of [['GET', '/v1/clients'], ['GET', '/v1/stats'], ['DELETE', '/v1/sessions/x'], ['GET', '/v1/retained/a/b'], ['GET', '/v1/nothing-here']] as const) {
      const missing = await harness.request(path, { method, key: null });
      assert.equal(missing.status, 401, `${method} ${path} without a key`);
      assert.deepEqual(await json(missing), { code: 'UNAUTHORIZED', message: 'Missing or invalid admin API key' });
      const wrong = await harness.request(path, { method, key: `${harness.adminKey}x` });
      assert.equal(wrong.status, 401, `${method} ${path} with a wrong key`);
    }
    const basic = await harness.request('/v1/clients', { key: null, headers: { authorization: `Basic ${harness.adminKey}` } });
    assert.equal(basic.status, 401);
  });

  test('probes, metrics and the OpenAPI document are open', async () => {
    const healthz = await harness.request('/healthz', { key: null });
    assert.equal(healthz.status, 200);
    assert.deepEqual(await json(healthz), { status: 'ok' });
    const readyz = await harness.request('/readyz', { key: null });
    assert.equal(readyz.status, 200);
    assert.equal((await harness.request('/metrics', { key: null })).status, 200);
    assert.equal((await harness.request('/openapi.json', { key: null })).status, 200);
  });
});

describe('clients', () => {
  test('list, get and kick a connected client; the MQTT client sees the close', async () => {
    const clientId = 'site 7/agent%42';
    const client = await connect(clientId);

    const list = (await json(await harness.request('/v1/clients'))) as { items: { clientId: string; protocolVersion: number; peer: { transport: string } }[] };
    const listed = list.items.find((item) => item.clientId === clientId);
    assert.ok(listed, 'the client is listed');
    assert.equal(listed.protocolVersion, 5);
    assert.equal(listed.peer.transport, 'tcp');

    const prefixed = (await json(await harness.request(`/v1/clients?prefix=${enc('site 7/')}`))) as { items: { clientId: string }[] };
    assert.deepEqual(prefixed.items.map((item) => item.clientId), [clientId]);
    const none = (await json(await harness.request('/v1/clients?prefix=nobody'))) as { items: unknown[] };
    assert.deepEqual(none.items, []);

    const got = await harness.request(`/v1/clients/${enc(clientId)}`);
    assert.equal(got.status, 200);
    assert.equal(((await json(got)) as { clientId: string }).clientId, clientId);

    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const kicked = await harness.request(`/v1/clients/${enc(clientId)}`, { method: 'DELETE' });
    assert.equal(kicked.status, 204);
    assert.equal(await kicked.text(), '');
    await closed;

    const again = await harness.request(`/v1/clients/${enc(clientId)}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.deepEqual(await json(again), { code: 'NOT_FOUND', message: `Client "${clientId}" was not found` });
  });

  test('paging follows nextCursor and limit is bounded', async () => {
    const ids = ['page-a', 'page-b', 'page-c'];
    for (const id of ids) await connect(id);
    const first = (await json(await harness.request('/v1/clients?prefix=page-&limit=2'))) as { items: { clientId: string }[]; nextCursor?: string };
    assert.deepEqual(first.items.map((item) => item.clientId), ['page-a', 'page-b']);
    assert.ok(first.nextCursor);
    const second = (await json(await harness.request(`/v1/clients?prefix=page-&limit=2&cursor=${enc(first.nextCursor)}`))) as { items: { clientId: string }[]; nextCursor?: string };
    assert.deepEqual(second.items.map((item) => item.clientId), ['page-c']);
    assert.equal(second.nextCursor, undefined);

    const tooMany = await harness.request('/v1/clients?limit=1001');
    assert.equal(tooMany.status, 400);
    const body = (await json(tooMany)) as { code: string; message: string };
    assert.equal(body.code, 'BAD_REQUEST');
    assert.match(body.message, /querystring\.limit/);
  });

  test('unknown client is 404 with the catalogue body', async () => {
    const response = await harness.request('/v1/clients/ghost');
    assert.equal(response.status, 404);
    assert.deepEqual(await json(response), { code: 'NOT_FOUND', message: 'Client "ghost" was not found' });
  });
});

describe('sessions', () => {
  test('a persistent session is listed after its client leaves and can be deleted', async () => {
    const clientId = 'persistent/one';
    const client = await connect(clientId, { clean: false, sessionExpiry: 3600 });
    await client.subscribeAsync('cmd/persistent/#', { qos: 1 });
    await client.endAsync();

    const list = (await json(await harness.request('/v1/sessions?prefix=persistent'))) as { items: { clientId: string; connected: boolean; subscriptions: { filter: string }[] }[] };
    assert.equal(list.items.length, 1);
    assert.equal(list.items[0]?.clientId, clientId);
    assert.equal(list.items[0]?.connected, false);
    assert.deepEqual(list.items[0]?.subscriptions.map((s) => s.filter), ['cmd/persistent/#']);

    const got = await harness.request(`/v1/sessions/${enc(clientId)}`);
    assert.equal(got.status, 200);
    assert.equal(((await json(got)) as { expiryInterval: number }).expiryInterval, 3600);

    assert.equal((await harness.request(`/v1/sessions/${enc(clientId)}`, { method: 'DELETE' })).status, 204);
    assert.equal((await harness.request(`/v1/sessions/${enc(clientId)}`)).status, 404);
    const again = await harness.request(`/v1/sessions/${enc(clientId)}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.deepEqual(await json(again), { code: 'NOT_FOUND', message: `Session "${clientId}" was not found` });
  });
});

describe('publish and retained', () => {
  test('a QoS 1 retained publish reaches a subscriber, shows in /v1/retained and can be deleted', async () => {
    const subscriber = await connect('subscriber-1');
    await subscriber.subscribeAsync('tenant-a/+/config', { qos: 1 });
    const received = nextMessage(subscriber);

    const response = await harness.request('/v1/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'tenant-a/device 1/config', payload: '{"v":2}', qos: 1, retain: true, contentType: 'application/json', userProperties: { origin: 'admin' } }),
    });
    assert.equal(response.status, 202);
    assert.deepEqual(await json(response), { topic: 'tenant-a/device 1/config', qos: 1, retain: true, bytes: 7 });

    const [topic, payload, packet] = await received;
    assert.equal(topic, 'tenant-a/device 1/config');
    assert.equal(payload.toString(), '{"v":2}');
    assert.equal(packet.qos, 1);
    assert.equal(packet.properties?.contentType, 'application/json');
    assert.deepEqual({ ...packet.properties?.userProperties }, { origin: 'admin' });

    // Slashes may stay as they are or be encoded; both name the same topic.
    for (const path of ['/v1/retained/tenant-a/device%201/config', `/v1/retained/${enc('tenant-a/device 1/config')}`]) {
      const got = await harness.request(path);
      assert.equal(got.status, 200, path);
      const info = (await json(got)) as { topic: string; qos: number; payload: string; payloadSize: number; properties?: { contentType?: string } };
      assert.equal(info.topic, 'tenant-a/device 1/config');
      assert.equal(Buffer.from(info.payload, 'base64').toString(), '{"v":2}');
      assert.equal(info.payloadSize, 7);
      assert.equal(info.qos, 1);
      assert.equal(info.properties?.contentType, 'application/json');
    }
    const list = (await json(await harness.request('/v1/retained?prefix=tenant-a/'))) as { items: { topic: string }[] };
    assert.deepEqual(list.items.map((item) => item.topic), ['tenant-a/device 1/config']);

    assert.equal((await harness.request('/v1/retained/tenant-a/device%201/config', { method: 'DELETE' })).status, 204);
    const gone = await harness.request('/v1/retained/tenant-a/device%201/config');
    assert.equal(gone.status, 404);
    assert.deepEqual(await json(gone), { code: 'NOT_FOUND', message: 'Retained message "tenant-a/device 1/config" was not found' });
    assert.equal((await harness.request('/v1/retained/tenant-a/device%201/config', { method: 'DELETE' })).status, 404);
  });

  test('base64 payloads and correlation data arrive as bytes', async () => {
    const subscriber = await connect('subscriber-2');
    await subscriber.subscribeAsync('bin/#');
    const received = nextMessage(subscriber);
    const response = await harness.request('/v1/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'bin/x', payload: Buffer.from([0, 255, 7]).toString('base64'), payloadEncoding: 'base64', correlationData: 'AQI=' }),
    });
    assert.equal(response.status, 202);
    assert.deepEqual(await json(response), { topic: 'bin/x', qos: 0, retain: false, bytes: 3 });
    const [, payload, packet] = await received;
    assert.deepEqual([...payload], [0, 255, 7]);
    assert.deepEqual([...(packet.properties?.correlationData ?? [])], [1, 2]);
  });

  test('topics with a leading slash, empty levels and percent signs are addressed by path', async () => {
    for (const topic of ['/leading/slash', 'a//b', '100%/done', 'with space/é']) {
      const published = await harness.request('/v1/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic, payload: 'x', retain: true }) });
      assert.equal(published.status, 202, topic);
      const path = `/v1/retained/${topic.split('/').map(enc).join('/')}`;
      const got = await harness.request(path);
      assert.equal(got.status, 200, path);
      assert.equal(((await json(got)) as { topic: string }).topic, topic);
      assert.equal((await harness.request(`/v1/retained/${enc(topic)}`, { method: 'DELETE' })).status, 204, topic);
    }
    const malformed = await harness.request('/v1/retained/bad%zz');
    assert.equal(malformed.status, 400);
  });

  test('bad requests are 400 and name what is wrong', async () => {
    const post = (body: unknown) => harness.request('/v1/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const cases: [unknown, RegExp][] = [
      [{ topic: 'a/+/b', payload: 'x' }, /topic "a\/\+\/b"/],
      [{ topic: 'a/#' }, /topic "a\/#"/],
      [{ payload: 'x' }, /body\.topic is required/],
      [{ topic: 'a', qos: 3 }, /body\.qos/],
      [{ topic: 'a', payload: '***', payloadEncoding: 'base64' }, /body\.payload is not valid base64/],
      [{ topic: 'a', retained: true }, /body\.retained is not a known field/],
    ];
    for (const [body, reason] of cases) {
      const response = await post(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const answer = (await json(response)) as { code: string; message: string };
      assert.equal(answer.code, 'BAD_REQUEST');
      assert.match(answer.message, /^Invalid request: /);
      assert.match(answer.message, reason);
    }
    const wrongType = await harness.request('/v1/publish', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<x/>' });
    assert.equal(wrongType.status, 415);
    assert.equal(((await json(wrongType)) as { code: string }).code, 'BAD_REQUEST');
    const huge = await post({ topic: 'a', payload: 'x'.repeat(1024 * 1024 + 1) });
    assert.equal(huge.status, 413);
    assert.equal(((await json(huge)) as { code: string }).code, 'PAYLOAD_TOO_LARGE');
    const overPacket = await post({ topic: 'a', payload: 'x'.repeat(300 * 1024) });
    assert.equal(overPacket.status, 413);
    assert.match(((await json(overPacket)) as { message: string }).message, /exceeds the limit of 262144 bytes/);
    const notJson = await harness.request('/v1/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(notJson.status, 400);
    assert.equal(((await json(notJson)) as { code: string }).code, 'BAD_REQUEST');
  });
});

describe('stats, metrics and OpenAPI', () => {
  test('/metrics reads the live counters', async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
    // Connections close asynchronously on the broker side.
    for (let i = 0; i < 50 && harness.broker.admin.counters.connections > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));

    const client = await connect('metrics-1');
    const before = (await json(await harness.request('/v1/stats'))) as { connections: number; messagesIn: number[] };
    assert.equal(before.connections, 1);
    await client.publishAsync('metrics/a', 'hello', { qos: 1 });
    await client.publishAsync('metrics/a', 'hello', { qos: 1 });

    const metrics = await (await harness.request('/metrics', { key: null })).text();
    assert.match(metrics, /^gatehouse_connections 1$/m);
    const qos1 = /^gatehouse_messages_received_total\{qos="1"\} (\d+)$/m.exec(metrics);
    assert.ok(qos1, 'messages received by QoS are exposed');
    assert.equal(Number(qos1[1]), (before.messagesIn[1] ?? 0) + 2);
    assert.match(metrics, /^# TYPE gatehouse_store_commit_seconds histogram$/m);
    assert.match(metrics, /^gatehouse_store_commit_seconds_bucket\{le="\+Inf"\} \d+$/m);
    assert.match(metrics, /^gatehouse_store_commit_seconds_count \d+$/m);
    assert.match(metrics, /^process_cpu_user_seconds_total /m);

    const stats = (await json(await harness.request('/v1/stats'))) as { messagesIn: number[]; connections: number };
    assert.equal(stats.messagesIn[1], (before.messagesIn[1] ?? 0) + 2);
  });

  test('/openapi.json describes the routes', async () => {
    const doc = (await json(await harness.request('/openapi.json', { key: null }))) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(doc.openapi, /^3\./);
    for (const [path, method] of [['/v1/clients', 'get'], ['/v1/clients/{clientId}', 'delete'], ['/v1/sessions/{clientId}', 'get'], ['/v1/publish', 'post'], ['/v1/stats', 'get'], ['/readyz', 'get']]) {
      assert.ok(doc.paths[path as string]?.[method as string], `${method} ${path} is documented`);
    }
    assert.ok(Object.keys(doc.paths).some((path) => path.startsWith('/v1/retained/')), 'retained-by-topic is documented');
  });

  test('unknown routes are 404 NOT_FOUND', async () => {
    const response = await harness.request('/nowhere', { key: null });
    assert.equal(response.status, 404);
    assert.deepEqual(await json(response), { code: 'NOT_FOUND', message: 'Route "GET /nowhere" was not found' });
  });
});
