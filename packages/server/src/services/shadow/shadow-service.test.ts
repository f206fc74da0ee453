/** The shadow service on a real Broker and a MemoryShadowStore: MQTT requests through the broker, REST calls, ordering, CAS, tombstones, failures. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { allowAs, Broker, type InternalMessage } from '../../broker/index.js';
import { createLogger, silentLogger, type Logger } from '../../core/index.js';
import { MemoryShadowStore, MemoryShadowTables, MemoryStore, type ShadowStore, type ThingRecord } from '../../store/index.js';
import { startShadowService, type ShadowService, type ShadowServiceOptions } from './shadow-service.js';

const HOUR = 3600 * 1000;
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

/** Things of the registry, as `tenant/name`. */
function registry(...things: string[]): ShadowServiceOptions['identity'] {
  const known = new Set(things);
  return { getThing: async (tenant, name) => (known.has(`${tenant}/${name}`) ? ({ tenant, name } as unknown as ThingRecord) : undefined) };
}

interface Published {
  readonly topic: string;
  readonly body: Record<string, unknown>;
  readonly qos: number;
  readonly retain: boolean;
}

const parse = (message: InternalMessage): Published => ({ topic: message.topic, body: JSON.parse(message.payload.toString('utf8')) as Record<string, unknown>, qos: message.qos, retain: message.retain });
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits until `predicate` holds, polling every few ms, or fails after two seconds. */
async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `base` with some of its verbs replaced. */
function storeWith(base: ShadowStore, overrides: Partial<ShadowStore>): ShadowStore {
  return {
    getShadow: (...args) => base.getShadow(...args),
    putShadow: (record, expected) => base.putShadow(record, expected),
    listShadowNames: (...args) => base.listShadowNames(...args),
    purgeTombstones: (before) => base.purgeTombstones(before),
    ...overrides,
  };
}

/** `base` whose reads wait until `release()` is called. */
function gatedStore(base: ShadowStore): { readonly store: ShadowStore; readonly release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    store: storeWith(base, {
      getShadow: async (...args) => {
        await gate;
        return base.getShadow(...args);
      },
    }),
    release,
  };
}

