/**
 * The conformance driver: runs every packet script in `data/` (one JSON file per spec tag, as
 * Mosquitto's test/broker/data) against a fresh broker, and after each case checks that a client
 * connected all along still works. The script format is described in data/README.md.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Packet } from 'mqtt-packet';
import { RawMqtt, RawMqttTimeout, startBystander, startTestBroker, type Bystander, type RawProtocolVersion, type TestBroker } from '../helpers/index.js';

type Expected = Record<string, unknown>;

type Step =
  | { readonly connect: RawProtocolVersion; readonly clientId?: string }
  | { readonly send: string }
  | { readonly expect: Expected }
  | { readonly expectNothing: number }
  | { readonly expectClose: { readonly packets?: readonly Expected[]; readonly allowRefusal?: boolean } };

interface Case {
  readonly name: string;
  readonly protocolVersion: RawProtocolVersion;
  readonly steps: readonly Step[];
}

interface Script {
  readonly tag: string;
  readonly title: string;
  readonly cases: readonly Case[];
}

const dataDir = new URL('./data/', import.meta.url);
const scripts: Script[] = readdirSync(dataDir)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => {
    const script = JSON.parse(readFileSync(new URL(name, dataDir), 'utf8')) as Script;
    assert.equal(`${script.tag}.json`, name, `${name} is named after its tag`);
    return script;
  });

/** Every key of `expected` equals the packet's (Buffers compared as hex strings). */
function assertMatches(packet: Packet, expected: Expected, where: string): void {
  const actual = packet as unknown as Record<string, unknown>;
  for (const [key, want] of Object.entries(expected)) {
    const got = actual[key];
    if (want !== null && typeof want === 'object') {
      assert.ok(got !== null && typeof got === 'object', `${where}: ${key} missing in ${JSON.stringify(packet)}`);
      assertMatches(got as Packet, want as Expected, `${where}.${key}`);
    } else {
      assert.deepEqual(Buffer.isBuffer(got) ? got.toString('hex') : got, want, `${where}: ${key} of ${JSON.stringify(packet)}`);
    }
  }
}

function isRefusal(packet: Packet): boolean {
  if (packet.cmd === 'connack') return (packet.reasonCode ?? packet.returnCode ?? 0) !== 0;
  if (packet.cmd === 'disconnect') return (packet.reasonCode ?? 0) >= 0x80;
  return false;
}

let caseNumber = 0;

async function runCase(url: string, script: Script, item: Case): Promise<void> {
  const client = await RawMqtt.connect(url, { protocolVersion: item.protocolVersion });
  try {
    for (const [index, step] of item.steps.entries()) {
      const where = `${script.tag} "${item.name}" step ${index + 1}`;
      if ('connect' in step) {
        client.protocolVersion = step.connect;
        const connack = await client.handshake({ protocolVersion: step.connect, clientId: step.clientId ?? `conf-${process.pid}-${++caseNumber}`, clean: true });
        assert.equal(connack.reasonCode ?? connack.returnCode ?? 0, 0, `${where}: CONNECT accepted`);
      } else if ('send' in step) {
        client.sendHex(step.send);
      } else if ('expect' in step) {
        assertMatches(await client.next(), step.expect, where);
      } else if ('expectNothing' in step) {
        await assert.rejects(client.next(step.expectNothing), RawMqttTimeout, `${where}: nothing arrives`);
      } else {
        const rest = await client.closed();
        const wanted = step.expectClose.packets ?? [];
        if (step.expectClose.allowRefusal === true && wanted.length === 0) {
          assert.ok(rest.every(isRefusal), `${where}: only a refusal before the close, got ${JSON.stringify(rest)}`);
        } else {
          assert.equal(rest.length, wanted.length, `${where}: packets before the close ${JSON.stringify(rest)}`);
          wanted.forEach((expected, i) => assertMatches(rest[i]!, expected, `${where} packet ${i + 1}`));
        }
      }
    }
  } finally {
    client.destroy();
  }
}

describe('conformance scripts', () => {
  let gh: TestBroker;
  let bystander: Bystander;
  before(async () => {
    gh = await startTestBroker({ limits: { topicAliasMaximum: 16, maxPacketSize: 64 * 1024 } });
    bystander = await startBystander(gh.urls.mqtt);
  });
  after(async () => {
    bystander.close();
    await gh.stop();
  });

  test('the data directory has scripts', () => {
    assert.ok(scripts.length >= 10, `${scripts.length} scripts`);
  });

  for (const script of scripts) {
    for (const item of script.cases) {
      test(`[${script.tag}] ${script.title} (${item.name})`, async () => {
        await runCase(gh.urls.mqtt, script, item);
        await bystander.check();
      });
    }
  }
});
