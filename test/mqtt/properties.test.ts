/**
 * MQTT 5.0 message properties on their way through the broker (3.3.2.3): Payload Format Indicator,
 * Content Type, Response Topic, Correlation Data and User Properties unaltered; Message Expiry
 * Interval counted down while a message waits, and expired messages dropped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertQuiet, open, startTestBroker, subscribe, type TestBroker } from '../helpers/index.js';

describe('Message properties, MQTT 5.0', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker();
  });
  after(async () => {
    await gh.stop();
  });

  test('[MQTT-3.3.2-4] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-20] properties reach every subscriber unaltered and in order', async () => {
    const subA = await open(gh.urls.mqtt, 5, 'props-a');
    await subscribe(subA, { topic: 'props/+', qos: 1 });
    const subB = await open(gh.urls.mqtt, 5, 'props-b');
    await subscribe(subB, { topic: 'props/#', qos: 0 });
    const pub = await open(gh.urls.mqtt, 5, 'props-pub');
    const correlation = Buffer.from([0, 1, 2, 255]);
    const userProperties = { zeta: 'last-key-first', alpha: ['1', '2', '3'], 'm\u00fc': '\u2713' };
    pub.send({
      cmd: 'publish', topic: 'props/req', payload: Buffer.from('{"q":1}'), qos: 1, messageId: 10, retain: false, dup: false,
      properties: { payloadFormatIndicator: true, contentType: 'application/json; charset=utf-8', responseTopic: 'props/reply/42', correlationData: correlation, userProperties },
    });
    await pub.expect('puback');
    for (const sub of [subA, subB]) {
      const message = await sub.expect('publish');
      const p = message.properties ?? {};
      assert.equal(p.payloadFormatIndicator, true);
      assert.equal(p.contentType, 'application/json; charset=utf-8');
      assert.equal(p.responseTopic, 'props/reply/42');
      assert.ok(Buffer.isBuffer(p.correlationData) && p.correlationData.equals(correlation));
      assert.deepEqual({ ...p.userProperties }, userProperties);
      assert.deepEqual(Object.keys(p.userProperties ?? {}), ['zeta', 'alpha', 'm\u00fc'], 'order kept');
      assert.equal(p.messageExpiryInterval, undefined, 'no expiry invented');
      if (message.qos === 1) sub.send({ cmd: 'puback', messageId: message.messageId! });
    }
    subA.destroy();
    subB.destroy();
    pub.destroy();
  });

  test('a 3.1.1 subscriber gets the same message without properties', async () => {
    const sub = await open(gh.urls.mqtt, 4, 'props-v4');
    await subscribe(sub, { topic: 'props4/t', qos: 0 });
    const pub = await open(gh.urls.mqtt, 5, 'props-v4-pub');
    pub.send({ cmd: 'publish', topic: 'props4/t', payload: Buffer.from('plain'), qos: 0, retain: false, dup: false, properties: { contentType: 'text/plain', userProperties: { a: 'b' } } });
    const message = await sub.expect('publish');
    assert.equal(message.payload.toString(), 'plain');
    assert.equal(message.properties, undefined);
    sub.destroy();
    pub.destroy();
  });

  test('[MQTT-3.3.2-6] a message waiting in a persistent session is sent with what is left of its expiry interval', async () => {
    const persistent = { clean: false, properties: { sessionExpiryInterval: 60 } };
    let sub = await open(gh.urls.mqtt, 5, 'expiry-wait', persistent);
    await subscribe(sub, { topic: 'exp/t', qos: 1 });
    sub.destroy();
    await sleep(100);
    const pub = await open(gh.urls.mqtt, 5, 'expiry-wait-pub');
    pub.send({ cmd: 'publish', topic: 'exp/t', payload: Buffer.from('w'), qos: 1, messageId: 1, retain: false, dup: false, properties: { messageExpiryInterval: 10 } });
    await pub.expect('puback');
    await sleep(2100);
    sub = await open(gh.urls.mqtt, 5, 'expiry-wait', persistent);
    const message = await sub.expect('publish');
    const left = message.properties?.messageExpiryInterval ?? 0;
    assert.ok(left >= 6 && left <= 8, `10 s minus about 2 s waited, got ${left}`);
    sub.send({ cmd: 'puback', messageId: message.messageId! });
    sub.destroy();
    pub.destroy();
  });

  test('[MQTT-3.3.2-5] a queued message whose expiry passed is not delivered; an unexpired one is', async () => {
    const persistent = { clean: false, properties: { sessionExpiryInterval: 60 } };
    let sub = await open(gh.urls.mqtt, 5, 'expiry-drop', persistent);
    await subscribe(sub, { topic: 'expd/t', qos: 1 });
    sub.destroy();
    await sleep(100);
    const pub = await open(gh.urls.mqtt, 5, 'expiry-drop-pub');
    pub.send({ cmd: 'publish', topic: 'expd/t', payload: Buffer.from('short'), qos: 1, messageId: 1, retain: false, dup: false, properties: { messageExpiryInterval: 1 } });
    pub.send({ cmd: 'publish', topic: 'expd/t', payload: Buffer.from('long'), qos: 1, messageId: 2, retain: false, dup: false, properties: { messageExpiryInterval: 60 } });
    await pub.expect('puback');
    await pub.expect('puback');
    await sleep(1600);
    sub = await open(gh.urls.mqtt, 5, 'expiry-drop', persistent);
    const message = await sub.expect('publish');
    assert.equal(message.payload.toString(), 'long');
    sub.send({ cmd: 'puback', messageId: message.messageId! });
    await assertQuiet(sub);
    sub.destroy();
    pub.destroy();
  });
});

describe('Message expiry cap', () => {
  let gh: TestBroker;
  before(async () => {
    gh = await startTestBroker({ limits: { maxMessageExpiry: 30 } });
  });
  after(async () => {
    await gh.stop();
  });

  test('limits.maxMessageExpiry caps a longer or missing interval', async () => {
    const sub = await open(gh.urls.mqtt, 5, 'cap-sub');
    await subscribe(sub, { topic: 'cap/t', qos: 0 });
    const pub = await open(gh.urls.mqtt, 5, 'cap-pub');
    pub.send({ cmd: 'publish', topic: 'cap/t', payload: Buffer.from('1'), qos: 0, retain: false, dup: false, properties: { messageExpiryInterval: 3600 } });
    pub.send({ cmd: 'publish', topic: 'cap/t', payload: Buffer.from('2'), qos: 0, retain: false, dup: false });
    for (let i = 0; i < 2; i++) assert.equal((await sub.expect('publish')).properties?.messageExpiryInterval, 30);
    sub.destroy();
    pub.destroy();
  });
});
