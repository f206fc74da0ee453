// The AWS IoT device SDKs for JavaScript, unmodified, connect over MQTT/TLS with a certificate that
// Gatehouse issued through the real onboarding flow, and exchange messages; a certificate Gatehouse
// does not know is refused.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
// @ts-expect-error aws-iot-device-sdk (v1) ships no type declarations
import awsIot from 'aws-iot-device-sdk';
import { iot, mqtt } from 'aws-iot-device-sdk-v2';
import { issueClientCertificate } from '../../packages/server/src/pki/index.ts';
import { startGatehouse, type TestGatehouse } from '../helpers/index.ts';
import { onboardDevice, type OnboardedDevice } from './onboarding-kit.ts';

/** The v1 SDK's device: an MQTT.js 4 client under the hood. */
interface V1Device {
  on(event: string, listener: (...args: unknown[]) => void): void;
  subscribe(topic: string, options: { qos: number }, callback: (error: Error | null) => void): void;
  publish(topic: string, payload: string, options: { qos: number }): void;
  end(force: boolean, callback: () => void): void;
}

describe('AWS IoT device SDKs over mutual TLS', () => {
  let gh: TestGatehouse;
  let device: OnboardedDevice;

  before(async () => {
    gh = await startGatehouse({ store: 'sqlite', config: { listeners: { mqtts: { allowAnonymous: false } } } });
    device = await onboardDevice({ adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem }, 'sdk-agent');
  });
  after(() => gh.stop());

  test('aws-iot-device-sdk (v1) connects with its Gatehouse certificate and gets its own message back', async () => {
    const v1 = awsIot.device({
      host: 'localhost', port: gh.ports.mqtts, protocol: 'mqtts', clientId: 'sdk-agent',
      privateKey: Buffer.from(device.keyPem), clientCert: Buffer.from(device.certificatePem), caCert: Buffer.from(gh.caPem),
      keepalive: 30,
    }) as V1Device;
    try {
      await once(v1 as unknown as NodeJS.EventEmitter, 'connect');
      const clients = await adminJson(gh, '/v1/clients');
      const entry = clients.find((client) => client['clientId'] === 'sdk-agent');
      assert.deepEqual(entry?.['principal'], { kind: 'certificate', tenant: 'default', thingName: 'sdk-agent', certificateId: device.certificateId }, 'the connection carries the certificate principal');
      const message = new Promise<string>((resolve) => v1.on('message', (topic, payload) => resolve(`${String(topic)} ${String(payload)}`)));
      await new Promise<void>((resolve, reject) => v1.subscribe('sdk/v1/echo', { qos: 1 }, (error) => (error ? reject(error) : resolve())));
      v1.publish('sdk/v1/echo', 'hello from v1', { qos: 1 });
      assert.equal(await message, 'sdk/v1/echo hello from v1');
    } finally {
      await new Promise<void>((resolve) => v1.end(true, resolve));
    }
  });

  test('aws-iot-device-sdk-v2 (CRT) connects with its Gatehouse certificate and gets its own message back', async () => {
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(device.certificatePem, device.keyPem)
      .with_certificate_authority(gh.caPem)
      .with_endpoint('localhost')
      .with_port(gh.ports.mqtts)
      .with_client_id('sdk-agent-v2')
      .with_clean_session(true)
      .build();
    const connection = new mqtt.MqttClient().new_connection(config);
    try {
      await connection.connect();
      let received: (text: string) => void = () => undefined;
      const message = new Promise<string>((resolve) => (received = resolve));
      await connection.subscribe('sdk/v2/echo', mqtt.QoS.AtLeastOnce, (topic, payload) => received(`${topic} ${Buffer.from(payload).toString()}`));
      await connection.publish('sdk/v2/echo', 'hello from v2', mqtt.QoS.AtLeastOnce);
      assert.equal(await message, 'sdk/v2/echo hello from v2');
    } finally {
      await connection.disconnect();
    }
  });

  test('aws-iot-device-sdk-v2 with a certificate Gatehouse never registered is refused', async () => {
    // Signed by the Gatehouse CA itself, but never registered: chaining to a CA is not enough.
    const stray = await issueClientCertificate({ caCertPem: gh.caPem, caKeyPem: gh.caKeyPem, commonName: 'stray', days: 1 });
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(stray.certPem, stray.keyPem)
      .with_certificate_authority(gh.caPem)
      .with_endpoint('localhost')
      .with_port(gh.ports.mqtts)
      .with_client_id('stray')
      .build();
    const connection = new mqtt.MqttClient().new_connection(config);
    // The CRT reports a refused CONNACK (return code 5) only as a failed connect.
    await assert.rejects(connection.connect());
    const clients = await adminJson(gh, '/v1/clients');
    assert.equal(clients.some((client) => client['clientId'] === 'stray'), false, 'the unregistered certificate did not get a session');
  });
});

async function adminJson(gh: TestGatehouse, path: string): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
  const body = (await response.json()) as { items?: Array<Record<string, unknown>> };
  return body.items ?? [];
}
