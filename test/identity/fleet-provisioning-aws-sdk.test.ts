// The unmodified aws-iot-device-sdk-v2 runs fleet provisioning by claim against Gatehouse as its own
// service tests do against AWS: connect with the claim certificate from files, IotIdentityClient's
// CreateKeysAndCertificate (MQTT 3.1.1) or CreateCertificateFromCsr (MQTT 5), RegisterThing, then
// connect again with the new certificate.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { iot, iotidentity, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import { startGatehouse, type TestGatehouse } from '../helpers/index.ts';
import { deviceTemplate, putTemplate } from './fleet-kit.ts';
import { makeEcAgentKey, onboardDevice, type OnboardedDevice } from './onboarding-kit.ts';

type ErrorResponse = iotidentity.model.ErrorResponse;

/** Resolves with the first answer of an accepted/rejected pair; a rejection fails with AWS's error body. */
function firstAnswer<T>(): { accepted: (error?: iotidentity.IotIdentityError, response?: T) => void; rejected: (error?: iotidentity.IotIdentityError, response?: ErrorResponse) => void; answer: Promise<T> } {
  let accepted!: (error?: iotidentity.IotIdentityError, response?: T) => void;
  let rejected!: (error?: iotidentity.IotIdentityError, response?: ErrorResponse) => void;
  const answer = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('No answer within 10 s')), 10_000);
    accepted = (error, response) => {
      clearTimeout(timer);
      if (error !== undefined || response === undefined) reject(error ?? new Error('Empty accepted answer'));
      else resolve(response);
    };
    rejected = (error, response) => {
      clearTimeout(timer);
      reject(error ?? new Error(`Rejected: ${JSON.stringify(response)}`));
    };
  });
  return { accepted, rejected, answer };
}

async function registerThing(identity: iotidentity.IotIdentityClient, token: string, serial: string): Promise<iotidentity.model.RegisterThingResponse> {
  const register = firstAnswer<iotidentity.model.RegisterThingResponse>();
  await identity.subscribeToRegisterThingAccepted({ templateName: 'factory' }, mqtt.QoS.AtLeastOnce, register.accepted);
  await identity.subscribeToRegisterThingRejected({ templateName: 'factory' }, mqtt.QoS.AtLeastOnce, register.rejected);
  await identity.publishRegisterThing({ templateName: 'factory', certificateOwnershipToken: token, parameters: { SerialNumber: serial } }, mqtt.QoS.AtLeastOnce);
  return register.answer;
}

