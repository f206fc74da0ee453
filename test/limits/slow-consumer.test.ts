/**
 * A slow consumer (a socket that never reads) under a QoS 0 and QoS 1 flood: the broker stops writing
 * to it past maxWriteBuffer, drops QoS 0 for it, bounds its QoS 1 queue, keeps memory flat and
 * disconnects it after slowConsumerTimeoutMs, counting each of these.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, connectWith, sleep, startGatehouse, type TestGatehouse } from '../helpers/index.js';

const TIMEOUT_MS = 1500;
const QUEUE = 1000;
const PAYLOAD = Buffer.alloc(2048, 0x62);
/** What the flood offers: far more than the bound below, so holding it would show. */
const FLOOD_BYTES = 400 * 1024 * 1024;
/**
 * A run here grows 105-125 MiB (about 50 of it is the flood's garbage, seen with no slow consumer at
 * all); holding the flood for the slow consumer would pass the bound (its QoS 0 half alone is 200 MiB).
 */
const RSS_BOUND = 192 * 1024 * 1024;

let server: TestGatehouse;

before(async () => {
  server = await startGatehouse({
    limits: { maxWriteBuffer: 256 * 1024, slowConsumerTimeoutMs: TIMEOUT_MS, maxQueuedMessages: QUEUE, maxPublishRate: 0 },
  });
});

after(async () => {
  await server.stop();
});

describe('slow consumer', () => {
  it('keeps memory bounded and disconnects a client that does not read', async () => {
    const counters = server.broker.admin.counters;
    const slow = await connectWith(server.urls.mqtt, 5, { clientId: 'slow', clean: false, properties: { sessionExpiryInterval: 600 } }, { waitMs: 5000 });
    slow.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood/#', qos: 1 }] });
    await slow.client.expect('suback');
    // From here on the client never reads: the kernel buffers fill, then the broker's.
    slow.client.pause();

    let bystanderGot = 0;
    const bystander = await connectClient(server.urls.mqtt, { clientId: 'bystander' }, () => bystanderGot++);
    await bystander.client.subscribeAsync('flood/#', { qos: 0 });

    let acks = 0;
    const { client: publisher } = await connectWith(server.urls.mqtt, 4, { clientId: 'flooder' }, {
      waitMs: 5000,
      onPacket: (packet) => {
        if (packet.cmd === 'puback') acks++;
      },
    });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let queuedPeak = 0;
    let congestedAfter: number | undefined;
    let disconnectedAfter: number | undefined;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      queuedPeak = Math.max(queuedPeak, counters.queuedMessages);
      if (congestedAfter === undefined && (counters.drops['slow-consumer'] ?? 0) > 0) congestedAfter = Date.now() - started;
      if (disconnectedAfter === undefined && server.broker.admin.getClient('slow') === undefined) disconnectedAfter = Date.now() - started;
    }, 50);
    const started = Date.now();
    let sent = 0;
    let qos1 = 0;
    try {
      for (let offered = 0; offered < FLOOD_BYTES && !publisher.isClosed; offered += PAYLOAD.length) {
        sent++;
        const qos = sent % 2 === 0 ? 1 : 0;
        if (qos === 1) {
          qos1++;
          // Stay under the broker's Receive Maximum.
          while (qos1 - acks > 50 && !publisher.isClosed) await sleep(1);
        }
        if (!publisher.write(encodePublish(qos, sent))) await publisher.drained();
        if (Date.now() - started > 20_000) break;
      }
      const deadline = Date.now() + TIMEOUT_MS + 3000;
      while (disconnectedAfter === undefined && Date.now() < deadline) await sleep(50);
    } finally {
      clearInterval(sampler);
    }
    const growth = rssPeak - rssBefore;
    const drops = counters.drops;
    console.log(`flood: ${sent} PUBLISHes (${((sent * PAYLOAD.length) / 1048576).toFixed(0)} MiB, half QoS 1) in ${Date.now() - started} ms; rss growth ${(growth / 1048576).toFixed(1)} MiB (bound ${RSS_BOUND / 1048576} MiB); peak queued ${queuedPeak}; drops ${JSON.stringify(drops)}; slow consumer congested after ${congestedAfter ?? 'never'} ms, disconnected after ${disconnectedAfter ?? 'never'} ms; bystander got ${bystanderGot}`);

    assert.equal(server.broker.admin.getClient('slow'), undefined, 'the slow consumer was disconnected');
    assert.ok(congestedAfter !== undefined && disconnectedAfter !== undefined);
    // The sweep runs once a second, so the disconnect comes between the timeout and a second after it.
    const congestedFor = disconnectedAfter - congestedAfter;
    assert.ok(congestedFor >= TIMEOUT_MS - 100 && congestedFor <= TIMEOUT_MS + 2000, `disconnected ${congestedFor} ms after it congested (timeout ${TIMEOUT_MS} ms)`);
    assert.equal(drops['slow-consumer-disconnect'], 1);
    assert.ok((drops['slow-consumer'] ?? 0) > 0, 'QoS 0 messages for the congested client were dropped and counted');
    assert.ok((drops['queue-full'] ?? 0) > 0, 'its QoS 1 queue hit its bound and counted the drops');
    assert.ok(queuedPeak <= QUEUE, `queued messages peaked at ${queuedPeak}`);
    assert.ok(growth < RSS_BOUND, `rss grew by ${(growth / 1048576).toFixed(1)} MiB`);
    assert.ok(bystanderGot > 0, 'a reading subscriber kept getting messages');
    assert.equal(publisher.isClosed, false, 'the publisher was not punished for the slow consumer');

    publisher.destroy();
    slow.client.destroy();
    await bystander.client.endAsync();
  });
});

function encodePublish(qos: 0 | 1, n: number): Buffer {
  // Fixed header, topic, packet id (QoS 1), payload: built by hand, the flood is hot.
  const topic = Buffer.from('flood/data');
  const remaining = 2 + topic.length + (qos === 1 ? 2 : 0) + PAYLOAD.length;
  const header = Buffer.alloc(1 + 4 + 2 + topic.length + 2);
  let offset = 0;
  header[offset++] = 0x30 | (qos << 1);
  let length = remaining;
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    header[offset++] = byte;
  } while (length > 0);
  header.writeUInt16BE(topic.length, offset);
  offset += 2;
  topic.copy(header, offset);
  offset += topic.length;
  if (qos === 1) {
    header.writeUInt16BE((n % 0xffff) + 1, offset);
    offset += 2;
  }
  return Buffer.concat([header.subarray(0, offset), PAYLOAD]);
}
