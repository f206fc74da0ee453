/** Queued messages per session: a full queue drops the oldest or the newest, as configured, and counts it. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectClient, sleep, startGatehouse, waitFor } from '../helpers/index.js';

const LIMIT = 5;

async function overflow(queueOverflow: 'drop-oldest' | 'drop-newest'): Promise<{ received: number[]; drops: number; queuedAfterRestart: number }> {
  const home = await mkdtemp(join(tmpdir(), 'gatehouse-queue-'));
  let server = await startGatehouse({ store: 'sqlite', home, limits: { maxQueuedMessages: LIMIT, queueOverflow } });
  try {
    const options = { clientId: 'slowpoke', protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 600 } };
    const sub = await connectClient(server.urls.mqtt, options);
    await sub.client.subscribeAsync('q/#', { qos: 1 });
    await sub.client.endAsync();
    const publisher = await connectClient(server.urls.mqtt, { clientId: 'flood' });
    for (let i = 1; i <= 12; i++) await publisher.client.publishAsync('q/n', String(i), { qos: 1 });
    await publisher.client.endAsync();
    const drops = server.broker.admin.counters.drops['queue-full'] ?? 0;
    // The bound holds in the store too: a restart brings back the same LIMIT messages.
    await server.stop();
    server = await startGatehouse({ store: 'sqlite', home, limits: { maxQueuedMessages: LIMIT, queueOverflow } });
    const session = server.broker.admin.getSession('slowpoke');
    const received: number[] = [];
    const back = await connectClient(server.urls.mqtt, options, (_topic, payload) => received.push(Number(payload.toString())));
    await waitFor(() => received.length >= LIMIT, `${LIMIT} queued messages`);
    await sleep(200);
    await back.client.endAsync();
    return { received, drops, queuedAfterRestart: (session?.queued ?? 0) + (session?.inflight ?? 0) };
  } finally {
    await server.stop();
    await rm(home, { recursive: true, force: true });
  }
}

describe('maxQueuedMessages', () => {
  it('drop-oldest keeps the newest messages of an offline session', async () => {
    const { received, drops, queuedAfterRestart } = await overflow('drop-oldest');
    assert.equal(queuedAfterRestart, LIMIT);
    assert.deepEqual(received, [8, 9, 10, 11, 12]);
    assert.equal(drops, 7, 'every dropped message is counted as queue-full');
  });

  it('drop-newest keeps the oldest messages of an offline session', async () => {
    const { received, drops, queuedAfterRestart } = await overflow('drop-newest');
    assert.equal(queuedAfterRestart, LIMIT);
    assert.deepEqual(received, [1, 2, 3, 4, 5]);
    assert.equal(drops, 7);
  });
});
