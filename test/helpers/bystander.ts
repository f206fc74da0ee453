/**
 * Checks that the broker still serves everyone else after a client misbehaved: a bystander that was
 * connected all along still gets its messages, and a fresh client can connect and round-trip.
 */
import assert from 'node:assert/strict';
import { RawMqtt } from './raw-mqtt.js';

let nextId = 1;

/** A connected client subscribed to its own topic; `check()` publishes to itself and awaits it. */
export interface Bystander {
  check(): Promise<void>;
  close(): void;
}

/**
 * @example
 * const bystander = await startBystander(gh.urls.mqtt);
 * // ... misbehave on another connection ...
 * await bystander.check();
 * bystander.close();
 */
export async function startBystander(url: string, options: { ca?: string } = {}): Promise<Bystander> {
  const id = `bystander-${process.pid}-${nextId++}`;
  const client = await RawMqtt.connect(url, { protocolVersion: 5, ...options });
  const connack = await client.handshake({ clientId: id, clean: true });
  assert.equal(connack.reasonCode, 0, 'bystander connects');
  client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `health/${id}`, qos: 1 }] });
  await client.expect('suback');
  let packetId = 1;
  return {
    async check() {
      packetId++;
      const payload = Buffer.from(`ping-${packetId}`);
      client.send({ cmd: 'publish', topic: `health/${id}`, payload, qos: 1, messageId: packetId, retain: false, dup: false });
      let gotAck = false;
      let gotMessage = false;
      while (!gotAck || !gotMessage) {
        const packet = await client.next();
        if (packet.cmd === 'puback' && packet.messageId === packetId) gotAck = true;
        else if (packet.cmd === 'publish' && Buffer.from(packet.payload).equals(payload)) {
          gotMessage = true;
          if (packet.qos > 0) client.send({ cmd: 'puback', messageId: packet.messageId ?? 0 });
        } else assert.fail(`bystander got an unexpected ${JSON.stringify(packet)}`);
      }
    },
    close() {
      client.destroy();
    },
  };
}

/** A fresh client connects, subscribes and gets its own message back. */
export async function assertHealthy(url: string, options: { ca?: string } = {}): Promise<void> {
  const bystander = await startBystander(url, options);
  try {
    await bystander.check();
  } finally {
    bystander.close();
  }
}