describe('shadow service', () => {
  let store: MemoryStore;
  let broker: Broker;
  let shadows: MemoryShadowStore;
  let service: ShadowService | undefined;
  let published: Published[];
  let now: number;
  const acme = (topic: string): string => `$tenants/acme/${topic}`;

  beforeEach(async () => {
    store = new MemoryStore();
    await store.open();
    // MQTT clients of these tests are token principals of acme: their topics live under $tenants/acme/.
    const acmeClient = (event: { readonly clientId: string }) => allowAs({ kind: 'token', tenant: 'acme', clientId: event.clientId, sourceIp: '', attributes: {} });
    broker = new Broker({ store, logger: silentLogger(), hooks: { connect: [acmeClient] } });
    await broker.start();
    shadows = new MemoryShadowStore();
    await shadows.open();
    published = [];
    now = T0;
    // Everything the service publishes, in every tenant (the request filters catch requests only).
    broker.port.subscribe('$tenants/+/$aws/things/+/shadow/+/+', (message) => published.push(parse(message)));
    broker.port.subscribe('$tenants/+/$aws/things/+/shadow/name/+/+/+', (message) => published.push(parse(message)));
  });

  afterEach(async () => {
    await service?.stop();
    service = undefined;
    await broker.close();
    await store.close();
    await shadows.close();
  });

  const start = (options: Partial<ShadowServiceOptions> = {}): ShadowService =>
    (service = startShadowService({ broker: broker.port, shadows, identity: registry('acme/agent-7', 'acme/agent-8'), logger: silentLogger(), now: () => now, ...options }));

  /** Publishes a request as a service would (no origin) and waits for `count` more messages from the service. */
  async function request(topic: string, payload: unknown, count = 1): Promise<Published[]> {
    const before = published.length;
    broker.port.publish({ topic, payload: payload === undefined ? Buffer.alloc(0) : json(payload), qos: 1, retain: false });
    await until(() => published.length >= before + count, `${count} replies to ${topic}`);
    return published.slice(before);
  }

  test('an MQTT update answers accepted, delta and documents in the request\'s tenant, QoS 1, not retained, echoing the clientToken', async () => {
    start();
    const replies = await request(acme('$aws/things/agent-7/shadow/update'), { state: { desired: { mode: 'eco' } }, clientToken: 'tok-1' }, 3);
    assert.deepEqual(replies.map((reply) => reply.topic), [
      acme('$aws/things/agent-7/shadow/update/accepted'),
      acme('$aws/things/agent-7/shadow/update/delta'),
      acme('$aws/things/agent-7/shadow/update/documents'),
    ]);
    for (const reply of replies) {
      assert.equal(reply.qos, 1);
      assert.equal(reply.retain, false);
      assert.equal(reply.body['clientToken'], 'tok-1', reply.topic);
      assert.equal(reply.body['version'] ?? (reply.body['current'] as { version: number }).version, 1, reply.topic);
    }
    assert.deepEqual(replies[0]!.body['state'], { desired: { mode: 'eco' } });
    assert.equal(replies[0]!.body['timestamp'], Math.floor(T0 / 1000));
    const stored = await shadows.getShadow('acme', 'agent-7', '');
    assert.equal(stored?.version, 1);
    assert.deepEqual(JSON.parse(stored!.state), { desired: { mode: 'eco' } });

    const got = await request(acme('$aws/things/agent-7/shadow/get'), { clientToken: 'tok-2' });
    assert.equal(got[0]!.topic, acme('$aws/things/agent-7/shadow/get/accepted'));
    assert.deepEqual(got[0]!.body['state'], { desired: { mode: 'eco' }, delta: { mode: 'eco' } });
    assert.equal(got[0]!.body['clientToken'], 'tok-2');
  });

  test('get and delete of a missing shadow are rejected 404 naming the shadow (the thing for the classic one)', async () => {
    start();
    const classic = await request(acme('$aws/things/agent-7/shadow/get'), { clientToken: 'c1' });
    assert.equal(classic[0]!.topic, acme('$aws/things/agent-7/shadow/get/rejected'));
    assert.deepEqual({ ...classic[0]!.body, timestamp: 0 }, { code: 404, message: "No shadow exists with name: 'agent-7'", timestamp: 0, clientToken: 'c1' });
    const named = await request(acme('$aws/things/agent-7/shadow/name/config/delete'), undefined);
    assert.equal(named[0]!.topic, acme('$aws/things/agent-7/shadow/name/config/delete/rejected'));
    assert.equal(named[0]!.body['message'], "No shadow exists with name: 'config'");
    assert.equal('clientToken' in named[0]!.body, false, 'no token sent, none echoed');
  });

  test('requests of one shadow apply strictly in arrival order, MQTT and REST interleaved, even when the store is slow', async () => {
    // A store whose reads take a random time: without the per-shadow queue, later requests would
    // overtake earlier ones (and lose compare-and-set races).
    const slow = storeWith(shadows, {
      getShadow: async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
        return shadows.getShadow(...args);
      },
    });
    const shadowService = start({ shadows: slow });
    const rest: Array<Promise<{ status: number; body: object }>> = [];
    for (let seq = 1; seq <= 30; seq++) {
      if (seq % 5 === 0) rest.push(shadowService.update('acme', 'agent-7', 'config', json({ state: { reported: { seq } } })));
      else broker.port.publish({ topic: acme('$aws/things/agent-7/shadow/name/config/update'), payload: json({ state: { reported: { seq } } }), qos: 1, retain: false });
    }
    await until(() => published.filter((p) => p.topic.endsWith('/update/accepted')).length === 30, '30 accepted updates');
    const accepted = published.filter((p) => p.topic.endsWith('/update/accepted')).map((p) => [(p.body['state'] as { reported: { seq: number } }).reported.seq, p.body['version']]);
    assert.deepEqual(accepted, Array.from({ length: 30 }, (_, i) => [i + 1, i + 1]), 'update n became version n, in order');
    assert.deepEqual((await Promise.all(rest)).map((result) => result.status), [200, 200, 200, 200, 200, 200]);
    assert.equal((await shadows.getShadow('acme', 'agent-7', 'config'))?.version, 30);
  });

  test('a lost compare-and-set is read again and retried without a version, and is a 409 with one', async () => {
    // Another node writes the shadow between this node's read and its write, once per request.
    let sneakIn = false;
    const racing = storeWith(shadows, {
      putShadow: async (record, expected) => {
        if (sneakIn) {
          sneakIn = false;
          const theirs = await shadows.getShadow(record.tenant, record.thing, record.name);
          const version = (theirs?.version ?? 0) + 1;
          await shadows.putShadow({ ...record, state: '{"reported":{"other":true}}', metadata: `{"reported":{"other":{"timestamp":1}}}`, version }, theirs?.version);
        }
        return shadows.putShadow(record, expected);
      },
    });
    const shadowService = start({ shadows: racing });
    assert.equal((await shadowService.update('acme', 'agent-7', undefined, json({ state: { reported: { a: 1 } } }))).status, 200);

    sneakIn = true;
    const retried = await shadowService.update('acme', 'agent-7', undefined, json({ state: { reported: { b: 2 } } }));
    assert.equal(retried.status, 200);
    assert.equal((retried.body as { version: number }).version, 3, 'applied on top of the other node\'s version 2');
    assert.deepEqual(JSON.parse((await shadows.getShadow('acme', 'agent-7', ''))!.state), { reported: { other: true, b: 2 } }, 'the other write is kept, not overwritten');

    sneakIn = true;
    const versioned = await shadowService.update('acme', 'agent-7', undefined, json({ state: { reported: { c: 3 } }, version: 3, clientToken: 'v' }));
    assert.equal(versioned.status, 409);
    assert.deepEqual({ ...versioned.body, timestamp: 0 }, { code: 409, message: 'Version conflict', timestamp: 0, clientToken: 'v' });
    assert.equal((await shadows.getShadow('acme', 'agent-7', ''))?.version, 4, 'only the other node\'s write landed');
  });

  test('a deleted shadow recreated within 48 h continues its version; later it starts again; a second delete is 404', async () => {
    const shadowService = start();
    for (let i = 0; i < 3; i++) await shadowService.update('acme', 'agent-7', undefined, json({ state: { reported: { i } } }));
    const live = (await shadows.getShadow('acme', 'agent-7', ''))!;
    const deleted = await request(acme('$aws/things/agent-7/shadow/delete'), { clientToken: 'd1' });
    // Another node that read the live shadow before the delete cannot write over the tombstone.
    assert.equal(await shadows.putShadow({ ...live, version: live.version + 1 }, live.version), false, 'the tombstone is not the live row a stale writer expects');
    assert.equal(deleted[0]!.topic, acme('$aws/things/agent-7/shadow/delete/accepted'));
    assert.deepEqual(deleted[0]!.body, { version: 3, timestamp: Math.floor(T0 / 1000), clientToken: 'd1' });
    assert.equal((await shadowService.get('acme', 'agent-7', undefined)).status, 404);
    const again = await shadowService.delete('acme', 'agent-7', undefined);
    assert.equal(again.status, 404);
    assert.equal((again.body as { message: string }).message, "No shadow exists with name: 'agent-7'");

    now = T0 + 47 * HOUR;
    const recreated = await shadowService.update('acme', 'agent-7', undefined, json({ state: { reported: { back: true } } }));
    assert.equal((recreated.body as { version: number }).version, 4);
    const got = await shadowService.get('acme', 'agent-7', undefined);
    assert.deepEqual((got.body as { state: object }).state, { reported: { back: true } }, 'nothing of the deleted shadow comes back');

    assert.equal((await shadowService.delete('acme', 'agent-7', undefined)).status, 200);
    now += 49 * HOUR;
    const fresh = await shadowService.update('acme', 'agent-7', undefined, json({ state: { reported: { fresh: true } } }));
    assert.equal((fresh.body as { version: number }).version, 1, 'a tombstone older than 48 h does not count');
  });

  test('purgeTombstones removes deleted shadows older than 48 h and keeps younger ones', async () => {
    const shadowService = start();
    await shadowService.update('acme', 'agent-7', 'old', json({ state: { reported: { a: 1 } } }));
    await shadowService.update('acme', 'agent-7', 'young', json({ state: { reported: { a: 1 } } }));
    await shadowService.delete('acme', 'agent-7', 'old');
    now += 10 * HOUR;
    await shadowService.delete('acme', 'agent-7', 'young');
    now += 40 * HOUR;
    assert.equal(await shadowService.purgeTombstones(), 1);
    assert.equal(await shadows.getShadow('acme', 'agent-7', 'old'), undefined);
    assert.equal((await shadows.getShadow('acme', 'agent-7', 'young'))?.deletedAt, T0 + 10 * HOUR, 'the younger tombstone stays');
  });

  test('updates of a thing not in the tenant\'s registry are refused 404 unless requireThing is off; replies stay in the tenant', async () => {
    start();
    const unknown = await request('$tenants/globex/$aws/things/agent-7/shadow/update', { state: { reported: { x: 1 } }, clientToken: 'g' });
    assert.equal(unknown[0]!.topic, '$tenants/globex/$aws/things/agent-7/shadow/update/rejected', 'answered in globex, where it was asked');
    assert.deepEqual({ ...unknown[0]!.body, timestamp: 0 }, { code: 404, message: 'Thing not found', timestamp: 0, clientToken: 'g' });
    assert.equal(await shadows.getShadow('globex', 'agent-7', ''), undefined);
    assert.equal(published.some((p) => p.topic.startsWith('$tenants/acme/')), false, 'nothing reached acme');

    await service!.stop();
    const open = start({ requireThing: false });
    assert.equal((await open.update('globex', 'anything', undefined, json({ state: { reported: { x: 1 } } }))).status, 200);
  });

  test('REST calls publish accepted, delta and documents but never rejected', async () => {
    const shadowService = start();
    const bad = await shadowService.update('acme', 'agent-7', undefined, Buffer.from('{"state":'));
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { message: string }).message, 'Invalid JSON');
    const conflict = await shadowService.update('acme', 'agent-7', undefined, json({ state: { desired: { a: 1 } }, version: 5 }));
    assert.equal(conflict.status, 409);
    assert.equal((await shadowService.get('acme', 'agent-7', undefined)).status, 404);
    await tick();
    assert.deepEqual(published.map((p) => p.topic), [], 'no rejected message for REST callers');

    const ok = await shadowService.update('acme', 'agent-7', undefined, json({ state: { desired: { a: 1 } } }));
    assert.equal(ok.status, 200);
    await until(() => published.length === 3, 'the events of the REST update');
    assert.deepEqual(published.map((p) => p.topic.slice(p.topic.lastIndexOf('/update/'))), ['/update/accepted', '/update/delta', '/update/documents']);
    const got = await shadowService.get('acme', 'agent-7', undefined);
    assert.equal(got.status, 200);
    await tick();
    assert.equal(published.length, 3, 'a REST get publishes nothing');
  });

  test('a store failure is answered 500 Internal service failure and logged; the service goes on', async () => {
    const lines: string[] = [];
    const logger: Logger = createLogger({ level: 'error', destination: new Writable({ write: (chunk: Buffer, _encoding, done) => { lines.push(chunk.toString()); done(); } }) });
    let failing = true;
    const broken = storeWith(shadows, {
      getShadow: async (...args) => {
        if (failing) throw new Error('disk on fire');
        return shadows.getShadow(...args);
      },
    });
    const shadowService = start({ shadows: broken, logger });
    const rejected = await request(acme('$aws/things/agent-7/shadow/update'), { state: { reported: { a: 1 } }, clientToken: 'x' });
    assert.deepEqual({ ...rejected[0]!.body, timestamp: 0 }, { code: 500, message: 'Internal service failure', timestamp: 0, clientToken: 'x' });
    const rest = await shadowService.get('acme', 'agent-7', undefined);
    assert.equal(rest.status, 500);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /Shadow request failed/);
    assert.match(lines[0]!, /disk on fire/);
    failing = false;
    assert.equal((await shadowService.update('acme', 'agent-7', undefined, json({ state: { reported: { a: 1 } } }))).status, 200);
  });

  test('two services on one store (two nodes) keep every update: versions never repeat', async () => {
    const tables = new MemoryShadowTables();
    const first = new MemoryShadowStore({ tables });
    const second = new MemoryShadowStore({ tables });
    const a = start({ shadows: first });
    const b = startShadowService({ broker: broker.port, shadows: second, identity: registry('acme/agent-7'), logger: silentLogger(), now: () => now });
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).update('acme', 'agent-7', undefined, json({ state: { reported: { [`k${i}`]: i } } }))));
      assert.deepEqual(results.map((result) => result.status), Array<number>(20).fill(200));
      const versions = results.map((result) => (result.body as { version: number }).version).sort((x, y) => x - y);
      assert.deepEqual(versions, Array.from({ length: 20 }, (_, i) => i + 1));
      assert.equal(Object.keys((JSON.parse((await first.getShadow('acme', 'agent-7', ''))!.state) as { reported: object }).reported).length, 20);
    } finally {
      // Stopped before afterEach stops `a`: both subscribe to the same topics.
      await b.stop();
    }
  });

  describe('over a real MQTT connection', () => {
    let server: Server;
    const sockets = new Set<Socket>();
    let url: string;

    beforeEach(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        broker.accept(socket, { transport: 'tcp', remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0, localPort: 0, listener: 'test' });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    });

    test('more requests in flight than the limit on one connection are rejected 429, others are served', async () => {
      const { store: gated, release } = gatedStore(shadows);
      start({ shadows: gated, maxInFlightPerClient: 3 });
      const client = await mqtt.connectAsync(url, { clientId: 'agent-7', reconnectPeriod: 0 });
      try {
        for (let i = 0; i < 5; i++) await client.publishAsync('$aws/things/agent-7/shadow/update', JSON.stringify({ state: { reported: { i } }, clientToken: `t${i}` }), { qos: 1 });
        await until(() => published.length === 2, 'two 429 rejections');
        assert.deepEqual(published.map((p) => [p.topic, p.body['code'], p.body['clientToken']]), [
          [acme('$aws/things/agent-7/shadow/update/rejected'), 429, 't3'],
          [acme('$aws/things/agent-7/shadow/update/rejected'), 429, 't4'],
        ]);
        release();
        await until(() => published.filter((p) => p.topic.endsWith('/accepted')).length === 3, 'three accepted');
        // The slots are free again.
        await client.publishAsync('$aws/things/agent-7/shadow/get', '', { qos: 1 });
        await until(() => published.some((p) => p.topic.endsWith('/get/accepted')), 'a get after the slots freed');
      } finally {
        release();
        await client.endAsync();
      }
    });
  });

  test('stop() waits for the request under way and then answers no more', async () => {
    const { store: gated, release } = gatedStore(shadows);
    const shadowService = start({ shadows: gated });
    broker.port.publish({ topic: acme('$aws/things/agent-7/shadow/update'), payload: json({ state: { reported: { a: 1 } } }), qos: 1, retain: false });
    let stopped = false;
    const stopping = shadowService.stop().then(() => (stopped = true));
    await tick();
    assert.equal(stopped, false, 'stop waits for the update');
    release();
    await stopping;
    assert.equal((await shadows.getShadow('acme', 'agent-7', ''))?.version, 1, 'the update under way finished');
    const count = published.length;
    broker.port.publish({ topic: acme('$aws/things/agent-7/shadow/get'), payload: Buffer.alloc(0), qos: 1, retain: false });
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(published.length, count, 'no answer after stop');
  });
});
