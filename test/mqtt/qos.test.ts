/**
 * QoS 0, 1 and 2 in both directions (MQTT 3.1.1 and 5.0 sections 4.3, 4.4), by raw packets: packet
 * identifiers, acknowledgements, DUP on redelivery after reconnect, and the malformed cases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertQuiet, open, persistentConnect, publishPacket, startBystander, startTestBroker, subscribe, type TestBroker } from '../helpers/index.js';

for (const version of [4, 5] as const) {
  const label = version === 5 ? 'MQTT 5.0' : 'MQTT 3.1.1';
  describe(`QoS flows, ${label}`, () => {
    let gh: TestBroker;
    before(async () => {
      gh = await startTestBroker();
    });
    after(async () => {
      await gh.stop();
    });

    test('[MQTT-4.3.1-1] [MQTT-3.3.1-2] QoS 0 in and out: no packet id, DUP 0, no acknowledgement', async () => {
      const sub = await open(gh.urls.mqtt, version, `q0-sub-${version}`);
      await subscribe(sub, { topic: 'q0/t', qos: 2 });
      const pub = await open(gh.urls.mqtt, version, `q0-pub-${version}`);
      pub.send(publishPacket('q0/t', 'zero', 0));
      const message = await sub.expect('publish');
      assert.equal(message.qos, 0, '[MQTT-3.8.4-8] delivered at min(published, granted) QoS');
      assert.equal(message.dup, false);
      assert.equal(message.messageId, undefined);
      assert.equal(message.payload.toString(), 'zero');
      await assertQuiet(pub);
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-4.3.2-4] [MQTT-4.3.2-1] [MQTT-4.3.2-2] QoS 1 in and out: PUBACK with the id, outgoing id assigned by the server', async () => {
      const sub = await open(gh.urls.mqtt, version, `q1-sub-${version}`);
      await subscribe(sub, { topic: 'q1/t', qos: 1 });
      const pub = await open(gh.urls.mqtt, version, `q1-pub-${version}`);
      pub.send(publishPacket('q1/t', 'one', 1, { messageId: 4242 }));
      const puback = await pub.expect('puback');
      assert.equal(puback.messageId, 4242);
      const first = await sub.expect('publish');
      assert.equal(first.qos, 1);
      assert.equal(first.dup, false);
      assert.ok(typeof first.messageId === 'number' && first.messageId > 0);
      sub.send({ cmd: 'puback', messageId: first.messageId });
      pub.send(publishPacket('q1/t', 'two', 1, { messageId: 4243 }));
      await pub.expect('puback');
      const second = await sub.expect('publish');
      assert.notEqual(second.messageId, first.messageId, 'a fresh id for a new message');
      sub.send({ cmd: 'puback', messageId: second.messageId! });
      // [MQTT-4.3.2-5] the same id again after PUBACK is a new message
      pub.send(publishPacket('q1/t', 'three', 1, { messageId: 4242 }));
      await pub.expect('puback');
      assert.equal((await sub.expect('publish')).payload.toString(), 'three');
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-3.8.4-8] a QoS 2 message to a QoS 1 subscription arrives at QoS 1; QoS 1 to QoS 2 stays QoS 1', async () => {
      const sub = await open(gh.urls.mqtt, version, `qmin-sub-${version}`);
      await subscribe(sub, { topic: 'qmin/a', qos: 1 });
      await subscribe(sub, { topic: 'qmin/b', qos: 2 }, { messageId: 2 });
      const pub = await open(gh.urls.mqtt, version, `qmin-pub-${version}`);
      pub.send(publishPacket('qmin/a', 'x', 2, { messageId: 1 }));
      await pub.expect('pubrec');
      pub.send({ cmd: 'pubrel', messageId: 1 });
      await pub.expect('pubcomp');
      const a = await sub.expect('publish');
      assert.equal(a.qos, 1);
      sub.send({ cmd: 'puback', messageId: a.messageId! });
      pub.send(publishPacket('qmin/b', 'y', 1, { messageId: 2 }));
      await pub.expect('puback');
      const b = await sub.expect('publish');
      assert.equal(b.qos, 1);
      sub.send({ cmd: 'puback', messageId: b.messageId! });
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-4.3.3-8] [MQTT-4.3.3-10] [MQTT-4.3.3-11] [MQTT-4.3.3-12] QoS 2 from a client: PUBREC, a resent PUBLISH is not delivered twice, PUBCOMP', async () => {
      const sub = await open(gh.urls.mqtt, version, `q2in-sub-${version}`);
      await subscribe(sub, { topic: 'q2in/t', qos: 0 });
      const pub = await open(gh.urls.mqtt, version, `q2in-pub-${version}`);
      pub.send(publishPacket('q2in/t', 'once', 2, { messageId: 77 }));
      assert.equal((await pub.expect('pubrec')).messageId, 77);
      assert.equal((await sub.expect('publish')).payload.toString(), 'once');
      pub.send(publishPacket('q2in/t', 'once', 2, { messageId: 77, dup: true }));
      assert.equal((await pub.expect('pubrec')).messageId, 77, 'the resent PUBLISH is acknowledged again');
      await assertQuiet(sub);
      pub.send({ cmd: 'pubrel', messageId: 77 });
      const pubcomp = await pub.expect('pubcomp');
      assert.equal(pubcomp.messageId, 77);
      if (version === 5) assert.equal(pubcomp.reasonCode ?? 0, 0);
      pub.send(publishPacket('q2in/t', 'again', 2, { messageId: 77 }));
      await pub.expect('pubrec');
      assert.equal((await sub.expect('publish')).payload.toString(), 'again', 'the id is free after PUBCOMP');
      pub.send({ cmd: 'pubrel', messageId: 77 });
      await pub.expect('pubcomp');
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-4.3.3-1] [MQTT-4.3.3-2] [MQTT-4.3.3-4] QoS 2 to a client: PUBLISH, PUBREC, PUBREL with the same id, PUBCOMP', async () => {
      const sub = await open(gh.urls.mqtt, version, `q2out-sub-${version}`);
      await subscribe(sub, { topic: 'q2out/t', qos: 2 });
      const pub = await open(gh.urls.mqtt, version, `q2out-pub-${version}`);
      pub.send(publishPacket('q2out/t', 'two', 2, { messageId: 9 }));
      await pub.expect('pubrec');
      pub.send({ cmd: 'pubrel', messageId: 9 });
      await pub.expect('pubcomp');
      const message = await sub.expect('publish');
      assert.equal(message.qos, 2);
      assert.equal(message.dup, false);
      sub.send({ cmd: 'pubrec', messageId: message.messageId! });
      const pubrel = await sub.expect('pubrel');
      assert.equal(pubrel.messageId, message.messageId);
      sub.send({ cmd: 'pubcomp', messageId: message.messageId! });
      await assertQuiet(sub);
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-4.3.3-11] PUBREL for an unknown packet id still gets PUBCOMP (v5: 0x92)', async () => {
      const client = await open(gh.urls.mqtt, version, `q2-unknown-${version}`);
      client.send({ cmd: 'pubrel', messageId: 555 });
      const pubcomp = await client.expect('pubcomp');
      assert.equal(pubcomp.messageId, 555);
      if (version === 5) assert.equal(pubcomp.reasonCode, 0x92);
      client.destroy();
    });

    test('[MQTT-4.4.0-1] [MQTT-3.3.1-1] unacknowledged QoS 1 and 2 PUBLISHes are resent with DUP 1 and their ids after reconnect, then PUBREL', async () => {
      const id = `redeliver-${version}`;
      let sub = await open(gh.urls.mqtt, version, id, persistentConnect(version));
      await subscribe(sub, { topic: 'redo/+', qos: 2 });
      const pub = await open(gh.urls.mqtt, version, `redeliver-pub-${version}`);
      pub.send(publishPacket('redo/a', 'first', 1, { messageId: 1 }));
      await pub.expect('puback');
      pub.send(publishPacket('redo/b', 'second', 2, { messageId: 2 }));
      await pub.expect('pubrec');
      pub.send({ cmd: 'pubrel', messageId: 2 });
      await pub.expect('pubcomp');
      pub.send(publishPacket('redo/c', 'third', 2, { messageId: 3 }));
      await pub.expect('pubrec');
      pub.send({ cmd: 'pubrel', messageId: 3 });
      await pub.expect('pubcomp');
      const first = await sub.expect('publish');
      const second = await sub.expect('publish');
      const third = await sub.expect('publish');
      assert.deepEqual([first.payload.toString(), second.payload.toString(), third.payload.toString()], ['first', 'second', 'third']);
      // The third is received (PUBREC) but not completed: its PUBREL must come again.
      sub.send({ cmd: 'pubrec', messageId: third.messageId! });
      assert.equal((await sub.expect('pubrel')).messageId, third.messageId);
      sub.destroy();

      sub = await open(gh.urls.mqtt, version, id, persistentConnect(version));
      const again1 = await sub.expect('publish');
      const again2 = await sub.expect('publish');
      const rel = await sub.expect('pubrel');
      assert.equal(again1.dup, true);
      assert.equal(again1.messageId, first.messageId);
      assert.equal(again1.payload.toString(), 'first');
      assert.equal(again1.qos, 1);
      assert.equal(again2.dup, true);
      assert.equal(again2.messageId, second.messageId);
      assert.equal(again2.qos, 2);
      assert.equal(rel.messageId, third.messageId);
      sub.send({ cmd: 'puback', messageId: again1.messageId! });
      sub.send({ cmd: 'pubrec', messageId: again2.messageId! });
      assert.equal((await sub.expect('pubrel')).messageId, again2.messageId);
      sub.send({ cmd: 'pubcomp', messageId: again2.messageId! });
      sub.send({ cmd: 'pubcomp', messageId: third.messageId! });
      await assertQuiet(sub);
      sub.destroy();

      // [MQTT-4.4.0-1] acknowledged messages are not resent on the next reconnect
      sub = await open(gh.urls.mqtt, version, id, persistentConnect(version));
      await assertQuiet(sub);
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-3.3.1-3] DUP on the incoming PUBLISH does not carry over to the subscriber', async () => {
      const sub = await open(gh.urls.mqtt, version, `dupin-sub-${version}`);
      await subscribe(sub, { topic: 'dupin/t', qos: 1 });
      const pub = await open(gh.urls.mqtt, version, `dupin-pub-${version}`);
      pub.send(publishPacket('dupin/t', 'd', 1, { messageId: 3, dup: true }));
      await pub.expect('puback');
      const message = await sub.expect('publish');
      assert.equal(message.dup, false);
      sub.destroy();
      pub.destroy();
    });

    test('[MQTT-3.3.1-4] a PUBLISH with both QoS bits set is malformed: closed (v5: DISCONNECT 0x81), others keep working', async () => {
      const bystander = await startBystander(gh.urls.mqtt);
      const client = await open(gh.urls.mqtt, version, `qos3-${version}`);
      // PUBLISH, QoS bits 11, topic "a", payload "x"
      client.sendHex(version === 5 ? '36 07 0001 61 0001 00 78' : '36 06 0001 61 0001 78');
      const packets = await client.closed();
      if (version === 5) {
        assert.equal(packets.length, 1);
        assert.equal(packets[0]?.cmd, 'disconnect');
        assert.equal((packets[0] as { reasonCode?: number }).reasonCode, 0x81);
      } else {
        assert.equal(packets.length, 0, '3.1.1 closes without a packet');
      }
      await bystander.check();
      bystander.close();
    });

    test('[MQTT-4.3.3-4] [MQTT-4.4.0-2] a PUBREC with an error ends the exchange: no PUBREL, not resent', async () => {
      if (version !== 5) return;
      const id = 'pubrec-error';
      let sub = await open(gh.urls.mqtt, 5, id, persistentConnect(5));
      await subscribe(sub, { topic: 'recerr/t', qos: 2 });
      const pub = await open(gh.urls.mqtt, 5, 'pubrec-error-pub');
      pub.send(publishPacket('recerr/t', 'nope', 1, { messageId: 1 }));
      await pub.expect('puback');
      const message = await sub.expect('publish');
      sub.send({ cmd: 'pubrec', messageId: message.messageId!, reasonCode: 0x80 });
      await assertQuiet(sub);
      sub.destroy();
      sub = await open(gh.urls.mqtt, 5, id, persistentConnect(5));
      await assertQuiet(sub);
      sub.destroy();
      pub.destroy();
    });
  });
}

