/**
 * The raw-packet steps the black-box MQTT tests repeat: connect and check the CONNACK, subscribe and
 * check the SUBACK, build and acknowledge PUBLISHes, and assert silence or a close with a reason.
 */
import assert from 'node:assert/strict';
import type { IConnackPacket, IConnectPacket, IPublishPacket, ISubscribePacket, ISubscription } from 'mqtt-packet';
import { RawMqtt, RawMqttTimeout, type RawMqttOptions, type RawProtocolVersion } from './raw-mqtt.js';

/** How long a test waits to conclude that nothing more is coming. */
export const QUIET_MS = 400;

let lastPacketId = 0;

/**
 * A fresh packet identifier for SUBSCRIBE or PUBLISH, unique within this test process until it wraps
 * at 65535, so an id the test did not choose never collides with one still in flight.
 *
 * @example
 * client.send({ cmd: 'unsubscribe', messageId: nextPacketId(), unsubscriptions: ['a/b'] });
 */
export function nextPacketId(): number {
  lastPacketId = (lastPacketId % 0xffff) + 1;
  return lastPacketId;
}

/** Transport settings for `connectWith` and `open`; the protocol version is their own argument. */
export type OpenOptions = Omit<RawMqttOptions, 'protocolVersion'>;

/**
 * Opens a raw connection and sends CONNECT (`clean: true` unless `connect` says otherwise), returning
 * the CONNACK unchecked, for tests about refusals and Session Present.
 *
 * @example
 * const { client, connack } = await connectWith(gh.urls.mqtt, 5, { clientId: 'a', clean: false });
 */
export async function connectWith(url: string, version: RawProtocolVersion, connect: Partial<IConnectPacket>, options: OpenOptions = {}): Promise<{ client: RawMqtt; connack: IConnackPacket }> {
  const client = await RawMqtt.connect(url, { ...options, protocolVersion: version });
  const connack = await client.handshake({ clean: true, ...connect });
  return { client, connack };
}

/**
 * Connects `clientId` and asserts the CONNACK accepted it.
 *
 * @example
 * const client = await open(gh.urls.mqtt, 5, 'sub-1', persistentConnect(5));
 */
export async function open(url: string, version: RawProtocolVersion, clientId: string, connect: Partial<IConnectPacket> = {}, options: OpenOptions = {}): Promise<RawMqtt> {
  const { client, connack } = await connectWith(url, version, { clientId, ...connect }, options);
  assert.equal(version === 5 ? connack.reasonCode : connack.returnCode, 0, `${clientId} connects`);
  return client;
}

/**
 * CONNECT fields for a session that outlives the connection: Clean Session 0, and on MQTT 5 a
 * Session Expiry Interval (default 300 s).
 *
 * @example
 * await open(url, version, 'keeper', persistentConnect(version));
 */
export function persistentConnect(version: RawProtocolVersion, sessionExpiryInterval = 300): Partial<IConnectPacket> {
  return version === 5 ? { clean: false, properties: { sessionExpiryInterval } } : { clean: false };
}

export interface SubscribeOptions {
  /** Default `nextPacketId()`. */
  readonly messageId?: number;
  readonly properties?: ISubscribePacket['properties'];
  /**
   * Assert that every filter was granted the QoS it asked for; default true. Pass false when the
   * test checks refusals in the returned codes itself.
   */
  readonly expectGranted?: boolean;
}

/**
 * Sends SUBSCRIBE and awaits the SUBACK, which must carry the same packet id; returns its codes.
 *
 * @example
 * await subscribe(client, { topic: 'a/+', qos: 1 });
 * const codes = await subscribe(client, [{ topic: 'a/#', qos: 1 }, { topic: '#/a', qos: 0 }], { expectGranted: false });
 */
export async function subscribe(client: RawMqtt, subscriptions: ISubscription | readonly ISubscription[], options: SubscribeOptions = {}): Promise<number[]> {
  const list = Array.isArray(subscriptions) ? [...(subscriptions as readonly ISubscription[])] : [subscriptions as ISubscription];
  const messageId = options.messageId ?? nextPacketId();
  client.send({ cmd: 'subscribe', messageId, subscriptions: list, ...(options.properties === undefined ? {} : { properties: options.properties }) });
  const suback = await client.expect('suback');
  // [MQTT-3.8.4-1] [MQTT-3.8.4-2] SUBACK with the same packet id
  assert.equal(suback.messageId, messageId);
  const granted = suback.granted as number[];
  if (options.expectGranted !== false) assert.deepEqual(granted, list.map((s) => s.qos));
  return granted;
}

