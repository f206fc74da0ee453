/**
 * Certificate refusals, black-box: the real server with mqtts refusing anonymous clients, MQTT.js over
 * TLS with client certificates, the admin API, the real `gatehouse` CLI and openssl. Every refused
 * certificate gets CONNACK NotAuthorized with a reason (return code 5 on 3.1.1) and leaves the registry
 * as it was; revocation and deactivation close live connections; customer CAs are registered with
 * proof of possession; the CRL is public on the agent-facing port.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { caFromPem, issueLeafCertificate, signDeviceCertificate, type CertificateAuthority } from '../../packages/server/src/pki/index.ts';
import { makeRootCa } from '../../packages/server/src/pki/test-fixtures.ts';
import { ecP256, exportPrivateKeyPem, generateKeyPair, randomSerialNumber, x509 } from '../../packages/server/src/pki/x509-crypto.ts';
import { connectClient, sleep, startGatehouse, type TestGatehouse } from '../helpers/index.ts';
import { makeEcAgentKey, onboardDevice, requestJson, type JsonAnswer, type OnboardedDevice } from './onboarding-kit.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../packages/server/bin/gatehouse.js', import.meta.url));
const NOT_AUTHORIZED = 0x87;

interface Credentials {
  readonly cert: string;
  readonly key: string;
}

interface Refusal {
  /** MQTT 5 reason code or 3.1.1 return code. */
  readonly code: number;
  /** The CONNACK's reason string (MQTT 5 only). */
  readonly reason?: string;
}

let gh: TestGatehouse;
let work: string;
let gatehouseCa: CertificateAuthority;
let gatehouseCaId: string;
const open: MqttClient[] = [];

