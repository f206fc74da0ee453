/**
 * kill -9 at random moments: every QoS 1 message the broker acknowledged (PUBACK) reaches every
 * matching persistent session, whether its subscriber was offline or online (inflight) at the crash;
 * retained messages and a delayed will survive too. The broker runs as a child process on SQLite.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Packet } from 'mqtt-packet';
import { connectClient, connectWith, sleep, startGatehouseProcess, waitFor, type GatehouseProcess, type RawMqtt } from '../helpers/index.js';

const ROUNDS = Number(process.env['GATEHOUSE_CRASH_ROUNDS'] ?? 20);
const WINDOW = 64;
const TOPIC = 'crash/data';
/** Unlimited publish rate and a queue large enough that no acknowledged message is dropped by a bound. */
const LIMITS = { maxPublishRate: 0, maxQueuedMessages: 1_000_000, receiveMaximum: 100, maxInflight: 100 };

interface Running {
  readonly process: GatehouseProcess;
  readonly url: string;
}

let home = '';
let running: Running | undefined;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'gatehouse-crash-'));
});

after(async () => {
  if (running !== undefined) await kill(running);
  await rm(home, { recursive: true, force: true });
});

/** `gatehouse serve` on SQLite in the shared home; every start after a kill loads what the last one committed. */
async function start(): Promise<Running> {
  const limits = Object.entries(LIMITS).flatMap(([key, value]) => ['--set', `limits.${key}=${value}`]);
  const gatehouse = await startGatehouseProcess({ home, args: ['--set', 'store.kind=sqlite', ...limits] });
  const url = gatehouse.endpoints.mqtt;
  if (url === undefined) throw new Error('gatehouse serve wrote no mqtt endpoint');
  running = { process: gatehouse, url };
  return running;
}

async function kill(server: Running): Promise<void> {
  const ended = await server.process.stop('SIGKILL');
  assert.ok(ended.signal === 'SIGKILL' || ended.code !== null);
  if (running === server) running = undefined;
}

/** The publisher's view: what it sent and what the broker acknowledged. */
interface Round {
  readonly name: string;
  readonly numbers: number[];
  readonly acked: Set<number>;
}

let nextNumber = 1;

/**
 * Publishes numbered QoS 1 messages with up to WINDOW unacknowledged, as fast as the broker takes
 * them, until the socket closes (the broker was killed). Resolves with the socket's close once
 * publishing has started.
 */
async function publishUntilKilled(url: string, round: Round): Promise<{ closed: Promise<void> }> {
  const { client } = await connectWith(url, 4, { clientId: `publisher-${round.name}` }, { waitMs: 5000 });
  const inflight = new Map<number, number>();
  let packetId = 0;
  const pump = (): void => {
    while (!client.isClosed && inflight.size < WINDOW) {
      packetId = packetId === 0xffff ? 1 : packetId + 1;
      const number = nextNumber++;
      inflight.set(packetId, number);
      round.numbers.push(number);
      client.send({ cmd: 'publish', topic: TOPIC, payload: Buffer.from(String(number)), qos: 1, messageId: packetId, dup: false, retain: false });
    }
  };
  client.onPacket = (packet: Packet) => {
    if (packet.cmd !== 'puback') return;
    const number = inflight.get(packet.messageId!);
    if (number === undefined) return;
    inflight.delete(packet.messageId!);
    round.acked.add(number);
    // Refill from a macrotask so the socket's reads and the kill timer get their turn.
    if (inflight.size === WINDOW / 2) setImmediate(pump);
  };
  pump();
  return { closed: client.whenClosed() };
}

interface Collected {
  /** How many times each number arrived. */
  readonly counts: Map<number, number>;
  /** Numbers that arrived with DUP set. */
  readonly dups: Set<number>;
}

function newCollected(): Collected {
  return { counts: new Map(), dups: new Set() };
}

function record(collected: Collected, payload: Buffer | string, dup: boolean): void {
  const number = Number(payload.toString());
  collected.counts.set(number, (collected.counts.get(number) ?? 0) + 1);
  if (dup) collected.dups.add(number);
}

