/**
 * Interoperability with Debian's mosquitto-clients (mosquitto_pub, mosquitto_sub), MQTT 5.0 and
 * 3.1.1, over TCP and TLS: live QoS 0/1/2, retained messages (again on resubscribe), persistent
 * sessions, and MQTT 5 properties from mosquitto_pub. Skips with a hint when the tools are missing.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { RawMqtt, startGatehouse, type TestGatehouse } from '../helpers/index.js';

const haveMosquitto = spawnSync('mosquitto_pub', ['--help']).error === undefined;
const skip = haveMosquitto ? false : 'mosquitto-clients is not installed (apt-get install -y mosquitto-clients, or scripts/install-system-deps.sh)';
if (!haveMosquitto && process.env['GATEHOUSE_REQUIRE_SERVICES'] === '1') throw new Error(String(skip));

const TOOL_TIMEOUT_MS = 10_000;

interface Target {
  readonly name: string;
  args(): string[];
}

function run(tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: TOOL_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${tool} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A running mosquitto_sub whose output lines can be awaited one by one. */
class Subscriber {
  readonly #child: ChildProcessByStdio<null, Readable, Readable>;
  readonly #lines: string[] = [];
  #buffer = '';
  #stderr = '';
  #wake: (() => void) | undefined;
  #exited = false;

