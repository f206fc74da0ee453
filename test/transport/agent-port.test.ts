// The single agent port (listeners.wss, 8443 by default, 443 in production), black-box: raw MQTT with a
// Gatehouse-issued certificate by ALPN `mqtt`, `x-amzn-mqtt-ca` or no ALPN at all, MQTT over WSS on
// /mqtt, and the agent HTTPS API (registration, health) — all on one port, from MQTT.js, the AWS v2
// SDK, mosquitto_sub and curl. Garbage and refused offers leave it serving.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as http2Connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { iot, mqtt as crt } from 'aws-iot-device-sdk-v2';
import type { IClientOptions, MqttClient } from 'mqtt';
import { connectClient, missingTools, sleep, startGatehouse, type TestGatehouse } from '../helpers/index.ts';
import { makeEcAgentKey, onboardDevice, requestJson, type OnboardedDevice } from '../identity/onboarding-kit.ts';
import { http2Ask } from '../../packages/server/src/transport/transport-fixtures.ts';

const run = promisify(execFile);
const missing = await missingTools(['curl', 'mosquitto_sub']);
const skip = missing.length > 0 ? `needs ${missing.join(', ')} (apt-get install curl mosquitto-clients)` : false;

describe('the agent port: MQTT, WSS and HTTPS on one TLS port', () => {
  let gh: TestGatehouse;
  let device: OnboardedDevice;
  let port: number;
  let dir: string;

  before(async () => {
    // No anonymous clients on the agent port: a connection that works proves the certificate was used.
    gh = await startGatehouse({ store: 'sqlite', config: { listeners: { wss: { allowAnonymous: false } } } });
    port = gh.ports.wss;
    device = await onboardDevice({ adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${port}/v1/register`, ca: gh.caPem }, 'port-agent');
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-agent-port-'));
    await writeFile(join(dir, 'ca.pem'), gh.caPem);
    await writeFile(join(dir, 'agent.pem'), device.certificatePem);
    await writeFile(join(dir, 'agent.key'), device.keyPem, { mode: 0o600 });
  });
  after(async () => {
    await gh.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const withCertificate = (extra: IClientOptions): IClientOptions => ({ ca: gh.caPem, cert: device.certificatePem, key: device.keyPem, clientId: 'port-agent', ...extra });

  /** Subscribes to its own topic, publishes there and waits for the message to come back. */
  async function roundTrip(client: MqttClient, subject: string): Promise<void> {
    const topic = `default/port-agent/${subject}`;
    const got = new Promise<string>((resolve) => client.on('message', (t, payload) => t === topic && resolve(payload.toString())));
    await client.subscribeAsync(topic, { qos: 1 });
    await client.publishAsync(topic, `hello ${subject}`, { qos: 1 });
    assert.equal(await got, `hello ${subject}`);
  }

  async function certificatePrincipalOf(clientId: string): Promise<unknown> {
    const clients = await requestJson(`${gh.urls.admin}/v1/clients`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
    const items = clients.body['items'] as Array<Record<string, unknown>>;
    return items.find((item) => item['clientId'] === clientId)?.['principal'];
  }

  for (const alpn of ['mqtt', 'x-amzn-mqtt-ca']) {
    test(`MQTT.js with ALPN ${alpn} connects with its certificate, subscribes and publishes`, async () => {
      const { client } = await connectClient(`mqtts://localhost:${port}`, withCertificate({ ALPNProtocols: [alpn] }));
      try {
        assert.equal((client.stream as import('node:tls').TLSSocket).alpnProtocol, alpn);
        assert.deepEqual(await certificatePrincipalOf('port-agent'), { kind: 'certificate', tenant: 'default', thingName: 'port-agent', certificateId: device.certificateId });
        await roundTrip(client, alpn);
      } finally {
        await client.endAsync();
      }
    });
  }

  test('raw MQTT over TLS without ALPN is recognised from its first byte', async () => {
    const { client } = await connectClient(`mqtts://localhost:${port}`, withCertificate({}));
    try {
      assert.equal((client.stream as import('node:tls').TLSSocket).alpnProtocol, false);
      await roundTrip(client, 'no-alpn');
    } finally {
      await client.endAsync();
    }
  });

  test('MQTT over WSS on /mqtt, with the certificate', async () => {
    const { client } = await connectClient(`wss://localhost:${port}/mqtt`, withCertificate({ wsOptions: { ca: gh.caPem, cert: device.certificatePem, key: device.keyPem } }));
    try {
      assert.deepEqual(await certificatePrincipalOf('port-agent'), { kind: 'certificate', tenant: 'default', thingName: 'port-agent', certificateId: device.certificateId });
      await roundTrip(client, 'wss');
    } finally {
      await client.endAsync();
    }
  });

  test('a client without a certificate is refused MQTT there (anonymous is off), and the port keeps serving', async () => {
    await assert.rejects(connectClient(`mqtts://localhost:${port}`, { ca: gh.caPem, clientId: 'nobody', ALPNProtocols: ['mqtt'] }));
    const { client } = await connectClient(`mqtts://localhost:${port}`, withCertificate({ ALPNProtocols: ['mqtt'] }));
    await client.endAsync();
  });

  test('aws-iot-device-sdk-v2 (CRT, which offers x-amzn-mqtt-ca) connects on the agent port', async () => {
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(device.certificatePem, device.keyPem)
      .with_certificate_authority(gh.caPem)
      .with_endpoint('localhost')
      .with_port(port)
      .with_client_id('port-agent')
      .with_clean_session(true)
      .build();
    const connection = new crt.MqttClient().new_connection(config);
    try {
      await connection.connect();
      let received: (text: string) => void = () => undefined;
      const message = new Promise<string>((resolve) => (received = resolve));
      await connection.subscribe('default/port-agent/crt', crt.QoS.AtLeastOnce, (_topic, payload) => received(Buffer.from(payload).toString()));
      await connection.publish('default/port-agent/crt', 'hello crt', crt.QoS.AtLeastOnce);
      assert.equal(await message, 'hello crt');
    } finally {
      await connection.disconnect();
    }
  });

  test('an ALPN offer with none of its protocols is refused in the handshake, garbage is closed, and the port keeps serving', async () => {
    const refused = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port, ca: gh.caPem, ALPNProtocols: ['imap'] });
    const [error] = (await once(refused, 'error')) as [Error];
    assert.match(error.message, /no application protocol/i);

    const garbage = netConnect(port, '127.0.0.1');
    garbage.on('error', () => {});
    garbage.write(Buffer.from('\x00\xff GET / HTTP/1.1\r\n\r\n'));
    await once(garbage, 'close');

    const mqttGarbage = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port, ca: gh.caPem, ALPNProtocols: ['mqtt'] });
    mqttGarbage.on('error', () => {});
    await once(mqttGarbage, 'secureConnect');
    mqttGarbage.write(Buffer.alloc(64, 0xee));
    await once(mqttGarbage, 'close');

    const health = await requestJson(`https://127.0.0.1:${port}/healthz`, { ca: gh.caPem });
    assert.equal(health.status, 200);
  });

  test('an HTTP/2-only client (ALPN h2 alone) gets /healthz and a 400 for an empty registration from the agent API', async () => {
    const session = http2Connect(`https://localhost:${port}`, { ca: gh.caPem });
    try {
      const ask = (headers: Record<string, string>, body?: string): Promise<[number, string]> => http2Ask(session, headers, body);
      const [status, body] = await ask({ ':path': '/healthz' });
      assert.equal(status, 200);
      assert.equal((JSON.parse(body) as { status: string }).status, 'ok');
      const [refused] = await ask({ ':path': '/v1/register', ':method': 'POST', 'content-type': 'application/json' }, '{}');
      assert.equal(refused, 400);
      assert.equal(session.alpnProtocol, 'h2');
    } finally {
      session.close();
    }
  });

  test('curl gets /healthz and registers a device with POST /v1/register over HTTP/1.1 on the same port', { skip }, async () => {
    const health = await run('curl', ['-sS', '--cacert', join(dir, 'ca.pem'), '-w', '\n%{http_code} %{http_version}', `https://localhost:${port}/healthz`]);
    // curl offers h2 and http/1.1; the port picks http/1.1, where WebSocket works too.
    assert.match(health.stdout, /\n200 1\.1$/);

    const minted = await requestJson(`${gh.urls.admin}/v1/tokens`, { headers: { authorization: `Bearer ${gh.adminKey}` }, body: { thing: 'curl-agent' } });
    const agent = await makeEcAgentKey();
    await writeFile(join(dir, 'register.json'), JSON.stringify({ token: minted.body['token'], csr: agent.csrPem }));
    const registered = await run('curl', ['-sS', '--fail-with-body', '--cacert', join(dir, 'ca.pem'), '-H', 'content-type: application/json', '--data-binary', `@${join(dir, 'register.json')}`, `https://localhost:${port}/v1/register`]);
    assert.equal((JSON.parse(registered.stdout) as { thingName: string }).thingName, 'curl-agent');
  });

  test('mosquitto_sub --tls-alpn mqtt receives on the same port with the certificate', { skip }, async () => {
    const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '--tls-alpn', 'mqtt', '--cafile', join(dir, 'ca.pem'), '--cert', join(dir, 'agent.pem'), '--key', join(dir, 'agent.key'),
      '-i', 'port-agent', '-q', '1', '-t', 'default/port-agent/mosquitto', '-C', '1', '-W', '10']);
    let output = '';
    let errors = '';
    sub.stdout.on('data', (chunk: Buffer) => (output += String(chunk)));
    sub.stderr.on('data', (chunk: Buffer) => (errors += String(chunk)));
    const exited = once(sub, 'exit');
    try {
      // The subscription is in place once the broker lists the client.
      const listed = Date.now() + 5000;
      while ((await certificatePrincipalOf('port-agent')) === undefined && Date.now() < listed) await sleep(50);
      const { client } = await connectClient(gh.urls.mqtt, { clientId: 'local-publisher' });
      try {
        // QoS 1 until the message arrives: the SUBSCRIBE may trail the CONNECT the broker listed.
        const deadline = Date.now() + 5000;
        while (output === '' && Date.now() < deadline) {
          await client.publishAsync('default/port-agent/mosquitto', 'hello mosquitto', { qos: 1 });
          await sleep(100);
        }
      } finally {
        await client.endAsync();
      }
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, errors);
      assert.equal(output.trim(), 'hello mosquitto');
    } finally {
      sub.kill();
    }
  });
});