/** Reconnects a persistent session (clean = false) with MQTT.js, acknowledging everything, until `done`. */
async function drainSession(url: string, clientId: string, version: 4 | 5, collected: Collected, done: () => boolean): Promise<void> {
  const { client, connack } = await connectClient(url, {
    clientId,
    protocolVersion: version,
    clean: false,
    ...(version === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
  }, (topic, payload, packet) => {
    if (topic === TOPIC) record(collected, payload, packet.dup);
  });
  assert.equal(connack.sessionPresent, true, `${clientId} finds its session after the crashes`);
  await waitFor(done, `${clientId} to receive every acknowledged message`, 60_000);
  // Anything still queued arrives right behind; give it a moment so duplicates are counted.
  await sleep(300);
  await client.endAsync();
}

function missing(acked: Iterable<number>, collected: Collected): number[] {
  const out: number[] = [];
  for (const number of acked) if (!collected.counts.has(number)) out.push(number);
  return out;
}

function duplicates(collected: Collected, numbers: readonly number[]): number {
  let total = 0;
  for (const number of numbers) total += Math.max(0, (collected.counts.get(number) ?? 0) - 1);
  return total;
}

function delivered(collected: Collected, numbers: readonly number[]): number {
  let total = 0;
  for (const number of numbers) if (collected.counts.has(number)) total++;
  return total;
}

describe('kill -9 while publishing (SQLite, child process)', { timeout: 180_000 }, () => {
  const offline = [
    { clientId: 'offline-v5', version: 5 as const, collected: newCollected() },
    { clientId: 'offline-v4', version: 4 as const, collected: newCollected() },
  ];
  const rounds: Round[] = [];

  it(`keeps every acknowledged message for offline persistent sessions over ${ROUNDS} kills`, async () => {
    let server = await start();
    for (const subscriber of offline) {
      const { client } = await connectClient(server.url, {
        clientId: subscriber.clientId,
        protocolVersion: subscriber.version,
        clean: false,
        ...(subscriber.version === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
      });
      await client.subscribeAsync(TOPIC, { qos: 1 });
      await client.endAsync();
    }
    // A PUBACK comes after the commit that holds it, and commits are in order: once this one is
    // acknowledged the sessions and subscriptions above are on disk.
    const marker = await connectClient(server.url, { clientId: 'marker' });
    await marker.client.publishAsync('crash/marker', 'x', { qos: 1 });
    await marker.client.endAsync();

    for (let index = 0; index < ROUNDS; index++) {
      const round: Round = { name: `r${index + 1}`, numbers: [], acked: new Set() };
      rounds.push(round);
      const delay = 10 + Math.floor(Math.random() * 400);
      const publishing = await publishUntilKilled(server.url, round);
      await sleep(delay);
      await kill(server);
      await publishing.closed;
      server = await start();
    }

    for (const subscriber of offline) {
      const allAcked = rounds.flatMap((round) => [...round.acked]);
      await drainSession(server.url, subscriber.clientId, subscriber.version, subscriber.collected,
        () => missing(allAcked, subscriber.collected).length === 0);
    }
    await kill(server);

    console.log('round  published  acked  delivered(v5/v4)  duplicates(v5/v4)');
    for (const round of rounds) {
      const [v5, v4] = offline.map((subscriber) => subscriber.collected);
      console.log(`${round.name.padEnd(5)}  ${String(round.numbers.length).padStart(9)}  ${String(round.acked.size).padStart(5)}  ${`${delivered(v5!, round.numbers)}/${delivered(v4!, round.numbers)}`.padStart(16)}  ${`${duplicates(v5!, round.numbers)}/${duplicates(v4!, round.numbers)}`.padStart(17)}`);
    }
    const numbers = rounds.flatMap((round) => round.numbers);
    const acked = rounds.reduce((sum, round) => sum + round.acked.size, 0);
    for (const subscriber of offline) {
      console.log(`total ${subscriber.clientId}: published ${numbers.length}, acknowledged ${acked}, delivered ${delivered(subscriber.collected, numbers)}, duplicates ${duplicates(subscriber.collected, numbers)}`);
    }
    assert.ok(acked > 0, 'the publisher got acknowledgements at all');
    for (const subscriber of offline) {
      for (const round of rounds) {
        assert.deepEqual(missing(round.acked, subscriber.collected), [], `${subscriber.clientId} misses acknowledged messages of ${round.name}`);
      }
    }
  });

  it('resends inflight messages with DUP to subscribers that were online at the kill', async () => {
    let server = await start();
    const live = [
      { clientId: 'live-v5', version: 5 as const, before: newCollected(), after: newCollected() },
      { clientId: 'live-v4', version: 4 as const, before: newCollected(), after: newCollected() },
    ];
    const connectLive = (url: string, subscriber: typeof live[number], onPacket?: (packet: Packet, client: RawMqtt) => void) => connectWith(url, subscriber.version, {
      clientId: subscriber.clientId,
      clean: false,
      ...(subscriber.version === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    }, { waitMs: 5000, ...(onPacket === undefined ? {} : { onPacket }) });
    for (const subscriber of live) {
      const { client } = await connectLive(server.url, subscriber);
      client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: TOPIC, qos: 1 }] });
      await client.expect('suback');
      // Reads everything and acknowledges nothing: at the kill these are inflight or queued.
      client.onPacket = (packet) => {
        if (packet.cmd === 'publish') record(subscriber.before, packet.payload, packet.dup);
      };
    }
    const marker = await connectClient(server.url, { clientId: 'marker' });
    await marker.client.publishAsync('crash/marker', 'x', { qos: 1 });
    await marker.client.endAsync();

    const round: Round = { name: 'online', numbers: [], acked: new Set() };
    const publishing = await publishUntilKilled(server.url, round);
    await sleep(150 + Math.floor(Math.random() * 250));
    await kill(server);
    await publishing.closed;
    server = await start();

    const resumed: RawMqtt[] = [];
    for (const subscriber of live) {
      const { client, connack } = await connectLive(server.url, subscriber, (packet, raw) => {
        if (packet.cmd !== 'publish') return;
        record(subscriber.after, packet.payload, packet.dup);
        raw.send({ cmd: 'puback', messageId: packet.messageId! });
      });
      assert.equal(connack.sessionPresent, true);
      resumed.push(client);
    }
    const everything = (subscriber: typeof live[number]): Collected => {
      const all = newCollected();
      for (const part of [subscriber.before, subscriber.after]) {
        for (const [number, count] of part.counts) all.counts.set(number, (all.counts.get(number) ?? 0) + count);
      }
      return all;
    };
    for (const subscriber of live) {
      await waitFor(() => missing(round.acked, everything(subscriber)).length === 0, `${subscriber.clientId} to get every acknowledged message`, 20_000).catch((error: unknown) => {
        const lost = missing(round.acked, everything(subscriber));
        throw new Error(`${String(error)}: ${lost.length} of ${round.acked.size} missing (received ${subscriber.before.counts.size} before the kill, ${subscriber.after.counts.size} after)`);
      });
    }
    await sleep(300);
    for (const client of resumed) client.destroy();
    await kill(server);

    for (const subscriber of live) {
      const all = everything(subscriber);
      const seenAndAcked = [...subscriber.before.counts.keys()].filter((number) => round.acked.has(number));
      console.log(`online ${subscriber.clientId}: published ${round.numbers.length}, acknowledged ${round.acked.size}, received before the kill ${subscriber.before.counts.size}, resent with DUP after ${subscriber.after.dups.size}, delivered ${delivered(all, round.numbers)}, duplicates ${duplicates(all, round.numbers)}`);
      assert.ok(subscriber.before.counts.size > 0, `${subscriber.clientId} had messages inflight at the kill`);
      assert.deepEqual(missing(round.acked, all), [], `${subscriber.clientId} misses acknowledged messages`);
      // [MQTT-4.4.0-1] an unacknowledged PUBLISH is sent again with DUP set [MQTT-3.3.1-1]
      const notResent = seenAndAcked.filter((number) => !subscriber.after.dups.has(number));
      assert.deepEqual(notResent, [], `${subscriber.clientId}: unacknowledged inflight messages come again with DUP`);
      assert.ok(subscriber.after.dups.size > 0);
    }
  });

  it('keeps a retained message and a delayed will across a kill', async () => {
    let server = await start();
    const willTopic = 'crash/will/agent-1';
    const watcherOptions = { clientId: 'will-watch', protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 3600 } };
    const watcher = await connectClient(server.url, watcherOptions);
    await watcher.client.subscribeAsync('crash/will/#', { qos: 1 });
    await watcher.client.endAsync();

    const publisher = await connectClient(server.url, { clientId: 'retainer' });
    await publisher.client.publishAsync('crash/retained/config', 'v7', { qos: 1, retain: true });
    await publisher.client.endAsync();

    const { client: agent } = await connectWith(server.url, 5, {
      clientId: 'agent-1',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: { topic: willTopic, payload: Buffer.from('gone'), qos: 1, retain: false, properties: { willDelayInterval: 3 } },
    }, { waitMs: 5000 });
    // The agent drops off the network without DISCONNECT: its will is due in 3 s.
    agent.destroy();
    const droppedAt = Date.now();
    await sleep(200);
    const marker = await connectClient(server.url, { clientId: 'marker' });
    await marker.client.publishAsync('crash/marker', 'x', { qos: 1 });
    await marker.client.endAsync();
    await kill(server);
    server = await start();

    const wills: number[] = [];
    const resumed = await connectClient(server.url, watcherOptions, (topic, payload) => {
      if (topic === willTopic && payload.toString() === 'gone') wills.push(Date.now());
    });
    assert.equal(resumed.connack.sessionPresent, true);
    await waitFor(() => wills.length > 0, 'the delayed will after the restart', 10_000);
    await sleep(500);
    const retained: { payload: string; retain: boolean }[] = [];
    const reader = await connectClient(server.url, { clientId: 'reader' }, (_topic, payload, packet) => retained.push({ payload: payload.toString(), retain: packet.retain }));
    await reader.client.subscribeAsync('crash/retained/#', { qos: 1 });
    await waitFor(() => retained.length > 0, 'the retained message after the kill');
    await reader.client.endAsync();
    await resumed.client.endAsync();
    await kill(server);

    console.log(`will published ${wills[0]! - droppedAt} ms after the agent dropped (delay 3000 ms, kill in between)`);
    assert.equal(wills.length, 1, 'the will is published once');
    assert.ok(wills[0]! - droppedAt >= 2500, 'not before its delay');
    assert.deepEqual(retained, [{ payload: 'v7', retain: true }]);
  });
});
