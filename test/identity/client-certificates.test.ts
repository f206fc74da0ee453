/**
 * Client certificates over real TLS: only registered, ACTIVE certificates of an ACTIVE CA get in, and
 * revoking or deactivating one (here, or in the store by another process) closes its live connections
 * within a second.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import type { IClientOptions, MqttClient } from 'mqtt';
import {
  createCertificateAuthenticator, deactivateCertificate, revokeCertificate, startCertificateRecheck, type CertificateRecheck,
} from '../../packages/server/src/auth/index.ts';
import { Broker } from '../../packages/server/src/broker/index.ts';
import { silentLogger } from '../../packages/server/src/core/index.ts';
import { certificateId, issueLeafCertificate, signDeviceCertificate, type CertificateAuthority } from '../../packages/server/src/pki/index.ts';
import { makeRootCa } from '../../packages/server/src/pki/test-fixtures.ts';
import { ecP256, exportPrivateKeyPem, generateKeyPair, x509 } from '../../packages/server/src/pki/x509-crypto.ts';
import { MemoryIdentityStore, MemoryStore, type CertificateStatus, type IdentityStore } from '../../packages/server/src/store/index.ts';
import { createSqliteIdentityStore } from '../../packages/server/src/store/sqlite/index.ts';
import { connectClient } from '../helpers/index.ts';

const TENANT = 'acme';

interface Pki {
  readonly ca: CertificateAuthority & { privateKeyPem: string };
  readonly strangerCa: CertificateAuthority & { privateKeyPem: string };
  readonly server: { certPem: string; keyPem: string };
}

interface Device {
  readonly id: string;
  readonly cert: string;
  readonly key: string;
}

interface Gatehouse {
  readonly url: string;
  readonly broker: Broker;
  readonly identity: IdentityStore;
  stop(): Promise<void>;
}

let pki: Pki;

before(async () => {
  const ca = await makeRootCa('Identity test CA');
  const strangerCa = await makeRootCa('Stranger CA');
  const server = await issueLeafCertificate({ caCertPem: ca.certificatePem, caKeyPem: ca.privateKeyPem, commonName: 'localhost', days: 2, usage: 'server', altNames: ['localhost', '127.0.0.1'] });
  pki = { ca, strangerCa, server };
});

async function registerCa(identity: IdentityStore, ca: CertificateAuthority): Promise<void> {
  const cert = new x509.X509Certificate(ca.certificatePem);
  await identity.putCa({
    id: certificateId(ca.certificatePem), tenant: TENANT, certificatePem: ca.certificatePem, kind: 'gatehouse', status: 'ACTIVE',
    autoRegistration: false, createdAt: Date.now(), subject: cert.subject, notAfter: cert.notAfter.getTime(),
  });
}

/** A device key made here, its CSR signed by `ca`, and (unless `register` is false) the certificate registered. */
async function makeDevice(identity: IdentityStore, thing: string, options: { ca?: CertificateAuthority; status?: CertificateStatus; register?: boolean; issuedAt?: Date; days?: number } = {}): Promise<Device> {
  const ca = options.ca ?? pki.ca;
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=ignored', keys, signingAlgorithm: ecP256 });
  const signed = await signDeviceCertificate({ ca, csr: csr.toString('pem'), commonName: thing, days: options.days ?? 30, ...(options.issuedAt === undefined ? {} : { now: options.issuedAt }) });
  if (options.register !== false) {
    const at = Date.now();
    await identity.putCertificate({
      id: signed.id, tenant: TENANT, thing, status: options.status ?? 'ACTIVE', certificatePem: signed.certificatePem, caId: certificateId(ca.certificatePem),
      serialNumber: signed.serialNumber, subject: `CN=${thing}`, notBefore: signed.notBefore.getTime(), notAfter: signed.notAfter.getTime(),
      issuedBy: 'gatehouse', createdAt: at, updatedAt: at,
    });
  }
  return { id: signed.id, cert: signed.certificatePem, key: await exportPrivateKeyPem(keys.privateKey) };
}