describe('aws-iot-device-sdk-v2 fleet provisioning by claim', () => {
  let gh: TestGatehouse;
  let claim: OnboardedDevice;
  let dir: string;
  let caPath: string;

  before(async () => {
    gh = await startGatehouse({ store: 'sqlite', config: { listeners: { mqtts: { allowAnonymous: false } } } });
    claim = await onboardDevice({ adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem }, 'sdk-claim');
    await putTemplate(gh, 'default', 'factory', { templateBody: deviceTemplate });
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-fleet-sdk-'));
    caPath = join(dir, 'ca.pem');
    await writeFile(caPath, gh.caPem);
    await writeFile(join(dir, 'claim.pem'), claim.certificatePem);
    await writeFile(join(dir, 'claim.key'), claim.keyPem, { mode: 0o600 });
  });
  after(async () => {
    await gh?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const connect311 = async (cert: string, key: string, clientId: string): Promise<mqtt.MqttClientConnection> => {
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(join(dir, cert), join(dir, key))
      .with_certificate_authority_from_path(undefined, caPath)
      .with_endpoint('localhost')
      .with_port(gh.ports.mqtts)
      .with_client_id(clientId)
      .with_clean_session(true)
      .build();
    const connection = new mqtt.MqttClient().new_connection(config);
    await connection.connect();
    return connection;
  };

  test('MQTT 3.1.1: CreateKeysAndCertificate and RegisterThing, then the new certificate connects', async () => {
    const connection = await connect311('claim.pem', 'claim.key', 'sdk-claim-311');
    let created: iotidentity.model.CreateKeysAndCertificateResponse;
    let registered: iotidentity.model.RegisterThingResponse;
    try {
      const identity = new iotidentity.IotIdentityClient(connection);
      const keys = firstAnswer<iotidentity.model.CreateKeysAndCertificateResponse>();
      await identity.subscribeToCreateKeysAndCertificateAccepted({}, mqtt.QoS.AtLeastOnce, keys.accepted);
      await identity.subscribeToCreateKeysAndCertificateRejected({}, mqtt.QoS.AtLeastOnce, keys.rejected);
      // As the SDK's own service test sends it.
      await identity.publishCreateKeysAndCertificate({ toJSON() { return {}; } } as iotidentity.model.CreateKeysAndCertificateRequest, mqtt.QoS.AtLeastOnce);
      created = await keys.answer;
      assert.match(created.certificateId ?? '', /^[0-9a-f]{64}$/);
      registered = await registerThing(identity, created.certificateOwnershipToken ?? '', 'sdk-1');
    } finally {
      await connection.disconnect();
    }
    assert.equal(registered.thingName, 'device-sdk-1');
    assert.deepEqual(registered.deviceConfiguration, { FallbackUrl: 'https://example.com/fallback', Serial: 'sdk-1' });

    await writeFile(join(dir, 'device.pem'), created.certificatePem ?? '');
    await writeFile(join(dir, 'device.key'), created.privateKey ?? '', { mode: 0o600 });
    const device = await connect311('device.pem', 'device.key', 'device-sdk-1');
    try {
      let received: (text: string) => void = () => undefined;
      const message = new Promise<string>((resolve) => (received = resolve));
      await device.subscribe('fleet/echo', mqtt.QoS.AtLeastOnce, (topic, payload) => received(`${topic} ${Buffer.from(payload).toString()}`));
      await device.publish('fleet/echo', 'provisioned', mqtt.QoS.AtLeastOnce);
      assert.equal(await message, 'fleet/echo provisioned');
    } finally {
      await device.disconnect();
    }
  });

  test('MQTT 5: CreateCertificateFromCsr with the device\'s own key, RegisterThing, then it connects', async () => {
    const agent = await makeEcAgentKey();
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath('localhost', join(dir, 'claim.pem'), join(dir, 'claim.key'))
      .withCertificateAuthorityFromPath(undefined, caPath)
      .withPort(gh.ports.mqtts)
      .withConnectProperties({ clientId: 'sdk-claim-5', keepAliveIntervalSeconds: 60 });
    const client = new mqtt5.Mqtt5Client(builder.build());
    let created: iotidentity.model.CreateCertificateFromCsrResponse;
    let registered: iotidentity.model.RegisterThingResponse;
    try {
      const connected = once(client, 'connectionSuccess');
      client.start();
      await connected;
      const identity = iotidentity.IotIdentityClient.newFromMqtt5Client(client);
      const csr = firstAnswer<iotidentity.model.CreateCertificateFromCsrResponse>();
      await identity.subscribeToCreateCertificateFromCsrAccepted({}, mqtt.QoS.AtLeastOnce, csr.accepted);
      await identity.subscribeToCreateCertificateFromCsrRejected({}, mqtt.QoS.AtLeastOnce, csr.rejected);
      await identity.publishCreateCertificateFromCsr({ certificateSigningRequest: agent.csrPem }, mqtt.QoS.AtLeastOnce);
      created = await csr.answer;
      registered = await registerThing(identity, created.certificateOwnershipToken ?? '', 'sdk-2');
    } finally {
      const stopped = once(client, 'stopped');
      client.stop();
      await stopped;
      client.close();
    }
    assert.equal(registered.thingName, 'device-sdk-2');
    assert.equal((await gh.running.identity.getCertificate(created.certificateId ?? ''))?.status, 'ACTIVE');

    await writeFile(join(dir, 'device-5.pem'), created.certificatePem ?? '');
    await writeFile(join(dir, 'device-5.key'), agent.keyPem, { mode: 0o600 });
    const device = await connect311('device-5.pem', 'device-5.key', 'device-sdk-2');
    await device.disconnect();
  });
});
