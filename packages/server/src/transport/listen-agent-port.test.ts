import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as http2Connect } from 'node:http2';
import { request } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { PeerInfo } from '../core/index.js';
import { ensureLocalPki, issueClientCertificate } from '../pki/index.js';
import { listenAgentPort, type ListenerHandle, type TlsCredentials } from './index.js';
import { echo, http2Ask, readUntil } from './transport-fixtures.ts';


/** An HTTPS request on its own connection; answers status and body. */
async function get(port: number, ca: string, path: string, options: { method?: string; body?: string; alpn?: string[] } = {}): Promise<{ status: number; body: string; alpn: string | false | null }> {
  const req = request({ host: '127.0.0.1', servername: 'localhost', port, path, ca, method: options.method ?? 'GET', agent: false, ...(options.alpn ? { ALPNProtocols: options.alpn } : {}) });
  let alpn: string | false | null = null;
  req.on('socket', (socket) => socket.once('secureConnect', () => (alpn = (socket as TLSSocket).alpnProtocol)));
  req.end(options.body);
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  let body = '';
  for await (const chunk of res) body += String(chunk);
  return { status: res.statusCode ?? 0, body, alpn };
}

/** The bytes of an MQTT 3.1.1 CONNECT with client id `c`, clean session, keepalive 60. */
const connectPacket = Buffer.from([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 1, 0x63]);

describe('agent port', () => {
  let home: string;
  let tls: TlsCredentials;
  let caPem: string;
  let client: { certPem: string; keyPem: string };
  let handle: ListenerHandle;
  const peers: PeerInfo[] = [];
  const requests: string[] = [];

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'gatehouse-agent-port-'));
    const pki = await ensureLocalPki({ dir: join(home, 'pki') });
    caPem = await readFile(pki.ca, 'utf8');
    tls = { cert: await readFile(pki.cert, 'utf8'), key: await readFile(pki.key, 'utf8'), ca: caPem, requestCert: true };
    client = await issueClientCertificate({ caCertPem: caPem, caKeyPem: await readFile(pki.caKey, 'utf8'), commonName: 'agent-1', days: 1 });
    handle = await listenAgentPort({
      name: 'wss', host: '127.0.0.1', port: 0, tls, maxPacketSize: 65536, handshakeTimeoutMs: 300, onConnection: echo(peers),
      onRequest: (req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += String(chunk)));
        req.on('end', () => {
          requests.push(`${req.method} ${req.url} ${body}`);
          res.writeHead(200, { 'content-type': 'text/plain' }).end(`api:${req.url}`);
        });
      },
    });
  });
  after(async () => {
    await handle.close();
    await handle.destroyConnections();
    await rm(home, { recursive: true, force: true });
  });

  for (const alpn of ['mqtt', 'x-amzn-mqtt-ca']) {
    it(`ALPN ${alpn}: raw MQTT bytes reach the broker with the client certificate`, async () => {
      peers.length = 0;
      const socket = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port: handle.address.port, ca: caPem, cert: client.certPem, key: client.keyPem, ALPNProtocols: [alpn] });
      await once(socket, 'secureConnect');
      assert.equal(socket.alpnProtocol, alpn);
      socket.write('GET / HTTP/1.1\r\n\r\n');
      // ALPN decides alone: even an HTTP-looking first line goes to MQTT.
      assert.equal(await readUntil(socket, 'echo:GET / HTTP/1.1\r\n\r\n'), 'echo:GET / HTTP/1.1\r\n\r\n');
      assert.equal(peers.length, 1);
      assert.equal(peers[0]!.transport, 'tls');
      assert.equal(peers[0]!.listener, 'wss');
      assert.match(new X509Certificate(peers[0]!.clientCertificate!).subject, /CN=agent-1/);
      socket.destroy();
    });
  }

  it('without ALPN, a first byte of 0x10 is MQTT and nothing of it is lost', async () => {
    peers.length = 0;
    const socket = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port: handle.address.port, ca: caPem, cert: client.certPem, key: client.keyPem });
    await once(socket, 'secureConnect');
    assert.equal(socket.alpnProtocol, false);
    socket.write(connectPacket);
    const expected = Buffer.concat([Buffer.from('echo:'), connectPacket]).toString();
    assert.equal(await readUntil(socket, expected), expected);
    assert.equal(peers[0]?.transport, 'tls');
    assert.ok(peers[0]?.clientCertificate);
    socket.destroy();
  });

  it('HTTPS without ALPN, with http/1.1 and with a browser offer (h2, http/1.1, which gets http/1.1) reaches the API, body and all', async () => {
    requests.length = 0;
    const plain = await get(handle.address.port, caPem, '/v1/register', { method: 'POST', body: '{"token":"t"}' });
    assert.deepEqual([plain.status, plain.body, plain.alpn], [200, 'api:/v1/register', false]);
    const http11 = await get(handle.address.port, caPem, '/crl/x.crl', { alpn: ['http/1.1'] });
    assert.deepEqual([http11.status, http11.body, http11.alpn], [200, 'api:/crl/x.crl', 'http/1.1']);
    const browser = await get(handle.address.port, caPem, '/healthz', { alpn: ['h2', 'http/1.1'] });
    assert.deepEqual([browser.status, browser.alpn], [200, 'http/1.1']);
    assert.deepEqual(requests, ['POST /v1/register {"token":"t"}', 'GET /crl/x.crl ', 'GET /healthz ']);
  });

  it('a client that offers only h2 gets the API over HTTP/2, body and all, and 426 on the WebSocket path', async () => {
    requests.length = 0;
    const session = http2Connect(`https://localhost:${handle.address.port}`, { ca: caPem });
    try {
      const ask = (headers: Record<string, string>, body?: string): Promise<[number, string]> => http2Ask(session, headers, body);
      assert.deepEqual(await ask({ ':path': '/v1/register', ':method': 'POST' }, '{"token":"h2"}'), [200, 'api:/v1/register']);
      assert.equal((await ask({ ':path': '/mqtt' }))[0], 426);
      assert.equal(session.alpnProtocol, 'h2');
      assert.deepEqual(requests, ['POST /v1/register {"token":"h2"}']);
    } finally {
      session.close();
    }
  });

  it('keeps an HTTP/1.1 connection alive across requests after sniffing it', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port: handle.address.port, ca: caPem });
    await once(socket, 'secureConnect');
    socket.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\n');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += String(chunk)));
    while (!received.includes('api:/one')) await new Promise((resolve) => setTimeout(resolve, 10));
    socket.write('GET /two HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!received.includes('api:/two')) await new Promise((resolve) => setTimeout(resolve, 10));
    socket.destroy();
  });

  it('WSS on /mqtt carries MQTT with the client certificate', async () => {
    peers.length = 0;
    const ws = new WebSocket(`wss://localhost:${handle.address.port}/mqtt`, 'mqtt', { ca: caPem, cert: client.certPem, key: client.keyPem });
    await once(ws, 'open');
    ws.send(Buffer.from('hi'));
    const [data] = (await once(ws, 'message')) as [Buffer];
    assert.equal(String(data), 'echo:hi');
    assert.equal(peers[0]?.transport, 'wss');
    assert.ok(peers[0]?.clientCertificate);
    ws.close();
  });

  it('refuses an ALPN offer with none of its protocols (no_application_protocol)', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port: handle.address.port, ca: caPem, ALPNProtocols: ['imap'] });
    const [error] = (await once(socket, 'error')) as [Error & { code?: string }];
    assert.match(`${error.code} ${error.message}`, /NO_APPLICATION_PROTOCOL|no application protocol/i);
  });

  it('closes on garbage after TLS and on garbage instead of TLS by closing, and keeps serving', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port: handle.address.port, ca: caPem });
    await once(socket, 'secureConnect');
    socket.write(Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]));
    socket.on('error', () => {});
    // The HTTP parser refuses it (clientError) and the connection ends.
    await once(socket, 'close');

    const raw = netConnect(handle.address.port, '127.0.0.1');
    raw.on('error', () => {});
    raw.write(Buffer.from('\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01c'));
    await once(raw, 'close');
    assert.equal((await get(handle.address.port, caPem, '/still')).status, 200);
  });

  it('closes a client that stalls before TLS, and one that stalls after TLS without ALPN', async () => {
    const started = Date.now();
    const raw = netConnect(handle.address.port, '127.0.0.1');
    raw.on('error', () => {});
    const secure = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port: handle.address.port, ca: caPem });
    secure.on('error', () => {});
    await once(secure, 'secureConnect');
    await Promise.all([once(raw, 'close'), once(secure, 'close')]);
    const waited = Date.now() - started;
    assert.ok(waited >= 250 && waited < 3000, `closed after ${waited} ms`);
  });
});

