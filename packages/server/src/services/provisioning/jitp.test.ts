import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { GatehouseError, silentLogger } from '../../core/index.js';
import { MemoryIdentityStore, type CaRecord } from '../../store/index.js';
import { createJitpProvisioner } from './jitp.js';

/** AWS's JITP example template, with the subject's Country as a thing group. */
const jitpTemplate = {
  Parameters: {
    'AWS::IoT::Certificate::CommonName': { Type: 'String' },
    'AWS::IoT::Certificate::SerialNumber': { Type: 'String' },
    'AWS::IoT::Certificate::Country': { Type: 'String' },
    'AWS::IoT::Certificate::Id': { Type: 'String' },
  },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: {
        ThingName: { Ref: 'AWS::IoT::Certificate::CommonName' },
        AttributePayload: { version: 'v1', serialNumber: { Ref: 'AWS::IoT::Certificate::SerialNumber' } },
        ThingTypeName: 'lightBulb-versionA',
        ThingGroups: ['v1-lightbulbs', { Ref: 'AWS::IoT::Certificate::Country' }],
      },
      OverrideSettings: { AttributePayload: 'MERGE', ThingTypeName: 'REPLACE', ThingGroups: 'DO_NOTHING' },
    },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
      OverrideSettings: { Status: 'DO_NOTHING' },
    },
    policy: {
      Type: 'AWS::IoT::Policy',
      Properties: { PolicyDocument: '{ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action":["iot:Publish"], "Resource": ["arn:aws:iot:us-east-1:123456789012:topic/foo/bar"] }] }' },
    },
  },
};

