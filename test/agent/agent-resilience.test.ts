/**
 * The agent SDK when things go wrong: the server restarts while the agent publishes (the offline
 * queue is drained in order, nothing lost), the first endpoint dies (failover to the second within
 * the backoff bound, queued messages kept), and the only way out is an authenticating HTTP proxy.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { failoverBound, ProxyTunnelError, type Agent } from '../../packages/agent/src/index.ts';
import { connectClient, waitFor, type TestGatehouse } from '../helpers/index.ts';
import { closedPort, endpointsOf, nextEvent, onboard, removeQueueDirs, startAgent, startAgentGatehouse, startConnectProxy } from './agent-kit.ts';

const homes: string[] = [];
async function freshHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'agent-resilience-'));
  homes.push(home);
  return home;
}

/** A persistent backend session (QoS 1) that keeps what arrives for `filter` while it is away. */
async function backendSession(gh: TestGatehouse, clientId: string, filter: string, seen: string[]): Promise<MqttClient> {
  const { client, connack } = await connectClient(gh.urls.mqtt, { clientId, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } }, (_topic, payload) => {
    seen.push(payload.toString());
  });
  if (!connack.sessionPresent) await client.subscribeAsync(filter, { qos: 1 });
  return client;
}

describe('agent SDK resilience', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await removeQueueDirs();
    await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })));
  });

  test('messages published while the server restarts are queued on disk and drained in order after it comes back', async () => {
    const home = await freshHome();
    let gh = await startAgentGatehouse({ home });
    const device = await onboard(gh, 'meter-1');
    const ports = gh.ports;
    const seen: string[] = [];
    let backend = await backendSession(gh, 'backend-restart', 'acme/meter-1/reading', seen);
    const agent = await startAgent(gh, device, { endpoints: [endpointsOf(gh).mqtts] });
    cleanups.push(() => agent.close());
    await nextEvent(agent, 'connected');
    await agent.publish('reading', '0');

    const offline = nextEvent(agent, 'offline');
    await backend.endAsync();
    await gh.stop();
    assert.equal((await offline).endpoint, endpointsOf({ ports }).mqtts);
    assert.equal(agent.connected, false);
    for (let n = 1; n <= 20; n++) await agent.publish('reading', String(n));
    assert.equal(agent.queued, 20, 'published while offline: all on disk');

    // Same home and ports: the same server, restarted.
    const reconnected = nextEvent(agent, 'connected', 20_000);
    gh = await startAgentGatehouse({ home, config: { listeners: { mqtts: { port: ports.mqtts }, mqtt: { port: ports.mqtt } } } });
    cleanups.push(() => gh.stop());
    backend = await backendSession(gh, 'backend-restart', 'acme/meter-1/reading', seen);
    cleanups.push(() => backend.endAsync());
    await reconnected;
    await waitFor(() => seen.length >= 21, 'the queued readings at the backend', 10_000);
    assert.deepEqual(seen, Array.from({ length: 21 }, (_, n) => String(n)));
    await waitFor(() => agent.queued === 0, 'the queue emptied');
    assert.deepEqual(agent.errors, []);
  });

  test('when the first endpoint dies the agent moves to the second within the backoff bound, losing nothing it queued', async () => {
    // Two servers that share a CA and registry (the second starts from a copy of the first's home),
    // as two regions restored from one backup would.
    const homeA = await freshHome();
    const first = await startAgentGatehouse({ home: homeA });
    const device = await onboard(first, 'meter-2');
    await first.stop();
    const homeB = await freshHome();
    await cp(homeA, homeB, { recursive: true });
    const primary = await startAgentGatehouse({ home: homeA });
    let primaryStopped = false;
    cleanups.push(() => (primaryStopped ? Promise.resolve() : primary.stop()));
    const secondary = await startAgentGatehouse({ home: homeB });
    cleanups.push(() => secondary.stop());
    const seen: string[] = [];
    const backend = await backendSession(secondary, 'backend-failover', 'acme/meter-2/reading', seen);
    cleanups.push(() => backend.endAsync());

    const backoff = { initialDelayMs: 200, maxDelayMs: 1000 };
    const agent = await startAgent(primary, device, { endpoints: [endpointsOf(primary).mqtts, endpointsOf(secondary).wss], backoff });
    cleanups.push(() => agent.close());
    assert.equal((await nextEvent(agent, 'connected')).endpoint, endpointsOf(primary).mqtts);

    const reconnecting: Array<{ endpoint: string; error: string | undefined }> = [];
    agent.on('reconnecting', (event) => reconnecting.push({ endpoint: event.endpoint, error: event.error?.message }));
    const offline = nextEvent(agent, 'offline');
    const moved = nextEvent(agent, 'connected');
    await primary.stop();
    primaryStopped = true;
    const lostAt = Date.now();
    await offline;
    for (let n = 1; n <= 5; n++) await agent.publish('reading', String(n));
    const connected = await moved;
    const tookMs = Date.now() - lostAt;

    assert.equal(connected.endpoint, endpointsOf(secondary).wss);
    // The bound for reaching endpoint #1: the waits before #0 and #1, plus #0's refusal and the
    // second handshake (TLS, WebSocket, CONNACK) — given 1 s here, far more than loopback needs.
    const bound = failoverBound(1, backoff);
    assert.ok(tookMs <= bound + 1000, `failover took ${tookMs} ms, bound ${bound} ms + 1 s`);
    assert.equal(reconnecting[0]?.endpoint, endpointsOf(primary).mqtts, 'after a loss it tries the first endpoint again');
    assert.equal(reconnecting[1]?.endpoint, endpointsOf(secondary).wss);
    assert.match(reconnecting[1]?.error ?? '', /ECONNREFUSED/);
    await waitFor(() => seen.length === 5, 'the queued readings at the second server', 10_000);
    assert.deepEqual(seen, ['1', '2', '3', '4', '5']);
  });

  test('a dead first endpoint at start is skipped for the live second one', async () => {
    const gh = await startAgentGatehouse();
    cleanups.push(() => gh.stop());
    const device = await onboard(gh, 'meter-3');
    const dead = `mqtts://localhost:${await closedPort()}`;
    const backoff = { initialDelayMs: 200, maxDelayMs: 1000 };
    const startedAt = Date.now();
    const agent = await startAgent(gh, device, { endpoints: [dead, endpointsOf(gh).mqtts], backoff });
    cleanups.push(() => agent.close());
    const retry = await nextEvent(agent, 'reconnecting');
    assert.equal(retry.failedEndpoint, dead);
    assert.equal(retry.endpoint, endpointsOf(gh).mqtts);
    assert.ok(retry.delayMs <= 2 * backoff.initialDelayMs && retry.delayMs >= backoff.initialDelayMs, `first retry after ${retry.delayMs} ms`);
    assert.equal((await nextEvent(agent, 'connected')).endpoint, endpointsOf(gh).mqtts);
    assert.ok(Date.now() - startedAt <= failoverBound(1, backoff) + 1000);
  });

  test('through an HTTP CONNECT proxy with Basic auth; wrong credentials are named as the proxy\'s 407', async () => {
    const gh = await startAgentGatehouse();
    cleanups.push(() => gh.stop());
    const device = await onboard(gh, 'meter-4');
    const proxy = await startConnectProxy('agent', 's3cret');
    cleanups.push(() => proxy.close());

    const agent = await startAgent(gh, device, { endpoints: [endpointsOf(gh).wss], env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'example.com' } });
    cleanups.push(() => agent.close());
    await nextEvent(agent, 'connected');
    assert.deepEqual(proxy.connects, [{ target: `localhost:${gh.ports.wss}`, authorized: true }]);
    const echo: string[] = [];
    await agent.subscribe('echo', (message) => void echo.push(message.text()));
    await agent.publish('echo', 'through the proxy');
    await waitFor(() => echo.length === 1, 'the message back through the tunnel');
    assert.deepEqual(echo, ['through the proxy']);

    const refused = await startAgent(gh, device, { endpoints: [endpointsOf(gh).mqtts], clientId: 'meter-4-b', proxy: proxy.url.replace('s3cret', 'wrong') });
    cleanups.push(() => refused.close());
    const retry = await nextEvent(refused, 'reconnecting');
    assert.ok(retry.error instanceof ProxyTunnelError, String(retry.error));
    assert.equal(retry.error.status, 407);
    assert.match(retry.error.message, /refused CONNECT localhost:\d+ with 407/);
    assert.doesNotMatch(retry.error.message, /wrong/, 'the password is never in a message');
    assert.equal(refused.connected, false);
  });
});
