/** Records the identity contract suites build: CAs, certificates, templates, things, policies and role aliases. */
import { createHash } from 'node:crypto';
import type { CaRecord, CertificateRecord, PolicyRecord, ProvisioningTemplateRecord, RoleAliasRecord, ThingRecord } from '../identity-ports.js';

export const T0 = 1_750_000_000_000;

/** A certificate id as the registry makes them: SHA-256 hex. */
export function fingerprint(seed: string | number): string {
  return createHash('sha256').update(String(seed)).digest('hex');
}

export function ca(tenant: string, seed: string, extra: Partial<CaRecord> = {}): CaRecord {
  return {
    id: fingerprint(`ca-${seed}`),
    tenant,
    certificatePem: `-----BEGIN CERTIFICATE-----\n${seed}\n-----END CERTIFICATE-----\n`,
    kind: 'customer',
    status: 'ACTIVE',
    autoRegistration: false,
    createdAt: T0,
    subject: `CN=${seed} CA,O=Ünïcode Org`,
    notAfter: T0 + 10 * 365 * 86_400_000,
    ...extra,
  };
}

export function certificate(tenant: string, seed: string | number, extra: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    id: fingerprint(`cert-${seed}`),
    tenant,
    thing: `agent-${seed}`,
    status: 'ACTIVE',
    certificatePem: `-----BEGIN CERTIFICATE-----\n${seed}\n-----END CERTIFICATE-----\n`,
    caId: fingerprint('ca-root'),
    serialNumber: `0a${String(seed).padStart(4, '0')}`,
    subject: `CN=agent-${seed}`,
    notBefore: T0,
    notAfter: T0 + 365 * 86_400_000,
    issuedBy: 'gatehouse',
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

export function template(tenant: string, name: string, extra: Partial<ProvisioningTemplateRecord> = {}): ProvisioningTemplateRecord {
  return {
    tenant,
    name,
    body: {
      Parameters: { ThingName: { Type: 'String' }, 'AWS::IoT::Certificate::Id': { Type: 'String' } },
      Resources: {
        thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'ThingName' }, AttributePayload: { site: 'Zürich 🏭', floors: [1, 2.5, null, true] } } },
        certificate: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' } },
      },
    },
    enabled: true,
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

export function thing(tenant: string, name: string, extra: Partial<ThingRecord> = {}): ThingRecord {
  return {
    tenant,
    name,
    thingType: 'sensor',
    attributes: { site: 'Zürich 🏭', 'serial-no': '0042' },
    groups: ['floor-1', 'lab'],
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

export function policy(tenant: string, name: string, extra: Partial<PolicyRecord> = {}): PolicyRecord {
  const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:*:*:topic/${name}/*` }] };
  return { tenant, name, document: JSON.stringify(document, null, 2), version: 1, createdAt: T0, updatedAt: T0, ...extra };
}

export function roleAlias(tenant: string, alias: string, extra: Partial<RoleAliasRecord> = {}): RoleAliasRecord {
  return { tenant, alias, roleArn: `arn:aws:iam::123456789012:role/${alias}-role`, credentialDurationSeconds: 3600, createdAt: T0, updatedAt: T0, ...extra };
}
