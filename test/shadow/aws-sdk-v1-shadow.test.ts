/**
 * aws-iot-device-sdk (v1), unmodified, drives its `thingShadow` class against Gatehouse with a
 * certificate from Gatehouse's onboarding: register, get, update (the SDK adds the version it last
 * saw), a delta the backend wrote through the admin API while the agent was offline arriving once the
 * agent is back and has registered again, report, delete.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
// @ts-expect-error aws-iot-device-sdk (v1) ships no type declarations
import awsIot from 'aws-iot-device-sdk';
import type { TestGatehouse } from '../helpers/index.ts';
import { adminShadow, onboard, startShadowGatehouse, type Json, type OnboardedDevice } from './shadow-kit.ts';

/** The parts of the v1 ThingShadowsClient this test uses. */
interface ThingShadow extends NodeJS.EventEmitter {
  register(thing: string, options: Json, callback: (error?: unknown, failed?: unknown) => void): void;
  get(thing: string, clientToken?: string): string | null;
  update(thing: string, state: Json): string | null;
  delete(thing: string, clientToken?: string): string | null;
  end(force: boolean, callback: () => void): void;
}

interface Status {
  readonly thing: string;
  readonly stat: 'accepted' | 'rejected';
  readonly token: string;
  readonly document: Json;
}

const THING = 'v1-agent';

