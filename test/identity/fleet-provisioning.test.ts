// Fleet provisioning by claim over MQTT, black-box: a claim certificate onboarded through the real
// flow asks over mqtts for a certificate (Gatehouse's key pair, or its own CSR), registers a thing
// from a template, and the device then connects with its new certificate. Refusals (bad payloads,
// CSRs and tokens, another tenant's token, disabled or missing templates, a denying hook) are
// answered on `/rejected` to the asking connection only, and leave the registry as it was.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { connectClient, sleep, startGatehouse, type TestGatehouse } from '../helpers/index.ts';
import { ask, deviceTemplate, putTemplate, type Answer } from './fleet-kit.ts';
import { makeEcAgentKey, makeRsaCsr, onboardDevice, tamperCsrSignature, type OnboardedDevice } from './onboarding-kit.ts';

const CREATE = '$aws/certificates/create/json';
const CREATE_FROM_CSR = '$aws/certificates/create-from-csr/json';
const provision = (template: string): string => `$aws/provisioning-templates/${template}/provision/json`;

function assertRejected(answer: Answer, statusCode: number, errorCode: string, message: RegExp): void {
  assert.equal(answer.outcome, 'rejected', JSON.stringify(answer.body));
  assert.equal(answer.body['statusCode'], statusCode);
  assert.equal(answer.body['errorCode'], errorCode);
  assert.match(String(answer.body['errorMessage']), message);
}

