import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentQueueFullError } from './agent-errors.ts';
import { DiskQueue, type QueuedMessage } from './disk-queue.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-queue-'));
  dirs.push(dir);
  return join(dir, 'queue');
}
const message = (n: number, payload = `m${n}`): QueuedMessage => ({ topic: `acme/pump/t${n}`, payload: Buffer.from(payload), qos: 1, retain: n % 2 === 0 });

async function drain(queue: DiskQueue): Promise<QueuedMessage[]> {
  const out: QueuedMessage[] = [];
  for (let head = await queue.peek(); head !== undefined; head = await queue.peek()) {
    out.push(head);
    await queue.remove(head.seq);
  }
  return out;
}

test('messages come out in the order they went in, byte for byte, even when appends are not awaited one by one', async () => {
  const queue = await DiskQueue.open(await freshDir());
  await Promise.all(Array.from({ length: 50 }, (_, n) => queue.append(message(n))));
  await queue.append({ topic: 'acme/pump/bin', payload: Buffer.from([0, 10, 255, 10, 0]), qos: 0, retain: false, properties: { responseTopic: 'b/r', correlationData: Buffer.from([7, 0, 7]) } });
  const out = await drain(queue);
  assert.deepEqual(out.slice(0, 50).map((m) => m.topic), Array.from({ length: 50 }, (_, n) => `acme/pump/t${n}`));
  assert.deepEqual(out.slice(0, 3).map((m) => [m.payload.toString(), m.retain]), [['m0', true], ['m1', false], ['m2', true]]);
  assert.deepEqual([...(out[50]?.payload ?? [])], [0, 10, 255, 10, 0]);
  assert.deepEqual(out[50]?.properties, { responseTopic: 'b/r', correlationData: Buffer.from([7, 0, 7]) });
  assert.equal(out[0]?.properties, undefined);
  assert.equal(queue.size, 0);
});

test('the queue survives a restart: a new DiskQueue on the same directory continues the order', async () => {
  const dir = await freshDir();
  const first = await DiskQueue.open(dir);
  for (let n = 0; n < 5; n++) await first.append(message(n));
  const head = await first.peek();
  await first.remove(head?.seq ?? -1);
  // A crash between write and rename leaves a .tmp file, which is not a message.
  await writeFile(join(dir, '0000000000000099.msg.tmp'), 'half');
  const second = await DiskQueue.open(dir);
  assert.equal(second.size, 4);
  await second.append(message(5));
  assert.deepEqual((await drain(second)).map((m) => m.topic), [1, 2, 3, 4, 5].map((n) => `acme/pump/t${n}`));
  assert.deepEqual(await readdir(dir), []);
});

test('a full queue refuses with AgentQueueFullError naming the limit, writes nothing, and takes messages again once drained', async () => {
  const dir = await freshDir();
  const queue = await DiskQueue.open(dir, { maxMessages: 3, maxBytes: 1_000_000 });
  const appends = [0, 1, 2].map((n) => queue.append(message(n)));
  await assert.rejects(queue.append(message(3)), (error: Error) => error instanceof AgentQueueFullError && /3 messages.*queue\.maxMessages/.test(error.message));
  await Promise.all(appends);
  assert.equal((await readdir(dir)).length, 3);
  const head = await queue.peek();
  await queue.remove(head?.seq ?? -1);
  await queue.append(message(3));
  assert.deepEqual((await drain(queue)).map((m) => m.topic), [1, 2, 3].map((n) => `acme/pump/t${n}`));
});

test('the byte limit counts topic and payload', async () => {
  const queue = await DiskQueue.open(await freshDir(), { maxMessages: 100, maxBytes: 200 });
  await queue.append(message(0, 'x'.repeat(100)));
  await assert.rejects(queue.append(message(1, 'x'.repeat(100))), (error: Error) => error instanceof AgentQueueFullError && /queue\.maxBytes/.test(error.message));
  await queue.append(message(2, 'x'));
  assert.equal(queue.size, 2);
});