  constructor(args: string[]) {
    this.#child = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child.stdout.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('utf8');
      let newline;
      while ((newline = this.#buffer.indexOf('\n')) >= 0) {
        this.#lines.push(this.#buffer.slice(0, newline));
        this.#buffer = this.#buffer.slice(newline + 1);
      }
      this.#wake?.();
    });
    this.#child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString('utf8');
    });
    this.#child.on('exit', () => {
      this.#exited = true;
      this.#wake?.();
    });
  }

  async line(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.#lines.shift();
      if (line !== undefined) return line;
      if (this.#exited) throw new Error(`mosquitto_sub exited: ${this.#stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`mosquitto_sub printed nothing within ${timeoutMs} ms: ${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }

  stop(): void {
    if (!this.#exited) this.#child.kill('SIGTERM');
  }
}

describe('mosquitto-clients against Gatehouse', { skip }, () => {
  let gh: TestGatehouse;
  let targets: Target[];
  before(async () => {
    gh = await startGatehouse();
    const caFile = join(gh.home, 'interop-ca.pem');
    await writeFile(caFile, gh.caPem);
    const mqtt = new URL(gh.urls.mqtt);
    const mqtts = new URL(gh.urls.mqtts);
    targets = [
      { name: 'tcp', args: () => ['-h', mqtt.hostname, '-p', mqtt.port] },
      // --insecure skips only the host name check (the test certificate names localhost); the chain is verified.
      { name: 'tls', args: () => ['-h', mqtts.hostname, '-p', mqtts.port, '--cafile', caFile, '--insecure'] },
    ];
  });
  after(async () => {
    await gh?.stop();
  });

  for (const [version, flag] of [[5, 'mqttv5'], [4, 'mqttv311']] as const) {
    for (const transport of ['tcp', 'tls'] as const) {
      const label = `${version === 5 ? 'MQTT 5.0' : 'MQTT 3.1.1'} over ${transport}`;
      const target = (): string[] => [...targets.find((t) => t.name === transport)!.args(), '-V', flag];
      const prefix = `interop/${transport}${version}`;

      test(`${label}: QoS 0, 1 and 2 from mosquitto_pub reach mosquitto_sub in order`, async () => {
        // A retained marker tells us the subscription is in place before the live messages go out.
        await run('mosquitto_pub', [...target(), '-t', `${prefix}/live/ready`, '-m', 'ready', '-r', '-q', '1']);
        const sub = new Subscriber([...target(), '-t', `${prefix}/live/#`, '-q', '2', '-F', '%q %r %t %p', '-i', `sub-live-${transport}${version}`]);
        try {
          assert.equal(await sub.line(), `1 1 ${prefix}/live/ready ready`);
          for (const qos of ['0', '1', '2']) await run('mosquitto_pub', [...target(), '-t', `${prefix}/live/q${qos}`, '-m', `payload-${qos}`, '-q', qos]);
          assert.equal(await sub.line(), `0 0 ${prefix}/live/q0 payload-0`);
          assert.equal(await sub.line(), `1 0 ${prefix}/live/q1 payload-1`);
          assert.equal(await sub.line(), `2 0 ${prefix}/live/q2 payload-2`);
        } finally {
          sub.stop();
        }
      });

      test(`${label}: a retained message is delivered on subscribe and again on resubscribe; an empty one deletes it`, async () => {
        await run('mosquitto_pub', [...target(), '-t', `${prefix}/config`, '-m', 'cfg-1', '-r', '-q', '1']);
        for (let i = 0; i < 2; i++) {
          const out = await run('mosquitto_sub', [...target(), '-t', `${prefix}/config`, '-C', '1', '-W', '5', '-F', '%r %t %p', '-q', '1']);
          assert.equal(out.trim(), `1 ${prefix}/config cfg-1`, `subscription ${i + 1} gets the retained message`);
        }
        await run('mosquitto_pub', [...target(), '-t', `${prefix}/config`, '-m', 'cfg-2', '-r', '-q', '2']);
        const replaced = await run('mosquitto_sub', [...target(), '-t', `${prefix}/config`, '-C', '1', '-W', '5', '-F', '%p']);
        assert.equal(replaced.trim(), 'cfg-2');
        await run('mosquitto_pub', [...target(), '-t', `${prefix}/config`, '-n', '-r']);
        // --retained-only exits as soon as a non-retained message or the timeout comes.
        const none = await run('mosquitto_sub', [...target(), '-t', `${prefix}/config`, '--retained-only', '-W', '1', '-F', '%p']).catch((error: Error) => (error.message.includes('Timed out') ? '' : Promise.reject(error)));
        assert.equal(none.trim(), '');
      });

      test(`${label}: a persistent session of mosquitto_sub gets what was published while it was away`, async () => {
        const id = `interop-persist-${transport}${version}`;
        const session = version === 5 ? ['-x', '300'] : [];
        await run('mosquitto_sub', [...target(), '-t', `${prefix}/away`, '-q', '1', '-c', '-i', id, ...session, '-E']);
        await run('mosquitto_pub', [...target(), '-t', `${prefix}/away`, '-m', 'while-away', '-q', '1']);
        await run('mosquitto_pub', [...target(), '-t', `${prefix}/away`, '-m', 'qos0-dropped', '-q', '0']);
        const out = await run('mosquitto_sub', [...target(), '-t', `${prefix}/away`, '-q', '1', '-c', '-i', id, ...session, '-C', '1', '-W', '5', '-F', '%q %p']);
        assert.equal(out.trim(), '1 while-away');
      });
    }
  }

  test('MQTT 5.0: properties set by mosquitto_pub arrive unaltered at a raw subscriber', async () => {
    const sub = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    await sub.handshake({ clientId: 'interop-props-sub' });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'interop/props', qos: 1 }] });
    await sub.expect('suback');
    const mqtt = new URL(gh.urls.mqtt);
    await run('mosquitto_pub', ['-h', mqtt.hostname, '-p', mqtt.port, '-V', 'mqttv5', '-t', 'interop/props', '-m', '{"a":1}', '-q', '1',
      '-D', 'publish', 'user-property', 'origin', 'mosquitto',
      '-D', 'publish', 'content-type', 'application/json',
      '-D', 'publish', 'response-topic', 'interop/reply',
      '-D', 'publish', 'correlation-data', 'c-42',
      '-D', 'publish', 'payload-format-indicator', '1',
      '-D', 'publish', 'message-expiry-interval', '120']);
    const message = await sub.expect('publish');
    const p = message.properties ?? {};
    assert.equal(message.payload.toString(), '{"a":1}');
    assert.deepEqual({ ...p.userProperties }, { origin: 'mosquitto' });
    assert.equal(p.contentType, 'application/json');
    assert.equal(p.responseTopic, 'interop/reply');
    assert.equal(p.correlationData?.toString(), 'c-42');
    assert.equal(p.payloadFormatIndicator, true);
    assert.ok((p.messageExpiryInterval ?? 0) > 100 && (p.messageExpiryInterval ?? 0) <= 120);
    sub.destroy();
  });

  test('[MQTT-3.3.2-12] MQTT 5.0: topic aliases from mosquitto_pub (-l, one alias for every line) resolve to the topic', async () => {
    // mosquitto_sub 2.0.11 cannot take aliases the other way (libmosquitto drops the connection on
    // the first aliased PUBLISH although it asked for them), so only this direction is checked here.
    const sub = await RawMqtt.connect(gh.urls.mqtt, { protocolVersion: 5 });
    await sub.handshake({ clientId: 'interop-alias-sub' });
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'interop/alias/#', qos: 0 }] });
    await sub.expect('suback');
    const mqtt = new URL(gh.urls.mqtt);
    const child = spawn('mosquitto_pub', ['-h', mqtt.hostname, '-p', mqtt.port, '-V', 'mqttv5', '-t', 'interop/alias/t', '-l', '-D', 'publish', 'topic-alias', '1'], { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin.end('a\nb\nc\n');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    for (const payload of ['a', 'b', 'c']) {
      const message = await sub.expect('publish');
      assert.equal(message.topic, 'interop/alias/t');
      assert.equal(message.payload.toString(), payload);
      assert.equal(message.properties?.topicAlias, undefined, 'no alias towards a client that did not allow them');
    }
    sub.destroy();
  });
});
