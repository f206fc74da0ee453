/**
 * The credentials provider and SigV4-signed WebSockets against the real server: an onboarded agent
 * trades its certificate for temporary credentials, presigns `wss://…/mqtt` with them and pub/subs;
 * wrong, expired or tampered credentials are refused with a reason, and revoking the certificate
 * behind the credentials closes the SigV4 connection.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient, type Packet } from 'mqtt';
import WebSocket from 'ws';
import { issueTemporaryCredentials, presignWebSocketUrl, revokeCertificate } from '../../packages/server/src/auth/index.ts';
import { startGatehouse, waitFor, type TestGatehouse } from '../helpers/index.ts';
import { credentialsOf, fetchCredentials, putRoleAlias, registerUrl } from './credentials-kit.ts';
import { onboardDevice, requestJson, type OnboardedDevice } from './onboarding-kit.ts';

const ALIAS = 'agent-role';
const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../packages/server/bin/gatehouse.js', import.meta.url));

describe('credentials provider and SigV4 WebSocket', () => {
  let gh: TestGatehouse;
  let device: OnboardedDevice;

  before(async () => {
    gh = await startGatehouse({ config: { listeners: { wss: { allowAnonymous: false }, ws: { allowAnonymous: false } } } });
    device = await onboardDevice(registerUrl(gh), 'agent-1');
    const created = await putRoleAlias(gh, 'default', ALIAS, { credentialDurationSeconds: 900 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(() => gh.stop());

  describe('GET /role-aliases/{alias}/credentials', () => {
    test('answers AWS\'s exact JSON shape with the alias\'s duration', async () => {
      const before = Date.now();
      const answer = await fetchCredentials(gh, device, ALIAS);
      assert.equal(answer.status, 200, answer.text);
      assert.match(String(answer.headers['content-type']), /^application\/json/);
      const credentials = credentialsOf(answer);
      assert.deepEqual(Object.keys(answer.body), ['credentials']);
      assert.deepEqual(Object.keys(credentials), ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration']);
      assert.match(credentials.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
      assert.equal(credentials.secretAccessKey.length, 40);
      assert.ok(credentials.sessionToken.length > 0);
      assert.match(credentials.expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const ttl = (Date.parse(credentials.expiration) - before) / 1000;
      assert.ok(ttl > 895 && ttl <= 901, `expires in ${ttl} s, the alias says 900`);
      assert.ok(Buffer.byteLength(answer.text) < 2048, 'the CRT refuses bodies over 2048 bytes');
    });

    test('works without x-amzn-iot-thingname, as AWS does', async () => {
      const answer = await fetchCredentials(gh, device, ALIAS, { thingName: null });
      assert.equal(answer.status, 200, answer.text);
    });

    test('a thing name other than the certificate\'s is 403 "Invalid thing name passed"', async () => {
      const answer = await fetchCredentials(gh, device, ALIAS, { thingName: 'someone-else' });
      assert.equal(answer.status, 403);
      assert.deepEqual(answer.body, { message: 'Invalid thing name passed' });
      assert.equal(answer.headers['x-amzn-errortype'], 'AccessDeniedException');
    });

    test('an unknown alias is 404 "Role alias does not exist"', async () => {
      const answer = await fetchCredentials(gh, device, 'no-such-alias');
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.body, { message: 'Role alias does not exist' });
      assert.equal(answer.headers['x-amzn-errortype'], 'ResourceNotFoundException');
      const invalid = await fetchCredentials(gh, device, 'bad%20alias');
      assert.equal(invalid.status, 404, 'a name AWS could not have created does not exist either');
    });

    test('another tenant\'s alias does not exist for this certificate', async () => {
      assert.equal((await putRoleAlias(gh, 'other-tenant', 'their-role')).status, 201);
      const answer = await fetchCredentials(gh, device, 'their-role');
      assert.equal(answer.status, 404);
    });

    test('without a client certificate is 403', async () => {
      const answer = await fetchCredentials(gh, undefined, ALIAS);
      assert.equal(answer.status, 403);
      assert.match(String(answer.body['message']), /no client certificate/);
      assert.equal(answer.headers['x-amzn-errortype'], 'AccessDeniedException');
    });

    test('a revoked certificate is 403 and names why', async () => {
      const revoked = await onboardDevice(registerUrl(gh), 'agent-revoked');
      assert.equal((await fetchCredentials(gh, revoked, ALIAS)).status, 200);
      await revokeCertificate(revoked.certificateId, { identity: gh.running.identity, connections: gh.broker.admin });
      const answer = await fetchCredentials(gh, revoked, ALIAS);
      assert.equal(answer.status, 403);
      assert.match(String(answer.body['message']), /^Certificate is invalid on this endpoint: .*REVOKED/);
    });
  });

  describe('MQTT over a SigV4-presigned WebSocket URL', () => {
    test('MQTT.js connects over WSS with fetched credentials and pub/subs as the certificate\'s thing', async () => {
      const url = await presignedUrl(gh, device);
      const client = await connect(gh, url, { clientId: 'sigv4-agent-1' });
      try {
        const clients = await adminItems(gh, '/v1/clients');
        const entry = clients.find((c) => c['clientId'] === 'sigv4-agent-1');
        assert.deepEqual(entry?.['principal'], { kind: 'sigv4', tenant: 'default', thingName: 'agent-1', certificateId: device.certificateId });
        assert.equal(JSON.stringify(entry).includes('X-Amz'), false, 'the admin API never shows the signed URL');
        const message = new Promise<string>((resolve) => client.on('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)));
        await client.subscribeAsync('sigv4/echo', { qos: 1 });
        await client.publishAsync('sigv4/echo', 'over sigv4', { qos: 1 });
        assert.equal(await message, 'sigv4/echo over sigv4');
      } finally {
        await client.endAsync();
      }
    });

    test('the token placed before X-Amz-Signature (CRT native) and the Host without its port (CRT signing) are accepted', async () => {
      const credentials = credentialsOf(await fetchCredentials(gh, device, ALIAS));
      const url = presignWebSocketUrl({
        host: `127.0.0.1:${gh.ports.wss}`, signedHost: '127.0.0.1', region: 'eu-west-3', tokenPlacement: 'before-signature',
        accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken, now: new Date(),
      });
      const client = await connect(gh, url, { clientId: 'sigv4-crt-style' });
      await client.endAsync();
    });

    test('plain ws:// presigned URLs work too', async () => {
      const url = await presignedUrl(gh, device, { scheme: 'ws', port: gh.ports.ws });
      const client = await connect(gh, url, { clientId: 'sigv4-plain-ws' });
      await client.endAsync();
    });

    test('the upgrade echoes the offered subprotocol (mqtt, mqttv3.1), as the CRT requires', async () => {
      for (const protocol of ['mqtt', 'mqttv3.1']) {
        const ws = new WebSocket(`wss://127.0.0.1:${gh.ports.wss}/mqtt`, [protocol], { ca: gh.caPem });
        await new Promise<void>((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        assert.equal(ws.protocol, protocol);
        ws.close();
      }
    });

    test('a wrong signature is refused as not authorized, and the reason says the signature does not match', async () => {
      const credentials = credentialsOf(await fetchCredentials(gh, device, ALIAS));
      const url = presignWebSocketUrl({
        host: `127.0.0.1:${gh.ports.wss}`, region: 'us-east-1',
        accessKeyId: credentials.accessKeyId, secretAccessKey: 'x'.repeat(40), sessionToken: credentials.sessionToken, now: new Date(),
      });
      const refusal = await refused(gh, url);
      assert.equal(refusal.reasonCode, 0x87);
      assert.match(refusal.reasonString ?? '', /signature does not match/);
    });

    test('expired credentials are refused, and the reason says they expired', async () => {
      const old = issueTemporaryCredentials({
        secret: gh.running.firstRun.credentialsSecret,
        principal: { tenant: 'default', thing: device.thing, certificateId: device.certificateId },
        roleAlias: ALIAS, ttlSeconds: 900, now: new Date(Date.now() - 3600_000),
      }).credentials;
      const url = presignWebSocketUrl({
        host: `127.0.0.1:${gh.ports.wss}`, region: 'us-east-1',
        accessKeyId: old.accessKeyId, secretAccessKey: old.secretAccessKey, sessionToken: old.sessionToken, now: new Date(),
      });
      const refusal = await refused(gh, url);
      assert.equal(refusal.reasonCode, 0x87);
      assert.match(refusal.reasonString ?? '', /temporary credentials have expired/);
    });

    test('a tampered session token is refused, and the reason says the token is invalid', async () => {
      const credentials = credentialsOf(await fetchCredentials(gh, device, ALIAS));
      const token = credentials.sessionToken;
      const middle = Math.floor(token.length / 2);
      const tampered = `${token.slice(0, middle)}${token[middle] === 'A' ? 'B' : 'A'}${token.slice(middle + 1)}`;
      const url = presignWebSocketUrl({
        host: `127.0.0.1:${gh.ports.wss}`, region: 'us-east-1',
        accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: tampered, now: new Date(),
      });
      const refusal = await refused(gh, url);
      assert.equal(refusal.reasonCode, 0x87);
      assert.match(refusal.reasonString ?? '', /session token is invalid/);
    });

    test('a URL without a signature is not SigV4: the listener\'s anonymous rule refuses it', async () => {
      const refusal = await refused(gh, `wss://127.0.0.1:${gh.ports.wss}/mqtt`);
      assert.equal(refusal.reasonCode, 0x87);
      assert.match(refusal.reasonString ?? '', /needs credentials/);
    });

    test('credentials of a certificate revoked since are refused at connect', async () => {
      const later = await onboardDevice(registerUrl(gh), 'agent-revoked-later');
      const url = await presignedUrl(gh, later);
      await revokeCertificate(later.certificateId, { identity: gh.running.identity, connections: gh.broker.admin });
      const refusal = await refused(gh, url);
      assert.equal(refusal.reasonCode, 0x87);
      assert.match(refusal.reasonString ?? '', /certificate .* is REVOKED/);
    });

    test('revoking the certificate closes its live SigV4 connection within 1 s (here and through the store re-check)', async (t) => {
      const here = await onboardDevice(registerUrl(gh), 'agent-live-1');
      const elsewhere = await onboardDevice(registerUrl(gh), 'agent-live-2');
      const first = await connect(gh, await presignedUrl(gh, here), { clientId: 'live-1' });
      const second = await connect(gh, await presignedUrl(gh, elsewhere), { clientId: 'live-2' });
      try {
        const firstClosed = closedWithin(first);
        await revokeCertificate(here.certificateId, { identity: gh.running.identity, connections: gh.broker.admin });
        const local = await firstClosed;
        assert.ok(local < 1000, `closed after ${local} ms`);
        // As another process would: only the store changes, and the re-check must notice.
        const secondClosed = closedWithin(second);
        await gh.running.identity.setCertificateStatus(elsewhere.certificateId, 'REVOKED', Date.now());
        const remote = await secondClosed;
        assert.ok(remote < 1000, `closed after ${remote} ms`);
        t.diagnostic(`revoke to close: ${local} ms through the API path, ${remote} ms through the store re-check`);
      } finally {
        first.end(true);
        second.end(true);
      }
    });
  });

  test('first run writes the credentials secret: 32 bytes, mode 0600, the one credentials are derived from', async () => {
    const path = join(gh.home, 'credentials-secret');
    const info = await stat(path);
    assert.equal(info.mode & 0o777, 0o600);
    const secret = await readFile(path);
    assert.equal(secret.length, 32);
    assert.ok(secret.equals(gh.running.firstRun.credentialsSecret));
  });

  describe('role aliases over the admin API', () => {
    test('put, get, list and delete', async () => {
      const auth = { authorization: `Bearer ${gh.adminKey}` };
      const base = `${gh.urls.admin}/v1/tenants/acme/role-aliases`;
      assert.equal((await requestJson(`${base}/r1`, { method: 'PUT', headers: auth, body: {} })).status, 201);
      const replaced = await requestJson(`${base}/r1`, { method: 'PUT', headers: auth, body: { credentialDurationSeconds: 7200 } });
      assert.equal(replaced.status, 200);
      assert.equal(replaced.body['credentialDurationSeconds'], 7200);
      const shown = await requestJson(`${base}/r1`, { headers: auth });
      assert.equal(shown.body['roleArn'], 'arn:gatehouse:iam::acme:role/r1');
      const listed = await requestJson(base, { headers: auth });
      assert.deepEqual((listed.body['items'] as Array<Record<string, unknown>>).map((a) => a['alias']), ['r1']);
      const tooLong = await requestJson(`${base}/r2`, { method: 'PUT', headers: auth, body: { credentialDurationSeconds: 43201 } });
      assert.equal(tooLong.status, 400);
      const badName = await requestJson(`${base}/bad%20name`, { method: 'PUT', headers: auth, body: {} });
      assert.equal(badName.status, 400);
      assert.equal((await requestJson(`${base}/r1`, { method: 'DELETE', headers: auth })).status, 204);
      assert.equal((await requestJson(`${base}/r1`, { method: 'DELETE', headers: auth })).status, 404);
      assert.equal((await requestJson(`${base}/r1`, { headers: auth })).status, 404);
    });

    test('gatehouse role-aliases create, list and delete', async () => {
      const cli = (...args: string[]) => run(process.execPath, [bin, 'role-aliases', ...args, '--home', gh.home], { timeout: 20_000 });
      const created = await cli('create', '--tenant', 'cli-tenant', '--alias', 'cli-role', '--duration', '1800');
      assert.match(created.stdout, /Role alias "cli-role" of tenant "cli-tenant": credentials last 1800 s/);
      const listed = await cli('list', '--tenant', 'cli-tenant', '--json');
      const items = (JSON.parse(listed.stdout) as { items: Array<Record<string, unknown>> }).items;
      assert.deepEqual(items.map((a) => [a['alias'], a['credentialDurationSeconds']]), [['cli-role', 1800]]);
      await assert.rejects(cli('create', '--tenant', 'cli-tenant', '--alias', 'short', '--duration', '60'), (error: { code?: number; stderr?: string }) => {
        assert.equal(error.code, 2);
        assert.match(error.stderr ?? '', /900 to 43200/);
        return true;
      });
      await cli('delete', '--tenant', 'cli-tenant', '--alias', 'cli-role');
      await assert.rejects(cli('delete', '--tenant', 'cli-tenant', '--alias', 'cli-role'), (error: { code?: number; stderr?: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr ?? '', /Role alias "cli-role" was not found/);
        return true;
      });
    });
  });
});

/** Fetches credentials for `device` and presigns a WebSocket URL with them, as SDK v1 does. */
async function presignedUrl(gh: TestGatehouse, device: OnboardedDevice, options: { scheme?: 'ws' | 'wss'; port?: number } = {}): Promise<string> {
  const credentials = credentialsOf(await fetchCredentials(gh, device, ALIAS));
  return presignWebSocketUrl({
    host: `127.0.0.1:${options.port ?? gh.ports.wss}`, region: 'us-east-1', scheme: options.scheme ?? 'wss',
    accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken, now: new Date(),
  });
}

