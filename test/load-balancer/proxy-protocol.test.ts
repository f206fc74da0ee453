// Behind a load balancer: PROXY protocol v1 and v2 headers on the MQTT (TCP) and MQTTS (TLS)
// listeners carry the agent's real address into presence events, the admin clients list and an
// aws:SourceIp policy condition; only trusted sources may send one, and a trusted one must.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { MqttClient, type IClientOptions } from 'mqtt';
import WebSocket, { createWebSocketStream } from 'ws';
import { connectClient, startGatehouse, waitFor, type TestGatehouse } from '../helpers/index.ts';

/** Publish only from 203.0.113.0/24; everything else from anywhere. */
const fromDocumentationNet = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['iot:Connect', 'iot:Subscribe', 'iot:Receive'], Resource: '*' },
    { Effect: 'Allow', Action: 'iot:Publish', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } },
  ],
};

function v1Header(source: string, sourcePort: number): Buffer {
  const family = source.includes(':') ? 'TCP6' : 'TCP4';
  return Buffer.from(`PROXY ${family} ${source} ${family === 'TCP6' ? '::1' : '127.0.0.1'} ${sourcePort} 8883\r\n`);
}

/** A v2 PROXY header for an IPv4 or IPv6 client, with an ALPN and a vendor TLV the server must skip. */
function v2Header(source: string, sourcePort: number): Buffer {
  const six = source.includes(':');
  const addresses = six ? Buffer.concat([ipv6Bytes(source), ipv6Bytes('::1')]) : Buffer.from([...source.split('.').map(Number), 127, 0, 0, 1]);
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sourcePort, 0);
  ports.writeUInt16BE(8883, 2);
  const tlvs = Buffer.from([0x01, 0x00, 0x04, ...Buffer.from('mqtt'), 0xea, 0x00, 0x03, 0x61, 0x62, 0x63]);
  const block = Buffer.concat([addresses, ports, tlvs]);
  const preamble = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, six ? 0x21 : 0x11, 0, 0]);
  preamble.writeUInt16BE(block.length, 14);
  return Buffer.concat([preamble, block]);
}

function ipv6Bytes(text: string): Buffer {
  const [head = '', tail = ''] = text.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const all = [...groups(head), ...new Array<number>(8 - groups(head).length - groups(tail).length).fill(0), ...groups(tail)];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}

