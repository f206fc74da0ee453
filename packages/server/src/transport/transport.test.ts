import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as netConnect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { PeerInfo } from '../core/index.js';
import { GatehouseError } from '../core/index.js';
import { ensureLocalPki, issueClientCertificate } from '../pki/index.js';
import { listenTcp, listenTls, listenWebSocket, type ListenerHandle, type TlsCredentials } from './index.js';
import { echo, readUntil } from './transport-fixtures.ts';


describe('transports', () => {
  let home: string;
  let tls: TlsCredentials;
  let caPem: string;
  let caKeyPem: string;
  const handles: ListenerHandle[] = [];

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'gatehouse-transport-'));
    const pki = await ensureLocalPki({ dir: join(home, 'pki') });
    caPem = await readFile(pki.ca, 'utf8');
    caKeyPem = await readFile(pki.caKey, 'utf8');
    tls = { cert: await readFile(pki.cert, 'utf8'), key: await readFile(pki.key, 'utf8'), ca: caPem, requestCert: true };
  });
  after(async () => {
    for (const handle of handles) {
      await handle.close();
      await handle.destroyConnections();
    }
    await rm(home, { recursive: true, force: true });
  });

  it('TCP: bytes flow both ways and the peer is described', async () => {
    const peers: PeerInfo[] = [];
    const handle = await listenTcp({ name: 'mqtt', host: '127.0.0.1', port: 0, onConnection: echo(peers) });
    handles.push(handle);
    assert.equal(handle.address.host, '127.0.0.1');
    assert.ok(handle.address.port > 0);
    const socket = netConnect(handle.address.port, '127.0.0.1');
    await once(socket, 'connect');
    const clientPort = socket.localPort;
    socket.write('ping');
    assert.equal(await readUntil(socket, 'echo:ping'), 'echo:ping');
    assert.equal(peers[0]?.transport, 'tcp');
    assert.equal(peers[0]?.listener, 'mqtt');
    assert.equal(peers[0]?.remoteAddress, '127.0.0.1');
    assert.equal(peers[0]?.localPort, handle.address.port);
    assert.equal(peers[0]?.remotePort, clientPort);
    socket.destroy();
  });

  it('TLS: handshake with the generated CA; a verified client certificate reaches PeerInfo', async () => {
    const peers: PeerInfo[] = [];
    const handle = await listenTls({ name: 'mqtts', host: '127.0.0.1', port: 0, tls, onConnection: echo(peers) });
    handles.push(handle);
    const client = await issueClientCertificate({ caCertPem: caPem, caKeyPem, commonName: 'agent-1', days: 1 });

    const withCert = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port: handle.address.port, ca: caPem, cert: client.certPem, key: client.keyPem });
    await once(withCert, 'secureConnect');
    assert.equal(withCert.authorized, true);
    withCert.write('hello');
    assert.equal(await readUntil(withCert, 'echo:hello'), 'echo:hello');
    withCert.destroy();

    const anonymous = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port: handle.address.port, ca: caPem });
    anonymous.write('anon');
    assert.equal(await readUntil(anonymous, 'echo:anon'), 'echo:anon');
    anonymous.destroy();

    assert.equal(peers[0]?.transport, 'tls');
    assert.ok(peers[0]?.clientCertificate, 'client certificate DER passed on');
    assert.match(new X509Certificate(peers[0]!.clientCertificate!).subject, /CN=agent-1/);
    assert.equal(peers[1]?.clientCertificate, undefined);
  });

  it('TLS: a client that never finishes its handshake is closed at the handshake timeout, not left holding a socket', async () => {
    const errors: string[] = [];
    const handle = await listenTls({ name: 'mqtts', host: '127.0.0.1', port: 0, tls, handshakeTimeoutMs: 200, onConnection: echo([]), onError: (error) => errors.push((error as { code?: string }).code ?? error.message) });
    handles.push(handle);
    const silent = netConnect(handle.address.port, '127.0.0.1');
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      silent.once('close', () => resolve());
      setTimeout(() => reject(new Error('the silent client is still connected after 3 s')), 3000).unref();
    });
    assert.ok(Date.now() - started < 2500, `closed after ${Date.now() - started} ms`);
    assert.deepEqual(errors, ['ERR_TLS_HANDSHAKE_TIMEOUT']);
  });

  it('TLS: a client certificate from another CA is passed on for the broker to judge (customer CAs are registered at run time)', async () => {
    const peers: PeerInfo[] = [];
    const handle = await listenTls({ name: 'mqtts', host: '127.0.0.1', port: 0, tls, onConnection: echo(peers) });
    handles.push(handle);
    const otherDir = join(home, 'other-pki');
    const other = await ensureLocalPki({ dir: otherDir });
    const rogue = await issueClientCertificate({ caCertPem: await readFile(other.ca, 'utf8'), caKeyPem: await readFile(other.caKey, 'utf8'), commonName: 'rogue', days: 1 });
    const socket = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port: handle.address.port, ca: caPem, cert: rogue.certPem, key: rogue.keyPem });
    socket.write('x');
    assert.equal(await readUntil(socket, 'echo:x'), 'echo:x');
    assert.match(new X509Certificate(peers[0]!.clientCertificate!).subject, /CN=rogue/);
    socket.destroy();
  });

  for (const secure of [false, true]) {
    const kind = secure ? 'WSS' : 'WS';
    describe(kind, () => {
      let handle: ListenerHandle;
      const peers: PeerInfo[] = [];
      const url = (path: string): string => `${secure ? 'wss' : 'ws'}://localhost:${handle.address.port}${path}`;
      const clientOptions = (): { ca?: string } => (secure ? { ca: caPem } : {});
      before(async () => {
        handle = await listenWebSocket({
          name: secure ? 'wss' : 'ws',
          host: '127.0.0.1',
          port: 0,
          path: '/mqtt',
          maxPacketSize: 1024,
          ...(secure ? { tls } : {}),
          onConnection: echo(peers),
        });
        handles.push(handle);
      });

      it('upgrades /mqtt with subprotocol mqtt; binary frames flow both ways', async () => {
        const ws = new WebSocket(url('/mqtt'), ['mqtt'], clientOptions());
        await once(ws, 'open');
        assert.equal(ws.protocol, 'mqtt');
        ws.send(Buffer.from([0x10, 0x00, 0xff]));
        const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
        assert.equal(isBinary, true);
        assert.deepEqual(data, Buffer.concat([Buffer.from('echo:'), Buffer.from([0x10, 0x00, 0xff])]));
        assert.equal(peers.at(-1)?.transport, secure ? 'wss' : 'ws');
        const closed = once(ws, 'close');
        ws.close();
        await closed;
      });

      it('accepts mqttv3.1 and clients that offer no subprotocol', async () => {
        const old = new WebSocket(url('/mqtt'), ['mqttv3.1'], clientOptions());
        await once(old, 'open');
        assert.equal(old.protocol, 'mqttv3.1');
        const oldClosed = once(old, 'close');
        old.close();
        const bare = new WebSocket(url('/mqtt?x=1'), clientOptions());
        await once(bare, 'open');
        assert.equal(bare.protocol, '');
        bare.send(Buffer.from('hi'));
        const [data] = (await once(bare, 'message')) as [Buffer];
        assert.equal(String(data), 'echo:hi');
        const bareClosed = once(bare, 'close');
        bare.close();
        await Promise.all([oldClosed, bareClosed]);
      });

      it('answers 404 to any other path', async () => {
        const ws = new WebSocket(url('/other'), ['mqtt'], clientOptions());
        ws.on('error', () => {});
        const [, response] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
        assert.equal(response.statusCode, 404);
        ws.terminate();
      });

      it('closes on a text frame and on a frame larger than the packet limit plus headroom', async () => {
        const text = new WebSocket(url('/mqtt'), ['mqtt'], clientOptions());
        await once(text, 'open');
        text.send('not binary');
        const [code] = (await once(text, 'close')) as [number];
        assert.equal(code, 1003);
        const big = new WebSocket(url('/mqtt'), ['mqtt'], clientOptions());
        await once(big, 'open');
        big.send(Buffer.alloc(1024 + 64 * 1024 + 1));
        const [bigCode] = (await once(big, 'close')) as [number];
        assert.equal(bigCode, 1009);
      });
    });
  }

  it('WebSocket writes pass backpressure through: write() says wait while the client reads nothing, drain comes when it does', async () => {
    const streams: Duplex[] = [];
    const handle = await listenWebSocket({
      name: 'ws',
      host: '127.0.0.1',
      port: 0,
      maxPacketSize: 1024,
      onConnection: (stream) => {
        stream.on('error', () => {});
        streams.push(stream);
      },
    });
    handles.push(handle);
    const ws = new WebSocket(`ws://127.0.0.1:${handle.address.port}/mqtt`, ['mqtt']);
    await once(ws, 'open');
    while (streams.length === 0) await new Promise((resolve) => setImmediate(resolve));
    ws.pause();
    const stream = streams[0]!;
    const chunk = Buffer.alloc(256 * 1024, 1);
    // Fill the kernel's buffers (a few MB on loopback). Once they are full, a write must stay
    // unfinished: no drain while the client reads nothing. A wrapper that completed writes at
    // once would drain forever and fail the bound.
    let held = false;
    for (let writes = 0; writes < 400 && !held; writes++) {
      if (stream.write(chunk)) continue;
      const drained = once(stream, 'drain').then(() => true);
      const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200));
      held = !(await Promise.race([drained, timedOut]));
    }
    assert.equal(held, true, 'write() never held back the writer');
    const drained = once(stream, 'drain');
    ws.resume();
    await drained;
    ws.terminate();
  });

  it('a port in use rejects with PORT_IN_USE naming the listener and the setting', async () => {
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await assert.rejects(listenTcp({ name: 'mqtt', host: '127.0.0.1', port, onConnection: () => {} }), (error: unknown) => {
        assert.ok(error instanceof GatehouseError);
        assert.equal(error.code, 'PORT_IN_USE');
        assert.equal(error.message, `Cannot listen on 127.0.0.1:${port} for mqtt: the port is in use (set listeners.mqtt.port to change it)`);
        return true;
      });
      await assert.rejects(
        listenWebSocket({ name: 'ws', host: '127.0.0.1', port, maxPacketSize: 1, onConnection: () => {} }),
        /set listeners\.ws\.port to change it/,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