describe('aws-iot-device-sdk (v1) thingShadow', () => {
  let gh: TestGatehouse;
  let device: OnboardedDevice;
  const open: ThingShadow[] = [];

  before(async () => {
    gh = await startShadowGatehouse();
    device = await onboard(gh, THING);
  });
  after(async () => {
    await Promise.all(open.map((shadow) => new Promise<void>((resolve) => shadow.end(true, resolve))));
    await gh?.stop();
  });

  /**
   * A thingShadow client on a persistent session (clean: false) with the thing registered at QoS 1
   * before it connects, as an agent that starts up does; resolves once the registration's SUBACK came.
   */
  async function startAgent(options: { clean?: boolean; persistentSubscribe?: boolean } = {}): Promise<{ shadow: ThingShadow; statuses: Status[]; deltas: Json[]; sent: string[] }> {
    const shadow = awsIot.thingShadow({
      host: 'localhost', port: gh.ports.mqtts, protocol: 'mqtts', clientId: THING, clean: options.clean ?? false,
      privateKey: Buffer.from(device.keyPem), clientCert: Buffer.from(device.certificatePem), caCert: Buffer.from(gh.caPem),
      keepalive: 30, baseReconnectTimeMs: 250,
    }, { operationTimeout: 5000 }) as ThingShadow;
    open.push(shadow);
    const statuses: Status[] = [];
    const deltas: Json[] = [];
    const sent: string[] = [];
    shadow.on('status', (thing: string, stat: Status['stat'], token: string, document: Json) => statuses.push({ thing, stat, token, document }));
    shadow.on('delta', (_thing: string, document: Json) => deltas.push(document));
    shadow.on('packetsend', (packet: { cmd: string; topic?: string; payload?: Buffer | string }) => {
      if (packet.cmd === 'publish' && packet.topic === `$aws/things/${THING}/shadow/update`) sent.push(String(packet.payload));
    });
    shadow.on('error', () => undefined);
    const registered = new Promise<void>((resolve, reject) => shadow.register(THING, { qos: 1, persistentSubscribe: options.persistentSubscribe ?? true }, (error, failed) => (error === undefined && failed === undefined ? resolve() : reject(new Error(`register failed: ${String(error)} ${JSON.stringify(failed)}`)))));
    await registered;
    return { shadow, statuses, deltas, sent };
  }

  async function stopAgent(shadow: ThingShadow): Promise<void> {
    await new Promise<void>((resolve) => shadow.end(false, resolve));
    open.splice(open.indexOf(shadow), 1);
  }

  /** Runs one operation and resolves with its status event (the SDK matches it by clientToken). */
  async function operate(agent: { shadow: ThingShadow; statuses: Status[] }, run: () => string | null): Promise<Status> {
    const token = run();
    assert.ok(token !== null, 'the SDK accepted the operation (none still pending)');
    const deadline = Date.now() + 5000;
    for (;;) {
      const status = agent.statuses.find((candidate) => candidate.token === token);
      if (status !== undefined) return status;
      if (Date.now() > deadline) throw new Error(`No status for ${token}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  test('register, get, update with the version it saw, an offline delta after it registers again, report, delete', async () => {
    const first = await startAgent();

    const missing = await operate(first, () => first.shadow.get(THING));
    assert.equal(missing.stat, 'rejected');
    assert.equal(missing.document['code'], 404);
    assert.equal(missing.document['message'], `No shadow exists with name: '${THING}'`);

    const created = await operate(first, () => first.shadow.update(THING, { state: { reported: { firmware: '1.0.0', interval: 60 } } }));
    assert.equal(created.stat, 'accepted', JSON.stringify(created.document));
    assert.equal(created.document['version'], 1);
    assert.equal(JSON.parse(first.sent[0] ?? '{}').version, undefined, 'the first update carries no version: the SDK had seen none');

    const second = await operate(first, () => first.shadow.update(THING, { state: { reported: { interval: 30 } } }));
    assert.equal(second.stat, 'accepted', JSON.stringify(second.document));
    assert.equal(JSON.parse(first.sent[1] ?? '{}').version, 1, 'the SDK sends the version of the last accepted update');
    assert.equal(second.document['version'], 2);
    assert.deepEqual(second.document['state'], { reported: { interval: 30 } });

    const read = await operate(first, () => first.shadow.get(THING));
    assert.equal(read.stat, 'accepted');
    assert.deepEqual(read.document['state'], { reported: { firmware: '1.0.0', interval: 30 } });
    assert.equal(read.document['version'], 2);
    await stopAgent(first.shadow);

    // The backend changes the configuration while the agent is away.
    const pushed = await adminShadow(gh, 'POST', { tenant: 'default', thing: THING, body: { state: { desired: { interval: 10, logLevel: 'debug' } } } });
    assert.equal(pushed.status, 200, pushed.text);
    assert.equal(pushed.body['version'], 3);

    // The agent starts again and registers (the same client id, its session kept the delta).
    const back = await startAgent();
    const deadline = Date.now() + 5000;
    while (back.deltas.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(back.deltas.length, 1, 'the delta written while the agent was offline arrives once it is back');
    assert.deepEqual(back.deltas[0]?.['state'], { interval: 10, logLevel: 'debug' });
    assert.equal(back.deltas[0]?.['version'], 3);

    // It applies the delta and reports; the SDK took version 3 from the delta.
    const applied = await operate(back, () => back.shadow.update(THING, { state: { reported: { interval: 10, logLevel: 'debug' } } }));
    assert.equal(applied.stat, 'accepted', JSON.stringify(applied.document));
    assert.equal(JSON.parse(back.sent.at(-1) ?? '{}').version, 3);
    assert.equal(applied.document['version'], 4);
    const synced = await adminShadow(gh, 'GET', { tenant: 'default', thing: THING });
    assert.deepEqual(synced.body['state'], {
      desired: { interval: 10, logLevel: 'debug' },
      reported: { firmware: '1.0.0', interval: 10, logLevel: 'debug' },
    }, 'no delta left once the agent reported what it applied');

    await stopAgent(back.shadow);

    // A stale version is refused. This agent subscribes to accepted/rejected only while an operation
    // runs (persistentSubscribe: false), on a clean session, so it misses another writer's update.
    const later = await startAgent({ clean: true, persistentSubscribe: false });
    const reread = await operate(later, () => later.shadow.get(THING));
    assert.equal(reread.document['version'], 4);
    const elsewhere = await adminShadow(gh, 'POST', { tenant: 'default', thing: THING, body: { state: { reported: { uptime: 1 } }, version: 4 } });
    assert.equal(elsewhere.status, 200, elsewhere.text);
    const stale = await operate(later, () => later.shadow.update(THING, { state: { reported: { uptime: 2 } } }));
    assert.equal(JSON.parse(later.sent.at(-1) ?? '{}').version, 4, 'the SDK sent the version it last saw');
    assert.equal(stale.stat, 'rejected');
    assert.equal(stale.document['code'], 409);
    assert.equal(stale.document['message'], 'Version conflict');
    const fresh = await operate(later, () => later.shadow.get(THING));
    assert.equal(fresh.document['version'], 5);
    assert.deepEqual((fresh.document['state'] as Json)['reported'], { firmware: '1.0.0', interval: 10, logLevel: 'debug', uptime: 1 }, 'the refused update changed nothing');
    const retried = await operate(later, () => later.shadow.update(THING, { state: { reported: { uptime: 2 } } }));
    assert.equal(retried.stat, 'accepted', JSON.stringify(retried.document));
    assert.equal(JSON.parse(later.sent.at(-1) ?? '{}').version, 5);
    assert.equal(retried.document['version'], 6);

    const deleted = await operate(later, () => later.shadow.delete(THING));
    assert.equal(deleted.stat, 'accepted', JSON.stringify(deleted.document));
    assert.equal(deleted.document['version'], 6);
    const gone = await operate(later, () => later.shadow.get(THING));
    assert.equal(gone.stat, 'rejected');
    assert.equal(gone.document['code'], 404);
    await stopAgent(later.shadow);
  });
});