describe('PROXY protocol on the mqtt and mqtts listeners', () => {
  let gh: TestGatehouse;
  let observer: MqttClient;
  const connected = new Map<string, Record<string, unknown>>();
  const open: MqttClient[] = [];
  const proxy = { enabled: true, trustedSources: ['127.0.0.1/32', '::1'] };

  before(async () => {
    gh = await startGatehouse({
      config: {
        listeners: { mqtt: { proxyProtocol: proxy }, mqtts: { proxyProtocol: proxy } },
        auth: { anonymousPolicies: 'tenant-policies' },
      },
    });
    const authorization = `Bearer ${gh.adminKey}`;
    for (const [path, body] of [['/v1/tenants/default/policies/lb', { policyDocument: fromDocumentationNet }], ['/v1/tenants/default/policies/lb/targets/tenant/default', undefined]] as const) {
      const answer = await fetch(`${gh.urls.admin}${path}`, {
        method: 'PUT', ...(body === undefined ? { headers: { authorization } } : { headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      assert.ok(answer.ok, `${path}: ${answer.status} ${await answer.text()}`);
    }
    // The ws listener has no PROXY protocol here: the observer connects as itself.
    ({ client: observer } = await connectClient(gh.urls.ws, { clientId: 'observer', protocolVersion: 5 }, (topic, payload) => {
      if (topic.startsWith('$aws/events/presence/connected/')) connected.set(topic.split('/').pop()!, JSON.parse(String(payload)) as Record<string, unknown>);
    }));
    await observer.subscribeAsync('$aws/events/presence/connected/+', { qos: 1 });
  });
  after(async () => {
    await Promise.all(open.map((client) => client.endAsync(true)));
    await observer.endAsync(true);
    await gh.stop();
  });

  /** A socket to `listener` that sends `header` first (from `localAddress`), then TLS for mqtts. */
  async function proxiedStream(listener: 'mqtt' | 'mqtts', header: Buffer, localAddress = '127.0.0.1'): Promise<Duplex> {
    const raw: Socket = connectTcp({ host: '127.0.0.1', port: gh.ports[listener], localAddress });
    await once(raw, 'connect');
    raw.write(header);
    if (listener === 'mqtt') return raw;
    const secure = connectTls({ socket: raw, ca: gh.caPem, servername: 'localhost' });
    await once(secure, 'secureConnect');
    return secure;
  }

  async function proxiedClient(listener: 'mqtt' | 'mqtts', header: Buffer, clientId: string, localAddress?: string): Promise<MqttClient> {
    const stream = await proxiedStream(listener, header, localAddress);
    const options: IClientOptions = { clientId, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 };
    const client = new MqttClient(() => stream, options);
    open.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error(`${clientId} closed before CONNACK`)));
    });
    client.on('error', () => {});
    return client;
  }

  /** Whether a QoS 1 publish gets a successful PUBACK (else the policy's 0x87). */
  async function mayPublish(client: MqttClient): Promise<boolean> {
    try {
      await client.publishAsync('site/status', 'up', { qos: 1 });
      return true;
    } catch (error) {
      assert.equal((error as { code?: number }).code, 0x87);
      return false;
    }
  }

  for (const listener of ['mqtt', 'mqtts'] as const) {
    for (const [version, header] of [['v1', v1Header], ['v2', v2Header]] as const) {
      test(`${version} on ${listener}: presence, the clients list and aws:SourceIp see the balancer's client`, async () => {
        const inside = await proxiedClient(listener, header('203.0.113.7', 40001), `${listener}-${version}-inside`);
        const outside = await proxiedClient(listener, header('198.51.100.9', 40002), `${listener}-${version}-outside`);
        assert.equal(await mayPublish(inside), true, 'the client from 203.0.113.7 may publish');
        assert.equal(await mayPublish(outside), false, 'the client from 198.51.100.9 may not');

        await waitFor(() => connected.has(`${listener}-${version}-inside`) && connected.has(`${listener}-${version}-outside`), 'presence events');
        assert.equal(connected.get(`${listener}-${version}-inside`)?.['ipAddress'], '203.0.113.7');
        assert.equal(connected.get(`${listener}-${version}-outside`)?.['ipAddress'], '198.51.100.9');

        const clients = await (await fetch(`${gh.urls.admin}/v1/clients`, { headers: { authorization: `Bearer ${gh.adminKey}` } })).json() as { items?: Array<{ clientId?: string; peer?: { remoteAddress?: string; remotePort?: number } }> };
        const listed = (clients.items ?? []).find((item) => item.clientId === `${listener}-${version}-inside`);
        assert.deepEqual([listed?.peer?.remoteAddress, listed?.peer?.remotePort], ['203.0.113.7', 40001], JSON.stringify(listed));
      });
    }
  }

  test('a v2 header with an IPv6 client reaches the presence event', async () => {
    await proxiedClient('mqtts', v2Header('2001:db8::7', 40003), 'six');
    await waitFor(() => connected.has('six'), 'presence event');
    assert.equal(connected.get('six')?.['ipAddress'], '2001:db8::7');
  });

  test('a v2 LOCAL header (a balancer health check) is the connection itself', async () => {
    const local = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00]);
    const client = await proxiedClient('mqtt', local, 'local');
    await waitFor(() => connected.has('local'), 'presence event');
    assert.equal(connected.get('local')?.['ipAddress'], '127.0.0.1');
    assert.equal(await mayPublish(client), false, 'loopback is outside 203.0.113.0/24');
  });

  test('a header from an untrusted source, a trusted source without one, and a malformed one are refused', async () => {
    for (const listener of ['mqtt', 'mqtts'] as const) {
      // 127.0.0.2 is loopback too, but not in trustedSources.
      const untrusted = connectTcp({ host: '127.0.0.1', port: gh.ports[listener], localAddress: '127.0.0.2' });
      untrusted.on('error', () => {});
      untrusted.write(v1Header('203.0.113.7', 1));
      await once(untrusted, 'close');

      const bare = connectTcp({ host: '127.0.0.1', port: gh.ports[listener] });
      bare.on('error', () => {});
      bare.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]));
      await once(bare, 'close');

      const malformed = connectTcp({ host: '127.0.0.1', port: gh.ports[listener] });
      malformed.on('error', () => {});
      malformed.write('PROXY TCP4 203.0.113.7 nonsense 1 2\r\n');
      await once(malformed, 'close');
    }
    // A client from the untrusted address without a header is an ordinary direct client.
    await proxiedClient('mqtt', Buffer.alloc(0), 'direct', '127.0.0.2');
    await waitFor(() => connected.has('direct'), 'presence event');
    assert.equal(connected.get('direct')?.['ipAddress'], '127.0.0.2');
  });
});

describe('PROXY protocol on the plain ws listener', () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startGatehouse({ config: { listeners: { ws: { proxyProtocol: { enabled: true, trustedSources: ['127.0.0.1/32'] } } } } });
  });
  after(() => gh.stop());

  for (const [version, header] of [['v1', v1Header], ['v2', v2Header]] as const) {
    test(`${version}: the WebSocket client named in the header is the connection's peer`, async () => {
      const clientId = `ws-${version}`;
      const url = new URL(gh.urls.ws);
      // The balancer's header goes out before the HTTP upgrade request on the same socket.
      const socket = new WebSocket(gh.urls.ws, 'mqtt', {
        createConnection: () => {
          const raw = connectTcp({ host: url.hostname, port: Number(url.port) });
          raw.write(header('203.0.113.40', 40100));
          return raw;
        },
      });
      await once(socket, 'open');
      const stream = createWebSocketStream(socket);
      const client = new MqttClient(() => stream, { clientId, protocolVersion: 5, reconnectPeriod: 0 });
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      try {
        const clients = await (await fetch(`${gh.urls.admin}/v1/clients`, { headers: { authorization: `Bearer ${gh.adminKey}` } })).json() as { items?: Array<{ clientId?: string; peer?: { remoteAddress?: string; remotePort?: number } }> };
        const listed = (clients.items ?? []).find((item) => item.clientId === clientId);
        assert.deepEqual([listed?.peer?.remoteAddress, listed?.peer?.remotePort], ['203.0.113.40', 40100], JSON.stringify(listed));
      } finally {
        await client.endAsync(true);
      }
    });
  }
});