/** Customer CAs and device certificates made with the openssl CLI, as a manufacturer would. */
class CustomerPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'gatehouse-jitp-'));

  ca(name: string, subject: string): { pem: string; record: (tenant: string, extra?: Partial<CaRecord>) => CaRecord } {
    this.#openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', this.#path(`${name}.key`), '-out', this.#path(`${name}.pem`),
      '-subj', subject, '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const pem = readFileSync(this.#path(`${name}.pem`), 'utf8');
    const cert = new X509Certificate(pem);
    return {
      pem,
      record: (tenant, extra = {}) => ({
        id: createHash('sha256').update(cert.raw).digest('hex'),
        tenant,
        certificatePem: pem,
        kind: 'customer',
        status: 'ACTIVE',
        autoRegistration: true,
        provisioningTemplate: 'jitp',
        createdAt: Date.now(),
        subject: cert.subject.replace(/\n/g, ', '),
        notAfter: new Date(cert.validTo).getTime(),
        ...extra,
      }),
    };
  }

  /** A device certificate signed by CA `ca`; answers its DER and id. */
  device(name: string, ca: string, subject: string): { der: Buffer; id: string } {
    this.#openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', this.#path(`${name}.key`), '-out', this.#path(`${name}.csr`), '-subj', subject]);
    this.#openssl(['x509', '-req', '-in', this.#path(`${name}.csr`), '-CA', this.#path(`${ca}.pem`), '-CAkey', this.#path(`${ca}.key`), '-CAcreateserial', '-days', '2', '-out', this.#path(`${name}.pem`)]);
    const der = new X509Certificate(readFileSync(this.#path(`${name}.pem`))).raw;
    return { der, id: createHash('sha256').update(der).digest('hex') };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  #path(name: string): string {
    return join(this.dir, name);
  }

  #openssl(args: readonly string[]): void {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

describe('just-in-time provisioning', () => {
  const pki = new CustomerPki();
  const caSubject = '/C=US/O=Bulb Works/CN=Bulb Works Device CA';
  let ca: ReturnType<CustomerPki['ca']>;
  let impostor: ReturnType<CustomerPki['ca']>;
  let identity: MemoryIdentityStore;
  const at = Date.now();

  before(() => {
    ca = pki.ca('ca', caSubject);
    impostor = pki.ca('impostor', caSubject);
  });
  after(() => pki.remove());
  beforeEach(async () => {
    identity = new MemoryIdentityStore();
    await identity.open();
    await identity.putTemplate({ tenant: 'acme', name: 'jitp', body: jitpTemplate, enabled: true, createdAt: at, updatedAt: at });
    await identity.putCa(ca.record('acme'));
  });

  const provisioner = (now = () => at) => createJitpProvisioner({ identity, logger: silentLogger(), now });

  it('registers the certificate, creates the thing from the subject and attaches the template policy', async () => {
    const device = pki.device('bulb-1', 'ca', '/C=SE/O=Bulb Works/CN=bulb-1/serialNumber=SN-0001');
    const record = await provisioner()(device.der, device.id);
    assert.equal(record?.status, 'ACTIVE');
    assert.equal(record?.issuedBy, 'jitp');
    assert.equal(record?.tenant, 'acme');
    assert.equal(record?.thing, 'bulb-1');
    assert.equal(record?.caId, ca.record('acme').id);
    assert.equal(record?.subject, 'C=SE, O=Bulb Works, CN=bulb-1, serialNumber=SN-0001');
    assert.deepEqual(await identity.getCertificate(device.id), record);
    const thing = await identity.getThing('acme', 'bulb-1');
    assert.deepEqual(thing?.attributes, { version: 'v1', serialNumber: 'SN-0001' });
    assert.deepEqual(thing?.groups, ['SE', 'v1-lightbulbs']);
    assert.equal(thing?.thingType, 'lightBulb-versionA');
    const attached = await identity.listAttachedPolicies('acme', { kind: 'certificate', id: device.id });
    assert.equal(attached.length, 1);
    assert.match((await identity.getPolicy('acme', attached[0]!))?.document ?? '', /iot:Publish/);
  });

  it('fails when the subject lacks a field the template declares, registering nothing', async () => {
    const device = pki.device('no-country', 'ca', '/O=Bulb Works/CN=bulb-2/serialNumber=SN-0002');
    assert.equal(await provisioner()(device.der, device.id), undefined);
    assert.equal(await identity.getCertificate(device.id), undefined);
    assert.equal(await identity.getThing('acme', 'bulb-2'), undefined);
  });

  it('provisions nothing for a CA without auto-registration, without a template, or INACTIVE', async () => {
    const device = pki.device('bulb-3', 'ca', '/C=SE/CN=bulb-3/serialNumber=3');
    for (const extra of [{ autoRegistration: false }, { status: 'INACTIVE' as const }, { provisioningTemplate: 'missing' }]) {
      await identity.putCa(ca.record('acme', extra));
      assert.equal(await provisioner()(device.der, device.id), undefined, JSON.stringify(extra));
    }
    const { provisioningTemplate: _template, ...withoutTemplate } = ca.record('acme');
    await identity.putCa(withoutTemplate);
    assert.equal(await provisioner()(device.der, device.id), undefined);
    assert.equal(await identity.getCertificate(device.id), undefined);
  });

  it('provisions nothing when the template is disabled', async () => {
    await identity.putTemplate({ tenant: 'acme', name: 'jitp', body: jitpTemplate, enabled: false, createdAt: at, updatedAt: at });
    const device = pki.device('bulb-4', 'ca', '/C=SE/CN=bulb-4/serialNumber=4');
    assert.equal(await provisioner()(device.der, device.id), undefined);
  });

  it('refuses a certificate from another CA with the same subject (signature checked)', async () => {
    const device = pki.device('forged', 'impostor', '/C=SE/CN=bulb-5/serialNumber=5');
    assert.equal(await provisioner()(device.der, device.id), undefined);
    assert.equal(await identity.getCertificate(device.id), undefined);
  });

  it('refuses a certificate outside its validity dates', async () => {
    const device = pki.device('bulb-6', 'ca', '/C=SE/CN=bulb-6/serialNumber=6');
    assert.equal(await provisioner(() => at + 3 * 86_400_000)(device.der, device.id), undefined);
    assert.equal(await provisioner(() => at - 86_400_000)(device.der, device.id), undefined);
    assert.equal(await identity.getCertificate(device.id), undefined);
  });

  it('refuses a CA registered with auto-registration by two tenants', async () => {
    await identity.putTemplate({ tenant: 'globex', name: 'jitp', body: jitpTemplate, enabled: true, createdAt: at, updatedAt: at });
    await identity.putCa(ca.record('globex'));
    const device = pki.device('bulb-7', 'ca', '/C=SE/CN=bulb-7/serialNumber=7');
    assert.equal(await provisioner()(device.der, device.id), undefined);
  });

  it('answers undefined for bytes that are no certificate, and throws when the store is down', async () => {
    assert.equal(await provisioner()(Buffer.from('not a certificate'), 'f'.repeat(64)), undefined);
    const device = pki.device('bulb-8', 'ca', '/C=SE/CN=bulb-8/serialNumber=8');
    await identity.close();
    await assert.rejects(provisioner()(device.der, device.id), (error: unknown) => error instanceof GatehouseError && error.code === 'STORE_UNAVAILABLE');
  });
});
