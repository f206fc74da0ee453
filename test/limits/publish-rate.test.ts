/** Publish rate per client: excess pauses reading, so messages still arrive, but no faster than the rate. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectClient, connectWith, sleep, startGatehouse, waitFor } from '../helpers/index.js';

const RATE = 100;
const COUNT = 300;

/** Offers COUNT messages at about 1000/s and returns when each reached a subscriber (ms after the first). */
async function measure(maxPublishRate: number, qos: 0 | 1): Promise<{ arrivals: number[]; publisherOpen: boolean; acks: number }> {
  const server = await startGatehouse({ limits: { maxPublishRate } });
  try {
    const arrivals: number[] = [];
    const sub = await connectClient(server.urls.mqtt, { clientId: 'rate-sub' }, () => arrivals.push(Date.now()));
    await sub.client.subscribeAsync('rate/#', { qos: 1 });
    let acks = 0;
    const { client } = await connectWith(server.urls.mqtt, 4, { clientId: 'rate-pub' }, {
      waitMs: 5000,
      onPacket: (packet) => {
        if (packet.cmd === 'puback') acks++;
      },
    });
    for (let sent = 0; sent < COUNT; sent += 10) {
      // QoS 1 stays under the broker's Receive Maximum (100 unacknowledged).
      if (qos === 1) await waitFor(() => sent - acks <= 50, 'PUBACKs to keep up', 10_000);
      for (let i = 1; i <= 10; i++) {
        client.send({ cmd: 'publish', topic: 'rate/x', payload: Buffer.from(String(sent + i)), qos, messageId: sent + i, dup: false, retain: false });
      }
      await sleep(10);
    }
    await waitFor(() => arrivals.length >= COUNT, `all ${COUNT} messages (got ${arrivals.length})`, 15_000);
    const publisherOpen = !client.isClosed;
    client.destroy();
    await sub.client.endAsync();
    const first = arrivals[0]!;
    return { arrivals: arrivals.map((at) => at - first), publisherOpen, acks };
  } finally {
    await server.stop();
  }
}

describe('maxPublishRate', () => {
  it(`throttles a client to about ${RATE} PUBLISH/s without dropping or disconnecting it`, async () => {
    for (const qos of [0, 1] as const) {
      const { arrivals, publisherOpen, acks } = await measure(RATE, qos);
      const span = arrivals.at(-1)!;
      // The bucket holds one second's worth; the other COUNT - RATE must wait for it to refill.
      const floor = ((COUNT - RATE) / RATE) * 1000;
      const afterBurst = (COUNT - RATE) / ((span - arrivals[RATE]!) / 1000);
      console.log(`QoS ${qos}: ${COUNT} messages in ${span} ms at a limit of ${RATE}/s (at least ${floor} ms expected); ${afterBurst.toFixed(0)}/s after the first ${RATE}`);
      assert.equal(publisherOpen, true, 'throttled, not disconnected');
      if (qos === 1) assert.equal(acks, COUNT);
      assert.ok(span >= floor * 0.75, `${COUNT} messages took ${span} ms; the limit allows no less than ${floor} ms`);
      assert.ok(afterBurst <= RATE * 1.5, `after the first second's burst messages flowed at ${afterBurst.toFixed(0)}/s`);
    }
  });

  it('lets the same load through at once without a limit (the measurement can tell)', async () => {
    const { arrivals } = await measure(0, 0);
    const span = arrivals.at(-1)!;
    console.log(`unlimited: ${COUNT} messages in ${span} ms`);
    assert.ok(span < 1000, `unlimited took ${span} ms`);
  });
});
