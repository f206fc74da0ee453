import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { GatehouseError } from '../../core/index.js';
import { MemoryIdentityStore, type CertificateRecord, type ThingRecord } from '../../store/index.js';
import { applyProvisioningPlan } from './apply-plan.js';
import type { ProvisioningPlan, ThingPlan } from './plan.js';

const tenant = 'acme';
const now = Date.UTC(2025, 0, 1);
const certificate: CertificateRecord = {
  id: 'c'.repeat(64),
  tenant,
  status: 'PENDING_ACTIVATION',
  certificatePem: '-----BEGIN CERTIFICATE-----\nnot parsed here\n-----END CERTIFICATE-----\n',
  caId: 'a'.repeat(64),
  serialNumber: '01',
  subject: 'CN=bulb-1',
  notBefore: now - 1000,
  notAfter: now + 86_400_000,
  issuedBy: 'jitp',
  createdAt: now,
  updatedAt: now,
};
const document = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}';

function thingPlan(overrides: Partial<ThingPlan['overrides']> = {}, extra: Partial<ThingPlan> = {}): ThingPlan {
  return {
    name: 'bulb-1',
    attributes: { version: 'v2', site: 'oslo' },
    thingType: 'bulb-b',
    groups: ['new-group'],
    overrides: { attributes: 'DO_NOTHING', thingType: 'DO_NOTHING', groups: 'DO_NOTHING', ...overrides },
    ...extra,
  };
}

function plan(parts: Partial<ProvisioningPlan> = {}): ProvisioningPlan {
  return {
    thing: thingPlan(),
    certificate: { status: 'ACTIVE', override: 'DO_NOTHING' },
    policies: [{ kind: 'inline', name: 'p-inline', document }],
    deviceConfiguration: {},
    ...parts,
  };
}

const existingThing: ThingRecord = {
  tenant, name: 'bulb-1', thingType: 'bulb-a', attributes: { version: 'v1', owner: 'ops' }, groups: ['old-group'], version: 3, createdAt: now - 5000, updatedAt: now - 5000,
};