export interface PublishOptions {
  /** Default `nextPacketId()` for QoS 1 and 2; none for QoS 0. */
  readonly messageId?: number;
  readonly retain?: boolean;
  readonly dup?: boolean;
  readonly properties?: IPublishPacket['properties'];
}

/**
 * A PUBLISH packet, RETAIN and DUP 0 unless asked.
 *
 * @example
 * client.send(publishPacket('a/b', 'hello', 1));
 * client.send(publishPacket('a/b', 'again', 2, { messageId: 77, dup: true }));
 */
export function publishPacket(topic: string, payload: string | Buffer, qos: 0 | 1 | 2, options: PublishOptions = {}): IPublishPacket {
  const messageId = options.messageId ?? (qos === 0 ? undefined : nextPacketId());
  return {
    cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos, retain: options.retain ?? false, dup: options.dup ?? false,
    ...(messageId === undefined ? {} : { messageId }),
    ...(options.properties === undefined ? {} : { properties: options.properties }),
  } as IPublishPacket;
}

export interface PublishAckedOptions {
  /** Default `nextPacketId()`. */
  readonly messageId?: number;
  readonly retain?: boolean;
  readonly properties?: IPublishPacket['properties'];
  /** Assert the PUBACK's reason code is 0 (Success); default false. */
  readonly expectSuccess?: boolean;
}

/**
 * Publishes at QoS 1 and waits for the PUBACK, so the broker has the message before the next step.
 *
 * @example
 * await publishAcked(pub, 'config/a', 'v1', { retain: true });
 */
export async function publishAcked(client: RawMqtt, topic: string, payload: string, options: PublishAckedOptions = {}): Promise<void> {
  client.send(publishPacket(topic, payload, 1, {
    ...(options.messageId === undefined ? {} : { messageId: options.messageId }),
    ...(options.retain === undefined ? {} : { retain: options.retain }),
    ...(options.properties === undefined ? {} : { properties: options.properties }),
  }));
  const puback = await client.expect('puback');
  if (options.expectSuccess === true) assert.equal(puback.reasonCode ?? 0, 0, `publish to ${topic} accepted`);
}

/**
 * Asserts that no packet arrives within `ms` (a close counts as quiet).
 *
 * @example
 * await assertQuiet(pub);
 */
export async function assertQuiet(client: RawMqtt, ms = QUIET_MS): Promise<void> {
  let packet;
  try {
    packet = await client.next(ms);
  } catch (error) {
    if (error instanceof RawMqttTimeout) return;
    throw error;
  }
  assert.fail(`expected no further packet, got ${JSON.stringify(packet)}`);
}

/**
 * Asserts the server closes the connection: after a DISCONNECT with `reasonCode` on MQTT 5, and
 * without any packet on 3.1.1.
 *
 * @example
 * client.send(publishPacket('a/+', 'x', 1));
 * await expectClose(client, version, 0x90);
 */
export async function expectClose(client: RawMqtt, version: RawProtocolVersion, reasonCode: number): Promise<void> {
  const packets = await client.closed();
  if (version === 5) {
    assert.equal(packets[0]?.cmd, 'disconnect', `DISCONNECT before the close, got ${JSON.stringify(packets)}`);
    assert.equal((packets[0] as { reasonCode?: number }).reasonCode, reasonCode);
  } else {
    assert.equal(packets.length, 0, '3.1.1 closes without a packet');
  }
}

/**
 * Every PUBLISH that arrives until the connection has been quiet for `QUIET_MS`; any other packet
 * fails the test. QoS 1 messages are acknowledged unless `ack` is false.
 *
 * @example
 * const topics = (await collect(sub)).map((m) => m.topic);
 */
export async function collect(client: RawMqtt, options: { readonly ack?: boolean } = {}): Promise<IPublishPacket[]> {
  const got: IPublishPacket[] = [];
  for (;;) {
    let packet;
    try {
      packet = await client.next(QUIET_MS);
    } catch (error) {
      if (error instanceof RawMqttTimeout) return got;
      throw error;
    }
    assert.equal(packet.cmd, 'publish', `unexpected ${packet.cmd}`);
    const message = packet as IPublishPacket;
    if (options.ack !== false && message.qos === 1) client.send({ cmd: 'puback', messageId: message.messageId! });
    got.push(message);
  }
}