/** An MQTT 5 client of `url` that has its CONNACK; it trusts the test CA and never reconnects. */
async function connect(gh: TestGatehouse, url: string, options: IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ca: gh.caPem, protocolVersion: 5, ...options });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
  client.on('error', () => {});
  return client;
}

/** Connects with MQTT 5 and returns the refusing CONNACK's reason. */
async function refused(gh: TestGatehouse, url: string): Promise<{ reasonCode: number; reasonString?: string }> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ca: gh.caPem, protocolVersion: 5, clientId: `refused-${Math.random().toString(36).slice(2)}` });
  try {
    const connack = await new Promise<IConnackPacket>((resolve, reject) => {
      client.on('packetreceive', (packet: Packet) => {
        if (packet.cmd === 'connack') resolve(packet);
      });
      client.once('connect', () => reject(new Error('connected, but should have been refused')));
      client.once('close', () => setTimeout(() => reject(new Error('closed without a CONNACK')), 100));
      client.on('error', () => {});
    });
    return { reasonCode: connack.reasonCode ?? -1, ...(connack.properties?.reasonString === undefined ? {} : { reasonString: connack.properties.reasonString }) };
  } finally {
    client.end(true);
  }
}

/** Resolves with the ms until `client` closed; rejects after 2 s. */
function closedWithin(client: MqttClient): Promise<number> {
  const start = Date.now();
  return waitFor(() => !client.connected, 'the SigV4 connection to close after revocation', 2000).then(() => Date.now() - start);
}

async function adminItems(gh: TestGatehouse, path: string): Promise<Array<Record<string, unknown>>> {
  const answer = await requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
  return (answer.body['items'] as Array<Record<string, unknown>> | undefined) ?? [];
}
