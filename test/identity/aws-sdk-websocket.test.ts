/**
 * The AWS IoT device SDKs, unmodified, over SigV4-signed WebSockets with temporary credentials from
 * Gatehouse's credentials endpoint: v1 (`protocol: 'wss'` with keys fetched by the test) and v2, whose
 * CRT fetches the credentials itself (x509 credentials provider) and signs the upgrade.
 *
 * The CRT's credentials provider dials port 443 only, so when running as root the WSS listener binds
 * 127.0.8.1:443 (an address of its own on the loopback /8, so nothing else on 443 is in the way) and
 * the server certificate names 127.0.8.1. Not root: the v2 test fails and says so (CI runs as root).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
// @ts-expect-error aws-iot-device-sdk (v1) ships no type declarations
import awsIot from 'aws-iot-device-sdk';
import { auth, io, iot, mqtt } from 'aws-iot-device-sdk-v2';
import { startGatehouse, type TestGatehouse } from '../helpers/index.ts';
import { credentialsOf, fetchCredentials, putRoleAlias } from './credentials-kit.ts';
import { onboardDevice, requestJson, type OnboardedDevice } from './onboarding-kit.ts';

/** The v1 SDK's device: an MQTT.js 4 client under the hood. */
interface V1Device {
  on(event: string, listener: (...args: unknown[]) => void): void;
  subscribe(topic: string, options: { qos: number }, callback: (error: Error | null) => void): void;
  publish(topic: string, payload: string, options: { qos: number }): void;
  end(force: boolean, callback: () => void): void;
}

const ALIAS = 'sdk-role';
/** Where the WSS listener goes when it may bind 443: the CRT's credentials provider knows no other port. */
const CRT_HOST = '127.0.8.1';
const isRoot = process.getuid?.() === 0;

describe('AWS IoT device SDKs over SigV4 WebSockets', () => {
  let gh: TestGatehouse;
  let device: OnboardedDevice;
  let host: string;

  before(async () => {
    host = isRoot ? CRT_HOST : '127.0.0.1';
    gh = await startGatehouse({
      config: {
        listeners: { wss: { allowAnonymous: false, ...(isRoot ? { host: CRT_HOST, port: 443 } : {}) } },
        tls: { hostnames: [CRT_HOST] },
      },
    });
    device = await onboardDevice({ adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://${host}:${gh.ports.wss}/v1/register`, ca: gh.caPem }, 'sdk-ws-agent');
    assert.equal((await putRoleAlias(gh, 'default', ALIAS)).status, 201);
  });
  after(() => gh.stop());

  test('aws-iot-device-sdk (v1) connects over wss with credentials from the credentials endpoint and gets its own message back', async () => {
    const credentials = credentialsOf(await fetchCredentials(gh, device, ALIAS, { host }));
    const v1 = awsIot.device({
      protocol: 'wss', host, port: gh.ports.wss, region: 'us-east-1', clientId: 'sdk-ws-v1',
      accessKeyId: credentials.accessKeyId, secretKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken,
      websocketOptions: { ca: gh.caPem }, keepalive: 30, autoResubscribe: false,
    }) as V1Device;
    try {
      await once(v1 as unknown as NodeJS.EventEmitter, 'connect');
      const entry = (await adminClients(gh)).find((client) => client['clientId'] === 'sdk-ws-v1');
      assert.deepEqual(entry?.['principal'], { kind: 'sigv4', tenant: 'default', thingName: 'sdk-ws-agent', certificateId: device.certificateId });
      const message = new Promise<string>((resolve) => v1.on('message', (topic, payload) => resolve(`${String(topic)} ${String(payload)}`)));
      await new Promise<void>((resolve, reject) => v1.subscribe('sdk/ws/v1', { qos: 1 }, (error) => (error ? reject(error) : resolve())));
      v1.publish('sdk/ws/v1', 'hello from v1 over sigv4', { qos: 1 });
      assert.equal(await message, 'sdk/ws/v1 hello from v1 over sigv4');
    } finally {
      await new Promise<void>((resolve) => v1.end(true, resolve));
    }
  });

  test('aws-iot-device-sdk-v2 (CRT) fetches x509 credentials itself, signs the WebSocket and gets its own message back', async () => {
    assert.ok(isRoot, `this test needs root to bind ${CRT_HOST}:443: the CRT's x509 credentials provider dials port 443 only (uid ${process.getuid?.()})`);
    assert.equal(gh.ports.wss, 443);
    const tlsOptions = io.TlsContextOptions.create_client_with_mtls(device.certificatePem, device.keyPem);
    tlsOptions.override_default_trust_store(gh.caPem);
    const provider = auth.AwsCredentialsProvider.newX509({ endpoint: CRT_HOST, thingName: device.thing, roleAlias: ALIAS, tlsContext: new io.ClientTlsContext(tlsOptions) });
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_with_websockets({ region: 'us-east-1', credentials_provider: provider })
      .with_certificate_authority(gh.caPem)
      .with_endpoint(CRT_HOST)
      .with_client_id('sdk-ws-v2')
      .with_clean_session(true)
      .build();
    const connection = new mqtt.MqttClient().new_connection(config);
    try {
      await connection.connect();
      const entry = (await adminClients(gh)).find((client) => client['clientId'] === 'sdk-ws-v2');
      assert.deepEqual(entry?.['principal'], { kind: 'sigv4', tenant: 'default', thingName: 'sdk-ws-agent', certificateId: device.certificateId });
      let received: (text: string) => void = () => undefined;
      const message = new Promise<string>((resolve) => (received = resolve));
      await connection.subscribe('sdk/ws/v2', mqtt.QoS.AtLeastOnce, (topic, payload) => received(`${topic} ${Buffer.from(payload).toString()}`));
      await connection.publish('sdk/ws/v2', 'hello from v2 over sigv4', mqtt.QoS.AtLeastOnce);
      assert.equal(await message, 'sdk/ws/v2 hello from v2 over sigv4');
    } finally {
      await connection.disconnect();
    }
  });
});

async function adminClients(gh: TestGatehouse): Promise<Array<Record<string, unknown>>> {
  const answer = await requestJson(`${gh.urls.admin}/v1/clients`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
  return (answer.body['items'] as Array<Record<string, unknown>> | undefined) ?? [];
}