describe('fleet provisioning by claim', () => {
  let gh: TestGatehouse;
  let claim: OnboardedDevice;
  let acmeClaim: OnboardedDevice;
  let claimClient: MqttClient;
  const hookRequests: Array<Record<string, unknown>> = [];
  let hookAnswer: Record<string, unknown> = { allowProvisioning: false };
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      hookRequests.push(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
      res.setHeader('content-type', 'application/json').end(JSON.stringify(hookAnswer));
    });
  });

  const claimConnection = (device: OnboardedDevice, clientId: string): Promise<MqttClient> =>
    connectClient(gh.urls.mqtts, { ca: gh.caPem, cert: device.certificatePem, key: device.keyPem, clientId }).then(({ client }) => client);

  before(async () => {
    hook.listen(0, '127.0.0.1');
    await once(hook, 'listening');
    gh = await startGatehouse({ store: 'sqlite', config: { listeners: { mqtts: { allowAnonymous: false } } } });
    const server = { adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem };
    claim = await onboardDevice(server, 'claim');
    acmeClaim = await onboardDevice(server, 'acme-claim', { tenant: 'acme' });
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    await putTemplate(gh, 'default', 'factory', { templateBody: deviceTemplate });
    await putTemplate(gh, 'default', 'switched-off', { templateBody: deviceTemplate, enabled: false });
    await putTemplate(gh, 'default', 'hooked', { templateBody: deviceTemplate, preProvisioningHook: { url: hookUrl } });
    await putTemplate(gh, 'acme', 'factory', { templateBody: deviceTemplate });
    claimClient = await claimConnection(claim, 'claim-client');
  });
  after(async () => {
    await claimClient?.endAsync();
    await gh?.stop();
    hook.closeAllConnections();
    hook.close();
  });

  test('CreateKeysAndCertificate, RegisterThing, then the device connects with its new certificate', async () => {
    const created = await ask(claimClient, CREATE, {});
    assert.equal(created.outcome, 'accepted', JSON.stringify(created.body));
    const { certificateId, certificatePem, privateKey, certificateOwnershipToken } = created.body as Record<string, string>;
    assert.match(certificateId!, /^[0-9a-f]{64}$/);
    assert.match(certificatePem!, /BEGIN CERTIFICATE/);
    assert.match(privateKey!, /BEGIN PRIVATE KEY/);
    assert.ok(certificateOwnershipToken!.length > 20);
    const pending = await gh.running.identity.getCertificate(certificateId!);
    assert.equal(pending?.status, 'PENDING_ACTIVATION');
    assert.equal(pending?.tenant, 'default');
    assert.equal(pending?.issuedBy, 'fleet-provisioning');
    await assert.rejects(connectClient(gh.urls.mqtts, { ca: gh.caPem, cert: certificatePem!, key: privateKey!, clientId: 'too-early' }), 'a PENDING_ACTIVATION certificate cannot connect');

    const registered = await ask(claimClient, provision('factory'), { templateName: 'factory', certificateOwnershipToken, parameters: { SerialNumber: '001' } });
    assert.deepEqual(registered, { outcome: 'accepted', body: { deviceConfiguration: { FallbackUrl: 'https://example.com/fallback', Serial: '001' }, thingName: 'device-001' } });
    const active = await gh.running.identity.getCertificate(certificateId!);
    assert.equal(active?.status, 'ACTIVE');
    assert.equal(active?.thing, 'device-001');
    assert.deepEqual((await gh.running.identity.getThing('default', 'device-001'))?.attributes, { serial: '001' });
    assert.equal((await gh.running.identity.listAttachedPolicies('default', { kind: 'certificate', id: certificateId! })).length, 1);
    // A device that lost the answer may ask again within the hour.
    const again = await ask(claimClient, provision('factory'), { certificateOwnershipToken, parameters: { SerialNumber: '001' } });
    assert.deepEqual(again, registered);

    const { client: device } = await connectClient(gh.urls.mqtts, { ca: gh.caPem, cert: certificatePem!, key: privateKey!, clientId: 'device-001' });
    try {
      const clients = await adminJson(gh, '/v1/clients');
      const entry = clients.find((client) => client['clientId'] === 'device-001');
      assert.deepEqual(entry?.['principal'], { kind: 'certificate', tenant: 'default', thingName: 'device-001', certificateId });
    } finally {
      await device.endAsync();
    }
  });

  test('CreateCertificateFromCsr signs the device\'s own CSR; the key never leaves the device', async () => {
    const agent = await makeEcAgentKey('CN=ignored');
    const created = await ask(claimClient, CREATE_FROM_CSR, { certificateSigningRequest: agent.csrPem });
    assert.equal(created.outcome, 'accepted', JSON.stringify(created.body));
    assert.deepEqual(Object.keys(created.body).sort(), ['certificateId', 'certificateOwnershipToken', 'certificatePem']);
    const registered = await ask(claimClient, provision('factory'), { certificateOwnershipToken: created.body['certificateOwnershipToken'], parameters: { SerialNumber: '002' } });
    assert.equal(registered.body['thingName'], 'device-002');
    const { client: device } = await connectClient(gh.urls.mqtts, { ca: gh.caPem, cert: String(created.body['certificatePem']), key: agent.keyPem, clientId: 'device-002' });
    await device.endAsync();
  });

  test('bad payloads and CSRs are rejected with 400 and register nothing', async () => {
    const before = (await gh.running.identity.listCertificates('default', { limit: 1000 })).items.length;
    assertRejected(await ask(claimClient, CREATE_FROM_CSR, Buffer.from('{not json')), 400, 'InvalidPayload', /not valid JSON/);
    assertRejected(await ask(claimClient, CREATE_FROM_CSR, {}), 400, 'InvalidPayload', /certificateSigningRequest/);
    assertRejected(await ask(claimClient, CREATE_FROM_CSR, { certificateSigningRequest: 'hello' }), 400, 'InvalidRequest', /no PEM CERTIFICATE REQUEST/);
    const agent = await makeEcAgentKey();
    assertRejected(await ask(claimClient, CREATE_FROM_CSR, { certificateSigningRequest: tamperCsrSignature(agent.csrPem) }), 400, 'InvalidRequest', /signature does not verify/);
    assertRejected(await ask(claimClient, CREATE_FROM_CSR, { certificateSigningRequest: await makeRsaCsr(1024) }), 400, 'InvalidRequest', /too weak/);
    assertRejected(await ask(claimClient, CREATE, Buffer.from('[]')), 400, 'InvalidPayload', /JSON object/);
    assertRejected(await ask(claimClient, provision('factory'), { certificateOwnershipToken: '' }), 400, 'InvalidCertificateOwnershipToken', /^Certificate ownership token cannot be empty\.$/);
    assertRejected(await ask(claimClient, provision('factory'), { certificateOwnershipToken: 'abc', parameters: { SerialNumber: 7 } }), 400, 'InvalidPayload', /must be text/);
    assert.equal((await gh.running.identity.listCertificates('default', { limit: 1000 })).items.length, before);
  });

  test('a forged token, or another tenant\'s, is refused and the certificate stays unclaimed', async () => {
    const acmeClient = await claimConnection(acmeClaim, 'acme-claim-client');
    try {
      const acmeCreated = await ask(acmeClient, CREATE, {});
      assert.equal(acmeCreated.outcome, 'accepted');
      const acmeToken = String(acmeCreated.body['certificateOwnershipToken']);
      assertRejected(await ask(claimClient, provision('factory'), { certificateOwnershipToken: acmeToken, parameters: { SerialNumber: '666' } }), 400, 'InvalidCertificateOwnershipToken', /not valid for this connection/);
      const [header, payload, signature] = acmeToken.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, tenant: 'default' })).toString('base64url')}.${signature}`;
      assertRejected(await ask(claimClient, provision('factory'), { certificateOwnershipToken: forged, parameters: { SerialNumber: '666' } }), 400, 'InvalidCertificateOwnershipToken', /not valid for this connection/);
      assert.equal((await gh.running.identity.getCertificate(String(acmeCreated.body['certificateId'])))?.status, 'PENDING_ACTIVATION');
      assert.equal(await gh.running.identity.getThing('default', 'device-666'), undefined);
      assert.equal(await gh.running.identity.getThing('acme', 'device-666'), undefined);

      // Its own tenant's connection may use it, and the thing lands in that tenant.
      const registered = await ask(acmeClient, provision('factory'), { certificateOwnershipToken: acmeToken, parameters: { SerialNumber: '666' } });
      assert.equal(registered.body['thingName'], 'device-666');
      assert.ok(await gh.running.identity.getThing('acme', 'device-666'));
      assert.equal(await gh.running.identity.getThing('default', 'device-666'), undefined);
    } finally {
      await acmeClient.endAsync();
    }
  });

  test('a disabled or missing template is rejected', async () => {
    const created = await ask(claimClient, CREATE, {});
    const token = created.body['certificateOwnershipToken'];
    assertRejected(await ask(claimClient, provision('switched-off'), { certificateOwnershipToken: token, parameters: { SerialNumber: '003' } }), 400, 'InvalidRequest', /template "switched-off": it is disabled/);
    assertRejected(await ask(claimClient, provision('nowhere'), { certificateOwnershipToken: token, parameters: { SerialNumber: '003' } }), 404, 'ResourceNotFound', /template "nowhere": there is no such template/);
    assertRejected(await ask(claimClient, provision('factory'), { certificateOwnershipToken: token, parameters: {} }), 400, 'ResourceRegistrationFailure', /SerialNumber/);
    assert.equal((await gh.running.identity.getCertificate(String(created.body['certificateId'])))?.status, 'PENDING_ACTIVATION');
    assert.equal(await gh.running.identity.getThing('default', 'device-003'), undefined);
  });

  test('the pre-provisioning hook sees AWS\'s input; its refusal provisions nothing, its overrides apply', async () => {
    const created = await ask(claimClient, CREATE, {});
    const certificateId = String(created.body['certificateId']);
    const token = created.body['certificateOwnershipToken'];
    hookRequests.length = 0;
    hookAnswer = { allowProvisioning: false };
    assertRejected(await ask(claimClient, provision('hooked'), { certificateOwnershipToken: token, parameters: { SerialNumber: '004' } }), 403, 'AccessDenied', /pre-provisioning hook did not allow it/);
    assert.deepEqual(hookRequests, [{
      claimCertificateId: claim.certificateId, certificateId, certificatePem: created.body['certificatePem'],
      templateArn: 'arn:gatehouse:iot::default:provisioningtemplate/hooked', clientId: 'claim-client', parameters: { SerialNumber: '004' },
    }]);
    assert.equal(await gh.running.identity.getThing('default', 'device-004'), undefined);
    assert.equal((await gh.running.identity.getCertificate(certificateId))?.status, 'PENDING_ACTIVATION');
    assert.deepEqual(await gh.running.identity.listAttachedPolicies('default', { kind: 'certificate', id: certificateId }), []);

    hookAnswer = { allowProvisioning: true, parameterOverrides: { SerialNumber: '005' } };
    const registered = await ask(claimClient, provision('hooked'), { certificateOwnershipToken: token, parameters: { SerialNumber: '004' } });
    assert.equal(registered.body['thingName'], 'device-005');
  });

  test('answers go to the asking connection only', async () => {
    const bystander = await claimConnection(claim, 'bystander');
    const seen: string[] = [];
    bystander.on('message', (topic) => seen.push(topic));
    try {
      await bystander.subscribeAsync([`${CREATE}/accepted`, `${CREATE}/rejected`, `${provision('factory')}/rejected`], { qos: 1 });
      assert.equal((await ask(claimClient, CREATE, {})).outcome, 'accepted');
      assert.equal((await ask(claimClient, provision('factory'), { certificateOwnershipToken: 'x' })).outcome, 'rejected');
      await sleep(300);
      assert.deepEqual(seen, []);
    } finally {
      await bystander.endAsync();
    }
  });

  test('a connection without a certificate is refused; a CBOR request is answered in CBOR', async () => {
    const { client: anonymous } = await connectClient(gh.urls.mqtt, { clientId: 'anonymous' });
    try {
      assertRejected(await ask(anonymous, CREATE, {}), 403, 'AccessDenied', /claim certificate/);
    } finally {
      await anonymous.endAsync();
    }
    await claimClient.subscribeAsync('$aws/certificates/create/cbor/rejected', { qos: 1 });
    const answer = new Promise<Buffer>((resolve) => claimClient.once('message', (_topic, payload) => resolve(payload)));
    await claimClient.publishAsync('$aws/certificates/create/cbor', Buffer.from([0xa0]), { qos: 1 });
    const payload = await answer;
    assert.equal(payload[0], 0xa3, 'a CBOR map of three');
    assert.match(payload.toString('latin1'), /InvalidPayload.*CBOR payloads are not supported/);
  });
});

async function adminJson(gh: TestGatehouse, path: string): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
  const body = (await response.json()) as { items?: Array<Record<string, unknown>> };
  return body.items ?? [];
}