async function rejects(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GatehouseError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('applyProvisioningPlan', () => {
  let identity: MemoryIdentityStore;
  beforeEach(async () => {
    identity = new MemoryIdentityStore();
    await identity.open();
  });
  const apply = (p: ProvisioningPlan, record: CertificateRecord = certificate) =>
    identity.transaction((tx) => applyProvisioningPlan(tx, p, { tenant, certificate: record, now }));

  it('creates the thing, registers the certificate with the plan status on it, and attaches policies', async () => {
    await identity.putPolicy({ tenant, name: 'named', document, version: 1, createdAt: now, updatedAt: now });
    const applied = await apply(plan({ policies: [{ kind: 'inline', name: 'p-inline', document }, { kind: 'existing', name: 'named' }] }));
    assert.equal(applied.certificate.status, 'ACTIVE');
    assert.equal(applied.certificate.thing, 'bulb-1');
    assert.deepEqual(applied.policies, ['p-inline', 'named']);
    const stored = await identity.getCertificate(certificate.id);
    assert.equal(stored?.status, 'ACTIVE');
    assert.equal(stored?.thing, 'bulb-1');
    const thing = await identity.getThing(tenant, 'bulb-1');
    assert.match(thing?.thingId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a new thing gets its AWS thingId');
    assert.deepEqual(thing, {
      tenant, name: 'bulb-1', thingId: thing?.thingId, thingType: 'bulb-b', attributes: { version: 'v2', site: 'oslo' }, groups: ['new-group'], version: 1, createdAt: now, updatedAt: now,
    });
    assert.equal((await identity.getPolicy(tenant, 'p-inline'))?.document, document);
    assert.deepEqual(await identity.listAttachedPolicies(tenant, { kind: 'certificate', id: certificate.id }), ['named', 'p-inline']);
  });

  it('is idempotent: applying the same plan again changes nothing', async () => {
    await apply(plan());
    const applied = await apply(plan(), { ...certificate, status: 'ACTIVE' });
    assert.equal(applied.thing?.version, 1);
    assert.deepEqual(await identity.listAttachedPolicies(tenant, { kind: 'certificate', id: certificate.id }), ['p-inline']);
  });

  it('keeps an existing thing as it is by default (DO_NOTHING)', async () => {
    await identity.putThing(existingThing);
    const applied = await apply(plan());
    assert.deepEqual(applied.thing, existingThing);
    assert.deepEqual(await identity.getThing(tenant, 'bulb-1'), existingThing);
  });

  it('merges attributes and groups and replaces the type per OverrideSettings', async () => {
    await identity.putThing(existingThing);
    await apply(plan({ thing: thingPlan({ attributes: 'MERGE', thingType: 'REPLACE', groups: 'MERGE' }) }));
    assert.deepEqual(await identity.getThing(tenant, 'bulb-1'), {
      ...existingThing, thingType: 'bulb-b', attributes: { version: 'v2', owner: 'ops', site: 'oslo' }, groups: ['new-group', 'old-group'], version: 4, updatedAt: now,
    });
  });

  it('replaces attributes and groups, and drops the type when REPLACE has none', async () => {
    await identity.putThing(existingThing);
    const { thingType: _type, ...untyped } = thingPlan({ attributes: 'REPLACE', thingType: 'REPLACE', groups: 'REPLACE' });
    await apply(plan({ thing: untyped }));
    const stored = await identity.getThing(tenant, 'bulb-1');
    assert.deepEqual(stored?.attributes, { version: 'v2', site: 'oslo' });
    assert.deepEqual(stored?.groups, ['new-group']);
    assert.equal(stored?.thingType, undefined);
    assert.equal(stored?.version, 4);
  });

  it('leaves nothing behind when a FAIL override meets an existing thing', async () => {
    await identity.putThing(existingThing);
    await rejects(apply(plan({ thing: thingPlan({ attributes: 'FAIL' }) })), 'CONFLICT', /Cannot provision thing "bulb-1": it exists and the template's AttributePayload override is FAIL/);
    assert.equal(await identity.getCertificate(certificate.id), undefined);
    assert.equal(await identity.getPolicy(tenant, 'p-inline'), undefined);
    assert.deepEqual(await identity.getThing(tenant, 'bulb-1'), existingThing);
  });

  it('leaves nothing behind when a named policy does not exist', async () => {
    await rejects(apply(plan({ policies: [{ kind: 'inline', name: 'p-inline', document }, { kind: 'existing', name: 'missing' }] })), 'PROVISIONING_FAILED', /policy "missing", and tenant "acme" has no policy of that name/);
    assert.equal(await identity.getCertificate(certificate.id), undefined);
    assert.equal(await identity.getThing(tenant, 'bulb-1'), undefined);
    assert.equal(await identity.getPolicy(tenant, 'p-inline'), undefined);
  });

  it('refuses an inline policy whose name is taken by another document', async () => {
    await identity.putPolicy({ tenant, name: 'p-inline', document: '{"Version":"2012-10-17","Statement":[]}', version: 1, createdAt: now, updatedAt: now });
    await rejects(apply(plan()), 'CONFLICT', /policy "p-inline" .* exists with another document/);
    assert.equal(await identity.getCertificate(certificate.id), undefined);
  });

  it('sets the status of a registered certificate per the Status override', async () => {
    await identity.putCertificate({ ...certificate, status: 'ACTIVE' });
    await apply(plan({ certificate: { status: 'INACTIVE', override: 'DO_NOTHING' } }));
    assert.equal((await identity.getCertificate(certificate.id))?.status, 'ACTIVE');
    await apply(plan({ certificate: { status: 'INACTIVE', override: 'REPLACE' } }));
    assert.equal((await identity.getCertificate(certificate.id))?.status, 'INACTIVE');
    await rejects(apply(plan({ certificate: { status: 'ACTIVE', override: 'FAIL' } })), 'CONFLICT', /already registered \(INACTIVE\) and the template's Status override is FAIL/);
  });

  it('activates a PENDING_ACTIVATION certificate whatever the override', async () => {
    await identity.putCertificate(certificate);
    const applied = await apply(plan({ thing: thingPlan(), certificate: { status: 'ACTIVE', override: 'FAIL' } }));
    assert.equal(applied.certificate.status, 'ACTIVE');
    assert.equal((await identity.getCertificate(certificate.id))?.thing, 'bulb-1');
  });

  it('refuses a revoked certificate and one the template does not name', async () => {
    await rejects(apply(plan({ certificate: { status: 'ACTIVE', override: 'DO_NOTHING', id: 'd'.repeat(64) } })), 'PROVISIONING_FAILED', /the template names certificate "d{64}"/);
    await identity.putCertificate({ ...certificate, status: 'REVOKED', revokedAt: now });
    await rejects(apply(plan()), 'CONFLICT', /it is revoked/);
    assert.equal(await identity.getThing(tenant, 'bulb-1'), undefined);
  });

  it('works without a thing: the certificate keeps no thing', async () => {
    const { thing: _thing, ...thingless } = plan();
    const applied = await apply(thingless);
    assert.equal(applied.thing, undefined);
    assert.equal((await identity.getCertificate(certificate.id))?.thing, undefined);
  });
});