/** A Broker behind a real TLS server that hands on a client certificate only when it verified, as transport/listen-tls does. */
async function startGatehouse(identity: IdentityStore): Promise<Gatehouse> {
  const store = new MemoryStore();
  await store.open();
  const logger = silentLogger();
  const broker = new Broker({
    store, logger, features: { allowAnonymous: false },
    hooks: { connect: [createCertificateAuthenticator({ identity, logger })] },
  });
  await broker.start();
  const server = tls.createServer({ key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certificatePem, requestCert: true, rejectUnauthorized: false });
  const sockets = new Set<tls.TLSSocket>();
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const raw = socket.authorized ? socket.getPeerCertificate().raw : undefined;
    broker.accept(socket, {
      transport: 'tls', listener: 'mqtts', remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0, localPort: socket.localPort ?? 0,
      ...(raw === undefined ? {} : { clientCertificate: raw }),
    });
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtts://127.0.0.1:${port}`,
    broker,
    identity,
    async stop() {
      await broker.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

function tlsOptions(device: Device, options: IClientOptions = {}): IClientOptions {
  return { key: device.key, cert: device.cert, ca: pki.ca.certificatePem, protocolVersion: 5, ...options };
}

/** Connects and expects a refusal; returns the CONNACK code (MQTT 5 reason code or 3.1.1 return code). */
async function refusedWith(url: string, options: IClientOptions): Promise<number> {
  try {
    const { client } = await connectClient(url, options);
    await client.endAsync();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    assert.equal(typeof code, 'number', `expected a CONNACK refusal, got ${String(error)}`);
    return code as number;
  }
  assert.fail('the connection was accepted');
}

/** Resolves with the ms from `start` to the client's close, and the DISCONNECT reason code if one came. */
function closedAfter(client: MqttClient, start: () => number): Promise<{ ms: number; reasonCode?: number; reason?: string }> {
  return new Promise((resolve) => {
    let disconnect: { reasonCode?: number; reason?: string } = {};
    client.on('disconnect', (packet) => {
      disconnect = { ...(packet.reasonCode === undefined ? {} : { reasonCode: packet.reasonCode }), ...(packet.properties?.reasonString === undefined ? {} : { reason: packet.properties.reasonString }) };
    });
    client.once('close', () => resolve({ ms: performance.now() - start(), ...disconnect }));
  });
}

describe('client certificate authentication over TLS', () => {
  let gh: Gatehouse;
  const identity = new MemoryIdentityStore();
  before(async () => {
    await identity.open();
    await registerCa(identity, pki.ca);
    gh = await startGatehouse(identity);
  });
  after(async () => {
    await gh.stop();
    await identity.close();
  });

  for (const protocolVersion of [5, 4] as const) {
    it(`admits an ACTIVE certificate (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}) and lists its principal`, async () => {
      const device = await makeDevice(identity, `agent-ok-${protocolVersion}`);
      const { client } = await connectClient(gh.url, tlsOptions(device, { clientId: `ok-${protocolVersion}`, protocolVersion }));
      try {
        const info = gh.broker.admin.getClient(`ok-${protocolVersion}`);
        assert.deepEqual(info?.principal, { kind: 'certificate', tenant: TENANT, thingName: `agent-ok-${protocolVersion}`, certificateId: device.id });
        const listed = gh.broker.admin.listClients().items.find((c) => c.clientId === `ok-${protocolVersion}`);
        assert.equal(listed?.principal?.certificateId, device.id);
        assert.equal(listed?.peer.clientCertificate, undefined, 'no certificate bytes in the admin view');
        const principal = gh.broker.admin.listPrincipals().find((p) => p.clientId === `ok-${protocolVersion}`);
        assert.equal(principal?.sourceIp, '127.0.0.1');
      } finally {
        await client.endAsync();
      }
    });
  }

  it('refuses an unregistered certificate: 0x87 with a reason (v5), return code 5 (3.1.1)', async () => {
    const device = await makeDevice(identity, 'agent-unregistered', { register: false });
    assert.equal(await refusedWith(gh.url, tlsOptions(device, { clientId: 'unreg-5' })), 0x87);
    assert.equal(await refusedWith(gh.url, tlsOptions(device, { clientId: 'unreg-4', protocolVersion: 4 })), 5);
  });

  for (const status of ['INACTIVE', 'REVOKED', 'PENDING_ACTIVATION'] as const) {
    it(`refuses a ${status} certificate`, async () => {
      const device = await makeDevice(identity, `agent-${status.toLowerCase()}`, { status });
      assert.equal(await refusedWith(gh.url, tlsOptions(device, { clientId: `${status}-5` })), 0x87);
      assert.equal(await refusedWith(gh.url, tlsOptions(device, { clientId: `${status}-4`, protocolVersion: 4 })), 5);
      assert.equal(gh.broker.admin.getClient(`${status}-5`), undefined);
    });
  }

  it('refuses an expired certificate', async () => {
    const device = await makeDevice(identity, 'agent-expired', { issuedAt: new Date(Date.now() - 10 * 86400_000), days: 1 });
    assert.equal(await refusedWith(gh.url, tlsOptions(device, { clientId: 'expired-5' })), 0x87);
    assert.equal(await refusedWith(gh.url, tlsOptions(device, { clientId: 'expired-4', protocolVersion: 4 })), 5);
  });

  it('refuses a certificate of an unknown CA, even one registered in the store', async () => {
    const device = await makeDevice(identity, 'agent-stranger', { ca: pki.strangerCa });
    assert.equal(await refusedWith(gh.url, tlsOptions(device, { clientId: 'stranger-5' })), 0x87);
    assert.equal(await refusedWith(gh.url, tlsOptions(device, { clientId: 'stranger-4', protocolVersion: 4 })), 5);
  });

  it('closes a live connection within 1 s of revokeCertificate, and leaves other clients connected', async () => {
    const victim = await makeDevice(identity, 'agent-victim');
    const bystander = await makeDevice(identity, 'agent-bystander');
    const { client } = await connectClient(gh.url, tlsOptions(victim, { clientId: 'victim' }));
    const { client: other } = await connectClient(gh.url, tlsOptions(bystander, { clientId: 'bystander' }));
    try {
      let started = 0;
      const closed = closedAfter(client, () => started);
      started = performance.now();
      const change = await revokeCertificate(victim.id, { identity, connections: gh.broker.admin });
      assert.equal(change.disconnected, 1);
      assert.equal(change.certificate.status, 'REVOKED');
      const { ms, reasonCode, reason } = await closed;
      assert.ok(ms < 1000, `closed after ${ms.toFixed(0)} ms`);
      assert.equal(reasonCode, 0x87);
      assert.equal(reason, 'Certificate revoked');
      assert.equal(gh.broker.admin.getClient('victim'), undefined);
      assert.equal(other.connected, true);
      assert.ok(gh.broker.admin.getClient('bystander') !== undefined);
      assert.equal(await refusedWith(gh.url, tlsOptions(victim, { clientId: 'victim' })), 0x87, 'and it cannot come back');
    } finally {
      client.end(true);
      await other.endAsync();
    }
  });

  it('closes a 3.1.1 connection on deactivateCertificate', async () => {
    const device = await makeDevice(identity, 'agent-deactivated');
    const { client } = await connectClient(gh.url, tlsOptions(device, { clientId: 'deactivated', protocolVersion: 4 }));
    let started = 0;
    const closed = closedAfter(client, () => started);
    started = performance.now();
    const change = await deactivateCertificate(device.id, { identity, connections: gh.broker.admin });
    assert.equal(change.certificate.status, 'INACTIVE');
    const { ms } = await closed;
    assert.ok(ms < 1000, `closed after ${ms.toFixed(0)} ms`);
    client.end(true);
  });
});

describe('certificate status changed in the store by another process', () => {
  let gh: Gatehouse;
  let recheck: CertificateRecheck;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-identity-'));
  const identity = createSqliteIdentityStore({ path: join(dir, 'identity.db') });
  before(async () => {
    await identity.open();
    await registerCa(identity, pki.ca);
    gh = await startGatehouse(identity);
    recheck = startCertificateRecheck({ identity, connections: gh.broker.admin, logger: silentLogger() });
  });
  after(async () => {
    recheck.stop();
    await gh.stop();
    await identity.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the re-check closes a connection within 1 s of a direct REVOKED status in SQLite; others stay', async () => {
    const victim = await makeDevice(identity, 'agent-sqlite-victim');
    const bystander = await makeDevice(identity, 'agent-sqlite-bystander');
    const { client } = await connectClient(gh.url, tlsOptions(victim, { clientId: 'sqlite-victim' }));
    const { client: other } = await connectClient(gh.url, tlsOptions(bystander, { clientId: 'sqlite-bystander' }));
    try {
      let started = 0;
      const closed = closedAfter(client, () => started);
      started = performance.now();
      // A second store handle on the same file stands in for another node or the CLI.
      const elsewhere = createSqliteIdentityStore({ path: join(dir, 'identity.db') });
      await elsewhere.open();
      await elsewhere.setCertificateStatus(victim.id, 'REVOKED', Date.now());
      await elsewhere.close();
      const { ms, reasonCode, reason } = await closed;
      assert.ok(ms < 1000, `closed after ${ms.toFixed(0)} ms`);
      assert.equal(reasonCode, 0x87);
      assert.equal(reason, 'Certificate revoked');
      assert.equal(other.connected, true);
      assert.equal((await identity.getCertificate(victim.id))?.status, 'REVOKED', 'the status persisted');
      assert.equal(await recheck.checkNow(), 0, 'nothing else to close');
    } finally {
      client.end(true);
      await other.endAsync();
    }
  });

  it('the re-check closes an INACTIVE certificate connection too', async () => {
    const device = await makeDevice(identity, 'agent-sqlite-inactive');
    const { client } = await connectClient(gh.url, tlsOptions(device, { clientId: 'sqlite-inactive' }));
    let started = 0;
    const closed = closedAfter(client, () => started);
    started = performance.now();
    await identity.setCertificateStatus(device.id, 'INACTIVE', Date.now());
    const { ms, reasonCode } = await closed;
    assert.ok(ms < 1000, `closed after ${ms.toFixed(0)} ms`);
    assert.equal(reasonCode, 0x87);
    client.end(true);
  });
});
