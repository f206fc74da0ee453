// Just-in-time provisioning over real TLS: a customer registers its CA with proof of possession,
// auto-registration and a template; the first connection of a certificate that CA signed creates the
// thing from the subject, registers the certificate and attaches the template's policy, in one go.
// A certificate that lacks a subject field the template declares is refused and leaves nothing.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { makeRootCa } from '../../packages/server/src/pki/test-fixtures.ts';
import { ecP256, exportPrivateKeyPem, generateKeyPair, randomSerialNumber, x509 } from '../../packages/server/src/pki/x509-crypto.ts';
import type { CertificateAuthority } from '../../packages/server/src/pki/index.ts';
import { connectClient, startGatehouse, type TestGatehouse } from '../helpers/index.ts';
import { requestJson, type JsonAnswer } from './onboarding-kit.ts';

type Ca = CertificateAuthority & { privateKeyPem: string };

const template = {
  Parameters: {
    'AWS::IoT::Certificate::CommonName': { Type: 'String' },
    'AWS::IoT::Certificate::Country': { Type: 'String' },
    'AWS::IoT::Certificate::Id': { Type: 'String' },
  },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: {
        ThingName: { Ref: 'AWS::IoT::Certificate::CommonName' },
        AttributePayload: { country: { Ref: 'AWS::IoT::Certificate::Country' } },
        ThingGroups: ['jitp-agents'],
      },
    },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
    policy: {
      Type: 'AWS::IoT::Policy',
      Properties: {
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }),
      },
    },
  },
};

describe('just-in-time provisioning', () => {
  let gh: TestGatehouse;
  let customerCa: Ca;
  let plainCa: Ca;
  const admin = (path: string, options: { method?: string; body?: unknown } = {}): Promise<JsonAnswer> =>
    requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` }, ...options });

  before(async () => {
    gh = await startGatehouse({ store: 'sqlite', config: { listeners: { mqtts: { allowAnonymous: false } } } });
    const put = await admin('/v1/tenants/default/provisioning-templates/jitp', { method: 'PUT', body: { templateBody: template } });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    customerCa = await makeRootCa('Acme devices CA');
    plainCa = await makeRootCa('Acme lab CA');
    await registerCa(customerCa, { autoRegistration: true, provisioningTemplate: 'jitp' });
    await registerCa(plainCa, { autoRegistration: false });
  });
  after(() => gh.stop());

  async function registerCa(ca: Ca, options: { autoRegistration: boolean; provisioningTemplate?: string }): Promise<void> {
    const code = await admin('/v1/cas/registration-code');
    assert.equal(code.status, 200, JSON.stringify(code.body));
    const verification = await deviceCertificate(ca, `CN=${String(code.body['registrationCode'])}`);
    const registered = await admin('/v1/cas', { body: { caCertificatePem: ca.certificatePem, verificationCertificatePem: verification.certPem, ...options } });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
  }

  test('the first connection provisions the thing, the certificate and the policy; the second is an ordinary one', async () => {
    const device = await deviceCertificate(customerCa, 'CN=jitp-agent-1, O=Acme, C=FR');
    const id = fingerprint(device.certPem);
    assert.equal((await admin(`/v1/certificates/${id}`)).status, 404, 'nobody registered it');

    const first = await connect(device, 'jitp-agent-1');
    await first.endAsync();

    const certificate = await admin(`/v1/certificates/${id}`);
    assert.equal(certificate.status, 200, JSON.stringify(certificate.body));
    assert.equal(certificate.body['status'], 'ACTIVE');
    assert.equal(certificate.body['issuedBy'], 'jitp');
    assert.equal(certificate.body['thing'], 'jitp-agent-1');
    const thing = await gh.running.identity.getThing('default', 'jitp-agent-1');
    assert.deepEqual({ attributes: thing?.attributes, groups: thing?.groups }, { attributes: { country: 'FR' }, groups: ['jitp-agents'] });
    const policies = await gh.running.identity.listAttachedPolicies('default', { kind: 'certificate', id });
    assert.equal(policies.length, 1, 'the template policy is attached to the certificate');

    const again = await connect(device, 'jitp-agent-1');
    const clients = await admin('/v1/clients');
    const principal = (clients.body['items'] as Array<Record<string, unknown>>).find((client) => client['clientId'] === 'jitp-agent-1')?.['principal'];
    assert.deepEqual(principal, { kind: 'certificate', tenant: 'default', thingName: 'jitp-agent-1', certificateId: id });
    await again.endAsync();
  });

  test('a certificate without a subject field the template declares is refused and nothing is made', async () => {
    const device = await deviceCertificate(customerCa, 'CN=jitp-agent-2, O=Acme');
    await assert.rejects(connect(device, 'jitp-agent-2'), /Not authorized/);
    assert.equal((await admin(`/v1/certificates/${fingerprint(device.certPem)}`)).status, 404);
    assert.equal(await gh.running.identity.getThing('default', 'jitp-agent-2'), undefined);
  });

  test('a registered CA without auto-registration provisions nothing', async () => {
    const device = await deviceCertificate(plainCa, 'CN=jitp-agent-3, C=FR');
    await assert.rejects(connect(device, 'jitp-agent-3'), /Not authorized/);
    assert.equal((await admin(`/v1/certificates/${fingerprint(device.certPem)}`)).status, 404);
    assert.equal(await gh.running.identity.getThing('default', 'jitp-agent-3'), undefined);
  });

  async function connect(device: { certPem: string; keyPem: string }, clientId: string): Promise<MqttClient> {
    const { client } = await connectClient(gh.urls.mqtts.replace('127.0.0.1', 'localhost'), { ca: gh.caPem, cert: device.certPem, key: device.keyPem, clientId, protocolVersion: 5, reconnectPeriod: 0 });
    return client;
  }
});

/** A client certificate with the given subject, signed by `ca`. */
async function deviceCertificate(ca: Ca, subject: string): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject,
    issuer: ca.certificate.subjectName,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: ecP256,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();
}