describe('the agent port behind a load balancer', () => {
  let gh: TestGatehouse;

  before(async () => {
    gh = await startGatehouse({ config: { listeners: { wss: { proxyProtocol: { enabled: true, trustedSources: ['127.0.0.1'] } } } } });
  });
  after(() => gh.stop());

  test('a PROXY v1 header before TLS names the client of a raw MQTT connection (ALPN mqtt)', async () => {
    // The balancer's part: one header line on the TCP connection, then the client's own TLS.
    const raw = netConnect(gh.ports.wss, '127.0.0.1');
    await once(raw, 'connect');
    raw.write('PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\r\n');
    const socket = tlsConnect({ socket: raw, servername: 'localhost', ca: gh.caPem, ALPNProtocols: ['mqtt'] });
    await once(socket, 'secureConnect');
    // MQTT 3.1.1 CONNECT, client id "lb", clean session, keepalive 60 (anonymous is allowed in tests).
    socket.write(Buffer.from([0x10, 14, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 2, 0x6c, 0x62]));
    const [connack] = (await once(socket, 'data')) as [Buffer];
    assert.deepEqual([...connack], [0x20, 2, 0, 0]);
    const clients = await requestJson(`${gh.urls.admin}/v1/clients`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
    const entry = (clients.body['items'] as Array<Record<string, unknown>>).find((item) => item['clientId'] === 'lb');
    assert.equal((entry?.['peer'] as { remoteAddress?: string } | undefined)?.remoteAddress, '203.0.113.7');
    socket.destroy();
  });
});