const admin = (path: string, options: { method?: string; body?: unknown } = {}): Promise<JsonAnswer> =>
  requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` }, ...options });

/** mqtts options trusting the server's CA; without credentials, no client certificate. */
const mqttsOptions = (credentials: Credentials | undefined, options: IClientOptions = {}): IClientOptions => ({
  ca: gh.caPem, ...(credentials === undefined ? {} : { cert: credentials.cert, key: credentials.key }),
  protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...options,
});

async function connect(credentials: Credentials, options: IClientOptions = {}): Promise<MqttClient> {
  const { client } = await connectClient(gh.urls.mqtts, mqttsOptions(credentials, options));
  open.push(client);
  return client;
}

/** Connects and expects a CONNACK refusal; returns its code and (v5) reason string. */
function refusal(credentials: Credentials | undefined, options: IClientOptions = {}): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(gh.urls.mqtts, mqttsOptions(credentials, options));
    let reason: string | undefined;
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'connack') reason = packet.properties?.reasonString;
    });
    client.once('connect', () => {
      client.end(true);
      reject(new Error('the connection was accepted'));
    });
    client.once('error', (error) => {
      client.end(true);
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number') resolve({ code, ...(reason === undefined ? {} : { reason }) });
      else reject(error);
    });
  });
}

/** Refused on MQTT 5 with NotAuthorized and a reason matching `reason`, and on 3.1.1 with return code 5. */
async function assertRefused(credentials: Credentials, clientId: string, reason: RegExp): Promise<void> {
  const v5 = await refusal(credentials, { clientId: `${clientId}-5` });
  assert.equal(v5.code, NOT_AUTHORIZED);
  assert.match(v5.reason ?? '', reason);
  const v4 = await refusal(credentials, { clientId: `${clientId}-4`, protocolVersion: 4 });
  assert.equal(v4.code, 5, 'MQTT 3.1.1: connection refused, not authorized');
  for (const id of [`${clientId}-5`, `${clientId}-4`]) {
    assert.equal((await admin(`/v1/clients/${id}`)).status, 404, `no client ${id}`);
    assert.equal((await admin(`/v1/sessions/${id}`)).status, 404, `no session ${id}`);
  }
}

/** Every certificate and CA of the default tenant, as the admin API shows them. */
async function registry(): Promise<string> {
  const certificates = await admin('/v1/certificates?limit=1000');
  const cas = await admin('/v1/cas');
  assert.equal(certificates.status, 200);
  assert.equal(cas.status, 200);
  return JSON.stringify({ certificates: certificates.body['items'], cas: cas.body['items'] });
}

/** Runs `fn` and asserts the registry is the same afterwards. */
async function unchanged(fn: () => Promise<void>): Promise<void> {
  const before = await registry();
  await fn();
  assert.equal(await registry(), before, 'the registry is unchanged');
}

function onboard(thing: string): Promise<OnboardedDevice> {
  return onboardDevice({ adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem }, thing);
}

const device = (d: OnboardedDevice): Credentials => ({ cert: d.certificatePem, key: d.keyPem });

/** Resolves with ms from `since()` to the client's close, and the DISCONNECT it got, if any. */
function closed(client: MqttClient, since: () => number): Promise<{ ms: number; reasonCode?: number; reason?: string }> {
  return new Promise((resolve) => {
    let disconnect: { reasonCode?: number; reason?: string } = {};
    client.on('disconnect', (packet) => {
      disconnect = { ...(packet.reasonCode === undefined ? {} : { reasonCode: packet.reasonCode }), ...(packet.properties?.reasonString === undefined ? {} : { reason: packet.properties.reasonString }) };
    });
    client.once('close', () => resolve({ ms: performance.now() - since(), ...disconnect }));
  });
}

/** The real `gatehouse` bin against the admin API, with no GATEHOUSE_* from the outer environment. */
function gatehouseCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GATEHOUSE_')));
  const child = spawn(process.execPath, [bin, ...args, '--url', gh.urls.admin, '--key', gh.adminKey], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** GET over https trusting `ca`, with no credentials; the body as bytes. */
function httpsGet(url: string, ca: string): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A device certificate signed by `ca` (its key made here), valid for `seconds`. */
async function signedBy(ca: CertificateAuthority, thing: string, seconds: number): Promise<Credentials> {
  const agent = await makeEcAgentKey();
  const signed = await signDeviceCertificate({ ca, csr: agent.csrPem, commonName: thing, days: seconds / 86400 });
  return { cert: signed.certificatePem, key: agent.keyPem };
}

/** A self-signed end-entity certificate (not a CA) and its key. */
async function selfSigned(name: string): Promise<Credentials> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(), name: `CN=${name}`, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86400_000),
    signingAlgorithm: ecP256, keys, extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  return { cert: cert.toString('pem'), key: await exportPrivateKeyPem(keys.privateKey) };
}

const hexSerial = (serial: string): string => serial.toLowerCase().replace(/^0+/, '');

before(async () => {
  gh = await startGatehouse({ store: 'sqlite', config: { listeners: { mqtts: { allowAnonymous: false } } } });
  work = await mkdtemp(join(tmpdir(), 'gatehouse-refusals-'));
  gatehouseCa = await caFromPem({ certificatePem: gh.caPem, privateKeyPem: gh.caKeyPem });
  const cas = await admin('/v1/cas');
  const own = (cas.body['items'] as Array<{ id: string; kind: string }>).find((ca) => ca.kind === 'gatehouse');
  assert.ok(own, 'the local CA is registered for the default tenant');
  gatehouseCaId = own.id;
  assert.equal(gatehouseCaId, gatehouseCa.id);
});

after(async () => {
  await Promise.all(open.map((client) => client.endAsync(true).catch(() => undefined)));
  await gh.stop();
  await rm(work, { recursive: true, force: true });
});

describe('refused certificates leave nothing half-made', () => {
  test('an onboarded certificate connects (the baseline the refusals differ from)', async () => {
    const ok = await onboard('refusal-baseline');
    const client = await connect(device(ok), { clientId: 'baseline' });
    const shown = await admin('/v1/clients/baseline');
    assert.equal((shown.body['principal'] as { certificateId?: string } | undefined)?.certificateId, ok.certificateId);
    await client.endAsync();
  });

  test('a credential-less client is refused on mqtts', async () => {
    const anonymous = await refusal(undefined, { clientId: 'anonymous' });
    assert.equal(anonymous.code, NOT_AUTHORIZED);
    assert.match(anonymous.reason ?? '', /needs credentials/);
  });

  test('expired certificate', async () => {
    const expiring = await signedBy(gatehouseCa, 'refusal-expired', 2);
    const registered = await admin('/v1/certificates', { body: { certificatePem: expiring.cert, thing: 'refusal-expired' } });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const notAfter = Date.parse(String(registered.body['notAfter']));
    await sleep(Math.max(0, notAfter - Date.now()) + 200);
    await unchanged(() => assertRefused(expiring, 'expired', /^Certificate [0-9a-f]{12} expired at \d{4}-/));
  });

  test('revoked certificate', async () => {
    const revoked = await onboard('refusal-revoked');
    const answer = await admin(`/v1/certificates/${revoked.certificateId}/revoke`, { method: 'POST' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal((answer.body['certificate'] as { status: string }).status, 'REVOKED');
    assert.equal(answer.body['disconnected'], 0);
    await unchanged(() => assertRefused(device(revoked), 'revoked', new RegExp(`^Certificate ${revoked.certificateId.slice(0, 12)} is REVOKED$`)));
    const again = await admin(`/v1/certificates/${revoked.certificateId}/activate`, { method: 'POST' });
    assert.equal(again.status, 409, 'revocation is final');
    assert.match(String(again.body['message']), /it is revoked, and revocation is final/);
  });

  test('deactivated certificate', async () => {
    const inactive = await onboard('refusal-inactive');
    assert.equal((await admin(`/v1/certificates/${inactive.certificateId}/deactivate`, { method: 'POST' })).status, 200);
    await unchanged(() => assertRefused(device(inactive), 'inactive', /^Certificate [0-9a-f]{12} is INACTIVE$/));
  });

  test('certificate of a CA nobody registered', async () => {
    const stranger = await makeRootCa('Nobody registered this CA');
    const credentials = await signedBy(stranger, 'refusal-stranger', 3600);
    await unchanged(async () => {
      await assertRefused(credentials, 'stranger', /is not registered, and no registered CA with auto-registration issued it$/);
      const register = await admin('/v1/certificates', { body: { certificatePem: credentials.cert } });
      assert.equal(register.status, 400);
      assert.equal(register.body['code'], 'CERTIFICATE_REJECTED');
      assert.match(String(register.body['message']), /^Cannot register the certificate: it was not signed by any CA registered for tenant "default"/);
    });
  });

  test('self-signed certificate', async () => {
    const credentials = await selfSigned('refusal-self-signed');
    await unchanged(async () => {
      await assertRefused(credentials, 'self-signed', /is not registered, and no registered CA with auto-registration issued it$/);
      const register = await admin('/v1/certificates', { body: { certificatePem: credentials.cert } });
      assert.equal(register.status, 400);
      assert.match(String(register.body['message']), /^Cannot register the certificate: it is self-signed/);
    });
  });

  test("a key that does not match the certificate: the client's TLS library refuses before any byte is sent", async () => {
    const a = await onboard('refusal-key-a');
    const b = await onboard('refusal-key-b');
    await unchanged(async () => {
      const error = await new Promise<Error & { code?: unknown }>((resolve, reject) => {
        let client: MqttClient | undefined;
        try {
          client = mqtt.connect(gh.urls.mqtts, mqttsOptions({ cert: a.certificatePem, key: b.keyPem }, { clientId: 'mismatch' }));
        } catch (thrown) {
          resolve(thrown as Error);
          return;
        }
        client.once('connect', () => reject(new Error('the connection was accepted')));
        client.once('error', (e) => {
          client?.end(true);
          resolve(e);
        });
      });
      assert.equal(error.code, 'ERR_OSSL_X509_KEY_VALUES_MISMATCH', String(error));
      assert.match(error.message, /key values mismatch/);
      assert.equal((await admin('/v1/clients/mismatch')).status, 404);
    });
  });
});

describe('status changes reach live connections', () => {
  test('revoke through the API closes the live connection in under 1 s', async (t) => {
    const victim = await onboard('live-revoke');
    const bystander = await onboard('live-bystander');
    const client = await connect(device(victim), { clientId: 'live-revoke' });
    const other = await connect(device(bystander), { clientId: 'live-bystander' });
    let start = 0;
    const done = closed(client, () => start);
    start = performance.now();
    const answer = await admin(`/v1/certificates/${victim.certificateId}/revoke`, { method: 'POST' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body['disconnected'], 1);
    const { ms, reasonCode, reason } = await done;
    assert.ok(ms < 1000, `closed after ${ms.toFixed(0)} ms`);
    t.diagnostic(`revoke to close: ${ms.toFixed(1)} ms`);
    assert.equal(reasonCode, NOT_AUTHORIZED);
    assert.equal(reason, 'Certificate revoked');
    assert.equal(other.connected, true, 'other certificates stay connected');
    await assertRefused(device(victim), 'live-revoke-again', /is REVOKED$/);
  });

  test('deactivate with the CLI closes it; activate with the CLI lets it connect again', async () => {
    const agent = await onboard('live-cli');
    const client = await connect(device(agent), { clientId: 'live-cli', protocolVersion: 4 });
    let start = 0;
    const done = closed(client, () => start);
    start = performance.now();
    const deactivated = await gatehouseCli(['certs', 'deactivate', agent.certificateId]);
    assert.equal(deactivated.code, 0, deactivated.stderr);
    assert.equal(deactivated.stdout, `Deactivated certificate ${agent.certificateId}: INACTIVE, closed 1 live connection\n`);
    const { ms } = await done;
    assert.ok(client.connected === false, `closed ${ms.toFixed(0)} ms after the CLI started`);
    await assertRefused(device(agent), 'live-cli-inactive', /is INACTIVE$/);

    const activated = await gatehouseCli(['certs', 'activate', agent.certificateId, '--json']);
    assert.equal(activated.code, 0, activated.stderr);
    const body = JSON.parse(activated.stdout) as { certificate: { status: string }; disconnected: number };
    assert.equal(body.certificate.status, 'ACTIVE');
    const back = await connect(device(agent), { clientId: 'live-cli' });
    assert.equal(back.connected, true);
    await back.endAsync();

    const unknown = await gatehouseCli(['certs', 'revoke', '0'.repeat(64)]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, `Error: Certificate "${'0'.repeat(64)}" was not found\n`);
  });
});

describe('customer CAs', () => {
  let customer: Awaited<ReturnType<typeof makeRootCa>>;
  let code: string;
  let caFile: string;

  before(async () => {
    customer = await makeRootCa('Customer CA');
    caFile = join(work, 'customer-ca.pem');
    await writeFile(caFile, customer.certificatePem);
    const answer = await admin('/v1/cas/registration-code');
    assert.equal(answer.status, 200);
    code = String(answer.body['registrationCode']);
    assert.match(code, /^[0-9a-f]{64}$/);
    const cli = await gatehouseCli(['ca', 'registration-code']);
    assert.equal(cli.stdout, `${code}\n`, 'the same code, stable for the tenant');
    const other = await admin('/v1/cas/registration-code?tenant=other');
    assert.notEqual(other.body['registrationCode'], code, 'each tenant has its own');
  });

  test('registration is refused without a valid proof of possession, and nothing is registered', async () => {
    const wrongCn = await issueLeafCertificate({ caCertPem: customer.certificatePem, caKeyPem: customer.privateKeyPem, commonName: 'not-the-code', days: 1, usage: 'client' });
    const impostor = await makeRootCa('Impostor');
    const wrongSigner = await issueLeafCertificate({ caCertPem: impostor.certificatePem, caKeyPem: impostor.privateKeyPem, commonName: code, days: 1, usage: 'client' });
    const otherTenantCode = String((await admin('/v1/cas/registration-code?tenant=other')).body['registrationCode']);
    const otherTenant = await issueLeafCertificate({ caCertPem: customer.certificatePem, caKeyPem: customer.privateKeyPem, commonName: otherTenantCode, days: 1, usage: 'client' });
    await unchanged(async () => {
      for (const [verification, reason] of [
        [wrongCn.certPem, "the verification certificate's CN is not the registration code"],
        [wrongSigner.certPem, 'the verification certificate is not signed by the CA certificate'],
        [otherTenant.certPem, "the verification certificate's CN is not the registration code"],
      ] as const) {
        const answer = await admin('/v1/cas', { body: { caCertificatePem: customer.certificatePem, verificationCertificatePem: verification } });
        assert.equal(answer.status, 400);
        assert.deepEqual(answer.body, { code: 'CA_REGISTRATION_INVALID', message: `Cannot register the CA: ${reason}` });
      }
      const device = await issueLeafCertificate({ caCertPem: customer.certificatePem, caKeyPem: customer.privateKeyPem, commonName: 'x', days: 1, usage: 'client' });
      const notCa = await admin('/v1/cas', { body: { caCertificatePem: device.certPem, verificationCertificatePem: wrongCn.certPem } });
      assert.equal(notCa.status, 400);
      assert.match(String(notCa.body['message']), /is not a CA/);
    });
  });

  test("registered with the CLI, without auto-registration: its certificate connects once it is registered", async () => {
    const verification = await issueLeafCertificate({ caCertPem: customer.certificatePem, caKeyPem: customer.privateKeyPem, commonName: code, days: 1, usage: 'client' });
    const verificationFile = join(work, 'verification.pem');
    await writeFile(verificationFile, verification.certPem);
    const registered = await gatehouseCli(['ca', 'register', '--ca-cert', caFile, '--verification-cert', verificationFile, '--json']);
    assert.equal(registered.code, 0, registered.stderr);
    const ca = JSON.parse(registered.stdout) as { id: string; kind: string; status: string; autoRegistration: boolean };
    assert.deepEqual({ kind: ca.kind, status: ca.status, autoRegistration: ca.autoRegistration }, { kind: 'customer', status: 'ACTIVE', autoRegistration: false });
    assert.equal(ca.id, new X509Certificate(customer.certificatePem).fingerprint256.replaceAll(':', '').toLowerCase());
    const twice = await gatehouseCli(['ca', 'register', '--ca-cert', caFile, '--verification-cert', verificationFile]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /^Error: Cannot register CA "[0-9a-f]{64}": it is already registered for tenant "default"\n$/);

    const agent = await issueLeafCertificate({ caCertPem: customer.certificatePem, caKeyPem: customer.privateKeyPem, commonName: 'customer-agent', days: 1, usage: 'client' });
    const credentials = { cert: agent.certPem, key: agent.keyPem };
    await unchanged(() => assertRefused(credentials, 'customer-unregistered', /is not registered, and no registered CA with auto-registration issued it$/));

    const certFile = join(work, 'customer-agent.pem');
    await writeFile(certFile, agent.certPem);
    const added = await gatehouseCli(['certs', 'register', '--cert', certFile, '--thing', 'customer-agent', '--json']);
    assert.equal(added.code, 0, added.stderr);
    const record = JSON.parse(added.stdout) as { id: string; caId: string; issuedBy: string; status: string; thing: string };
    assert.deepEqual({ caId: record.caId, issuedBy: record.issuedBy, status: record.status, thing: record.thing }, { caId: ca.id, issuedBy: 'customer-ca', status: 'ACTIVE', thing: 'customer-agent' });

    const client = await connect(credentials, { clientId: 'customer-agent' });
    const shown = await admin('/v1/clients/customer-agent');
    assert.equal((shown.body['principal'] as { certificateId?: string }).certificateId, record.id);

    // Deactivating the CA closes its certificates' live connections; activating lets them back.
    let start = 0;
    const done = closed(client, () => start);
    start = performance.now();
    const deactivated = await admin(`/v1/cas/${ca.id}/deactivate`, { method: 'POST' });
    assert.equal(deactivated.status, 200);
    assert.equal(deactivated.body['disconnected'], 1);
    const { ms, reason } = await done;
    assert.ok(ms < 1000, `closed after ${ms.toFixed(0)} ms`);
    assert.equal(reason, 'CA deactivated');
    await assertRefused(credentials, 'customer-ca-inactive', /^CA [0-9a-f]{12} of certificate [0-9a-f]{12} is INACTIVE$/);
    const activated = await gatehouseCli(['ca', 'activate', ca.id]);
    assert.equal(activated.stdout, `Activated CA ${ca.id}: ACTIVE\n`);
    const back = await connect(credentials, { clientId: 'customer-agent' });
    await back.endAsync();

    const crl = await admin(`/v1/cas/${ca.id}/crl`);
    assert.equal(crl.status, 409);
    assert.match(String(crl.body['message']), /it is a customer CA and Gatehouse does not hold its key/);
    const listed = await gatehouseCli(['ca', 'list']);
    assert.match(listed.stdout, new RegExp(`${ca.id}\\s+customer\\s+ACTIVE\\s+no`));
  });
});

describe('admin API answers for mistakes', () => {
  test('unknown ids, malformed PEM, unknown template, PEM CRL', async () => {
    const missing = '0'.repeat(64);
    for (const verb of ['revoke', 'deactivate', 'activate']) {
      const answer = await admin(`/v1/certificates/${missing}/${verb}`, { method: 'POST' });
      assert.deepEqual(answer.body, { code: 'NOT_FOUND', message: `Certificate "${missing}" was not found` });
    }
    assert.equal((await admin(`/v1/cas/${missing}`)).status, 404);
    assert.equal((await admin(`/v1/cas/${missing}/deactivate`, { method: 'POST' })).status, 404);
    assert.equal((await admin('/v1/certificates/not-an-id/revoke', { method: 'POST' })).status, 400);
    await unchanged(async () => {
      const garbage = await admin('/v1/cas', { body: { caCertificatePem: 'not a pem', verificationCertificatePem: 'nor this' } });
      assert.deepEqual(garbage.body, { code: 'CA_REGISTRATION_INVALID', message: 'Cannot register the CA: the CA certificate is not a valid PEM certificate' });
      const customer = await makeRootCa('Templated CA');
      const code = String((await admin('/v1/cas/registration-code')).body['registrationCode']);
      const proof = await issueLeafCertificate({ caCertPem: customer.certificatePem, caKeyPem: customer.privateKeyPem, commonName: code, days: 1, usage: 'client' });
      const template = await admin('/v1/cas', { body: { caCertificatePem: customer.certificatePem, verificationCertificatePem: proof.certPem, autoRegistration: true, provisioningTemplate: 'no-such-template' } });
      assert.deepEqual(template.body, { code: 'NOT_FOUND', message: 'Provisioning template "no-such-template" was not found' });
      const own = await admin('/v1/cas', { body: { caCertificatePem: gh.caPem, verificationCertificatePem: proof.certPem } });
      assert.equal(own.status, 400, 'no proof for the local CA without its key');
      const notPem = await admin('/v1/certificates', { body: { certificatePem: 'nope' } });
      assert.deepEqual(notPem.body, { code: 'CERTIFICATE_REJECTED', message: 'Cannot register the certificate: it is not a valid PEM certificate' });
    });
    const pem = await fetch(`${gh.urls.admin}/v1/cas/${gatehouseCaId}/crl?format=pem`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
    assert.equal(pem.headers.get('content-type'), 'application/x-pem-file');
    assert.match(await pem.text(), /^-----BEGIN X509 CRL-----\n[\s\S]+-----END X509 CRL-----\n$/);
    const keyless = await fetch(`${gh.urls.admin}/v1/cas/${gatehouseCaId}/crl`);
    assert.equal(keyless.status, 401, 'the admin copy needs the key; the agent port has the public one');
  });
});

describe('the CRL', () => {
  test('is public on the agent-facing port, parses with openssl, and lists the revoked serial', async () => {
    const agent = await onboard('crl-revoked');
    const revoked = await admin(`/v1/certificates/${agent.certificateId}/revoke`, { method: 'POST' });
    assert.equal(revoked.status, 200);
    const serial = String((revoked.body['certificate'] as { serialNumber: string }).serialNumber);

    const url = `https://127.0.0.1:${gh.ports.wss}/crl/${gatehouseCaId}.crl`;
    const points = new x509.X509Certificate(agent.certificatePem).getExtension(x509.CRLDistributionPointsExtension);
    const named = points?.distributionPoints[0]?.distributionPoint?.fullName?.[0]?.uniformResourceIdentifier;
    assert.equal(named, url, 'issued certificates name the CRL in CRL Distribution Points');

    const answer = await httpsGet(url, gh.caPem);
    assert.equal(answer.status, 200);
    assert.equal(answer.type, 'application/pkix-crl');
    const file = join(work, 'ca.crl');
    await writeFile(file, answer.body);
    const { stdout } = await run('openssl', ['crl', '-inform', 'DER', '-in', file, '-noout', '-text']);
    const serials = [...stdout.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => hexSerial(m[1]!));
    assert.ok(serials.includes(hexSerial(serial)), `serial ${serial} in:\n${stdout}`);
    assert.ok(!serials.includes(hexSerial(new X509Certificate((await onboard('crl-not-revoked')).certificatePem).serialNumber)), 'an ACTIVE certificate is not listed');
    const caFile = join(work, 'gatehouse-ca.pem');
    await writeFile(caFile, gh.caPem);
    const verified = await run('openssl', ['crl', '-inform', 'DER', '-in', file, '-CAfile', caFile, '-noout']);
    assert.match(verified.stdout + verified.stderr, /verify OK/);

    const pem = await gatehouseCli(['ca', 'crl', gatehouseCaId]);
    assert.match(pem.stdout, /^-----BEGIN X509 CRL-----\n/);
    const out = join(work, 'cli.crl');
    const der = await gatehouseCli(['ca', 'crl', gatehouseCaId, '--out', out]);
    assert.equal(der.code, 0, der.stderr);
    const fromCli = await run('openssl', ['crl', '-inform', 'DER', '-in', out, '-noout', '-text']);
    assert.match(fromCli.stdout, new RegExp(`Serial Number: 0*${hexSerial(serial).toUpperCase()}`));
    assert.ok((await readFile(out)).length > 0);

    const unknown = await httpsGet(`https://127.0.0.1:${gh.ports.wss}/crl/${'0'.repeat(64)}.crl`, gh.caPem);
    assert.equal(unknown.status, 404);
  });
});