describe('agent port behind a load balancer (PROXY protocol)', () => {
  let home: string;
  let caPem: string;
  let handle: ListenerHandle;
  const peers: PeerInfo[] = [];

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'gatehouse-agent-port-proxy-'));
    const pki = await ensureLocalPki({ dir: join(home, 'pki') });
    caPem = await readFile(pki.ca, 'utf8');
    const tls = { cert: await readFile(pki.cert, 'utf8'), key: await readFile(pki.key, 'utf8'), ca: caPem };
    handle = await listenAgentPort({ name: 'wss', host: '127.0.0.1', port: 0, tls, maxPacketSize: 65536, onConnection: echo(peers), proxyProtocol: { trustedSources: ['127.0.0.1'], required: true, timeoutMs: 1000 } });
  });
  after(async () => {
    await handle.close();
    await handle.destroyConnections();
    await rm(home, { recursive: true, force: true });
  });

  /** A TCP connection that sends a v1 header for `source`, then speaks TLS. */
  async function throughBalancer(source: string, options: { ALPNProtocols?: string[] }): Promise<TLSSocket> {
    const raw = netConnect(handle.address.port, '127.0.0.1');
    await once(raw, 'connect');
    raw.write(`PROXY TCP4 ${source} 127.0.0.1 40000 443\r\n`);
    const socket = tlsConnect({ socket: raw, servername: 'localhost', ca: caPem, ...options });
    await once(socket, 'secureConnect');
    return socket;
  }

  it('raw MQTT by ALPN and WSS both see the client the header names', async () => {
    const mqtt = await throughBalancer('203.0.113.7', { ALPNProtocols: ['mqtt'] });
    mqtt.write('x');
    assert.equal(await readUntil(mqtt, 'echo:x'), 'echo:x');
    mqtt.destroy();

    const ws = new WebSocket(`wss://localhost:${handle.address.port}/mqtt`, 'mqtt', {
      ca: caPem,
      createConnection: () => {
        const raw = netConnect(handle.address.port, '127.0.0.1');
        raw.write('PROXY TCP4 198.51.100.9 127.0.0.1 40001 443\r\n');
        return tlsConnect({ socket: raw, servername: 'localhost', ca: caPem });
      },
    });
    await once(ws, 'open');
    ws.send(Buffer.from('y'));
    await once(ws, 'message');
    ws.close();
    assert.deepEqual(peers.map((peer) => [peer.transport, peer.remoteAddress, peer.remotePort]), [['tls', '203.0.113.7', 40000], ['wss', '198.51.100.9', 40001]]);
  });
});
