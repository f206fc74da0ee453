// The optional intermediate CA (`pki.intermediate`), black-box: a Gatehouse that ran without it is
// restarted with it on; devices onboarded then get certificates signed by the intermediate, which
// chain to the root (node:crypto and `openssl verify`), connect over mqtts with the leaf alone or
// with leaf + intermediate (MQTT.js and mosquitto_pub), and show up in the intermediate's own CRL
// once revoked; the device signed by the root before keeps connecting, and fleet provisioning signs
// with the intermediate too. The CA keys are encrypted at rest with the configured secret.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { isEncryptedPrivateKey } from '../../packages/server/src/pki/index.ts';
import { connectClient, startGatehouse, type TestGatehouse, missingTools } from '../helpers/index.ts';
import { ask, deviceTemplate, putTemplate } from './fleet-kit.ts';
import { makeEcAgentKey, onboardDevice, requestJson, type JsonAnswer, type OnboardedDevice } from './onboarding-kit.ts';

const run = promisify(execFile);

const missing = await missingTools(['openssl', 'mosquitto_pub']);
const skip = missing.length > 0 ? `needs ${missing.join(', ')} (apt-get install openssl mosquitto-clients)` : false;

/** A certificate's id in the registry: the SHA-256 of its DER, lowercase hex. */
function idOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();
}

function issuedBy(childPem: string, parentPem: string): boolean {
  const child = new X509Certificate(childPem);
  const parent = new X509Certificate(parentPem);
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/** GET over https trusting `ca`, the body as bytes. */
function getBytes(url: string, ca: string): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('an intermediate CA signs device certificates (pki.intermediate)', { skip }, () => {
  let home: string;
  let gh: TestGatehouse;
  let rootPem: string;
  let intermediatePem: string;
  let rootDevice: OnboardedDevice;
  const files = (name: string): string => join(home, 'agent', name);
  const start = (intermediate: boolean): Promise<TestGatehouse> =>
    startGatehouse({
      home,
      store: 'sqlite',
      config: { pki: { intermediate, keySecretFile: join(home, 'ca-key-secret') }, listeners: { mqtts: { allowAnonymous: false } } },
    });
  const server = (): { adminUrl: string; adminKey: string; registerUrl: string; ca: string } =>
    ({ adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem });
  const admin = (path: string, body?: unknown): Promise<JsonAnswer> =>
    requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` }, ...(body === undefined ? {} : { body }) });

  /** Publishes with mosquitto_pub over mqtts and answers what a subscriber on the plain port received. */
  async function mosquittoPublish(device: { thing: string; cert: string; key: string }, message: string): Promise<string[]> {
    const received: string[] = [];
    const { client } = await connectClient(gh.urls.mqtt, {}, (_topic, payload) => received.push(payload.toString()));
    try {
      await client.subscribeAsync(`default/${device.thing}/#`, { qos: 1 });
      await run('mosquitto_pub', [
        '-h', '127.0.0.1', '-p', String(gh.ports.mqtts), '--cafile', files('root.pem'), '--cert', device.cert, '--key', device.key,
        '-i', device.thing, '-q', '1', '-t', `default/${device.thing}/hello`, '-m', message,
      ], { timeout: 10_000 });
      const deadline = Date.now() + 3000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return received;
    } finally {
      await client.endAsync();
    }
  }

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'gatehouse-intermediate-'));
    await writeFile(join(home, 'ca-key-secret'), 'an operator secret\n', { mode: 0o600 });
    await mkdir(files(''));
    // First without the intermediate: this device's certificate is signed by the root.
    gh = await start(false);
    rootDevice = await onboardDevice(server(), 'root-signed');
    assert.ok(issuedBy(rootDevice.certificatePem, gh.caPem));
    await gh.stop();
    gh = await start(true);
    rootPem = gh.caPem;
    intermediatePem = await readFile(join(home, 'pki', 'intermediate.pem'), 'utf8');
    await writeFile(files('root.pem'), rootPem);
    await writeFile(files('intermediate.pem'), intermediatePem);
  });
  after(async () => {
    await gh?.stop();
    await rm(home, { recursive: true, force: true });
  });

  test('turning it on keeps the root, makes an intermediate signed by it, and registers both CAs', async () => {
    assert.equal(gh.running.firstRun.pki?.createdCa, false);
    assert.equal(gh.running.firstRun.pki?.createdIntermediate, true);
    assert.ok(issuedBy(intermediatePem, rootPem), 'the intermediate is signed by the root');
    assert.equal(new X509Certificate(intermediatePem).ca, true);
    const cas = (await admin('/v1/cas')).body['items'] as Array<{ id: string; kind: string; status: string }>;
    for (const id of [idOf(rootPem), idOf(intermediatePem)]) {
      assert.deepEqual(cas.filter((ca) => ca.id === id).map((ca) => [ca.kind, ca.status]), [['gatehouse', 'ACTIVE']], `CA ${id} registered`);
    }
  });

  test('the CA keys are 0600 and encrypted with the configured secret', async () => {
    const pkiDir = join(home, 'pki');
    const names = await readdir(pkiDir);
    assert.equal(names.includes('ca.key'), false);
    assert.equal(names.includes('intermediate.key'), false);
    for (const name of ['ca.key.enc', 'intermediate.key.enc']) {
      const path = join(pkiDir, name);
      assert.equal((await stat(path)).mode & 0o777, 0o600, name);
      const text = await readFile(path, 'utf8');
      assert.ok(isEncryptedPrivateKey(text), name);
      assert.doesNotMatch(text, /PRIVATE KEY/);
    }
  });

  test('registration answers a certificate signed by the intermediate, the chain, and the root to trust', async () => {
    const minted = await admin('/v1/tokens', { thing: 'agent-int' });
    assert.equal(minted.status, 201);
    const agent = await makeEcAgentKey();
    const answer = await requestJson(server().registerUrl, { body: { token: minted.body['token'], csr: agent.csrPem }, ca: rootPem });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const leafPem = String(answer.body['certificatePem']);
    const chainPem = String(answer.body['certificateChainPem']);
    assert.equal(answer.body['caCertificatePem'], new X509Certificate(rootPem).toString(), 'agents trust the root, as before');
    assert.equal((leafPem.match(/BEGIN CERTIFICATE/g) ?? []).length, 1, 'certificatePem is the leaf alone');
    assert.equal(idOf(leafPem), answer.body['certificateId']);
    assert.equal(chainPem, `${leafPem.trimEnd()}\n${new X509Certificate(intermediatePem).toString().trimEnd()}\n`);
    assert.ok(issuedBy(leafPem, intermediatePem), 'issued by the intermediate');
    assert.equal(issuedBy(leafPem, rootPem), false, 'not by the root');
    assert.equal((await gh.running.identity.getCertificate(idOf(leafPem)))?.caId, idOf(intermediatePem));

    await writeFile(files('leaf.pem'), leafPem);
    await writeFile(files('chain.pem'), chainPem);
    await writeFile(files('leaf.key'), agent.keyPem, { mode: 0o600 });
    const verified = await run('openssl', ['verify', '-CAfile', files('root.pem'), '-untrusted', files('intermediate.pem'), files('leaf.pem')]);
    assert.match(verified.stdout, /leaf\.pem: OK/);
    await assert.rejects(run('openssl', ['verify', '-CAfile', files('root.pem'), files('leaf.pem')]), /unable to get local issuer certificate/, 'the root alone does not verify it');
    // The CRL distribution point names the intermediate's CRL.
    const text = (await run('openssl', ['x509', '-in', files('leaf.pem'), '-noout', '-ext', 'crlDistributionPoints'])).stdout;
    assert.ok(text.includes(`/crl/${idOf(intermediatePem)}.crl`), text);
  });

  test('the device connects over mqtts with the leaf alone and with leaf + intermediate (MQTT.js, mosquitto_pub)', async () => {
    const key = await readFile(files('leaf.key'), 'utf8');
    for (const cert of [files('leaf.pem'), files('chain.pem')]) {
      const { client } = await connectClient(gh.urls.mqtts, { ca: rootPem, cert: await readFile(cert, 'utf8'), key, clientId: 'agent-int', protocolVersion: 5 });
      try {
        const clients = (await admin('/v1/clients')).body['items'] as Array<Record<string, unknown>>;
        const entry = clients.find((c) => c['clientId'] === 'agent-int');
        assert.equal((entry?.['principal'] as Record<string, unknown> | undefined)?.['certificateId'], idOf(await readFile(files('leaf.pem'), 'utf8')), cert);
      } finally {
        await client.endAsync();
      }
      assert.deepEqual(await mosquittoPublish({ thing: 'agent-int', cert, key: files('leaf.key') }, `via ${cert}`), [`via ${cert}`]);
    }
  });

  test('the device signed by the root before still connects', async () => {
    await writeFile(files('root-signed.pem'), rootDevice.certificatePem);
    await writeFile(files('root-signed.key'), rootDevice.keyPem, { mode: 0o600 });
    const { client } = await connectClient(gh.urls.mqtts, { ca: rootPem, cert: rootDevice.certificatePem, key: rootDevice.keyPem, clientId: 'root-signed' });
    await client.endAsync();
    assert.deepEqual(await mosquittoPublish({ thing: 'root-signed', cert: files('root-signed.pem'), key: files('root-signed.key') }, 'old device'), ['old device']);
  });

  test('fleet provisioning signs with the intermediate, and the new certificate connects as the leaf alone', async () => {
    await putTemplate(gh, 'default', 'factory', { templateBody: deviceTemplate });
    const claim = await onboardDevice(server(), 'claim');
    const { client: claimClient } = await connectClient(gh.urls.mqtts, { ca: rootPem, cert: claim.certificatePem, key: claim.keyPem, clientId: 'claim' });
    try {
      const created = await ask(claimClient, '$aws/certificates/create/json', {});
      assert.equal(created.outcome, 'accepted', JSON.stringify(created.body));
      const { certificateId, certificatePem, privateKey, certificateOwnershipToken } = created.body as Record<string, string>;
      assert.ok(issuedBy(certificatePem!, intermediatePem), 'issued by the intermediate');
      assert.equal(idOf(certificatePem!), certificateId);
      const registered = await ask(claimClient, '$aws/provisioning-templates/factory/provision/json', { certificateOwnershipToken, parameters: { SerialNumber: '042' } });
      assert.equal(registered.body['thingName'], 'device-042', JSON.stringify(registered.body));
      const { client: device } = await connectClient(gh.urls.mqtts, { ca: rootPem, cert: certificatePem!, key: privateKey!, clientId: 'device-042' });
      await device.endAsync();
    } finally {
      await claimClient.endAsync();
    }
  });

  test('a revoked device is refused and listed in the intermediate\'s CRL, signed by the intermediate', async () => {
    const device = await onboardDevice(server(), 'agent-revoked');
    const serial = new X509Certificate(device.certificatePem).serialNumber.toUpperCase();
    const revoked = await admin(`/v1/certificates/${device.certificateId}/revoke`, {});
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    await assert.rejects(connectClient(gh.urls.mqtts, { ca: rootPem, cert: device.certificatePem, key: device.keyPem, clientId: 'agent-revoked', protocolVersion: 5 }), /Not authorized/);

    const intermediateId = idOf(intermediatePem);
    const crl = await getBytes(`https://127.0.0.1:${gh.ports.wss}/crl/${intermediateId}.crl`, rootPem);
    assert.equal(crl.status, 200);
    assert.equal(crl.type, 'application/pkix-crl');
    await writeFile(files('intermediate.crl'), crl.body);
    const checked = await run('openssl', ['crl', '-inform', 'DER', '-in', files('intermediate.crl'), '-CAfile', files('intermediate.pem'), '-noout', '-text']);
    assert.match(checked.stderr + checked.stdout, /verify OK/);
    assert.ok(checked.stdout.includes(`Serial Number: ${serial}`), checked.stdout);
    await assert.rejects(run('openssl', ['crl', '-inform', 'DER', '-in', files('intermediate.crl'), '-CAfile', files('root.pem'), '-noout']), /verify fail|issuer certificate/i, 'not signed by the root');

    const adminCrl = await fetch(`${gh.urls.admin}/v1/cas/${intermediateId}/crl?format=pem`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
    assert.equal(adminCrl.status, 200);
    await writeFile(files('intermediate-crl.pem'), await adminCrl.text());
    await writeFile(files('revoked.pem'), device.certificatePem);
    await assert.rejects(
      run('openssl', ['verify', '-crl_check', '-CAfile', files('root.pem'), '-untrusted', files('intermediate.pem'), '-CRLfile', files('intermediate-crl.pem'), files('revoked.pem')]),
      /certificate revoked/,
    );
    const unrevoked = ['-crl_check', '-CAfile', files('root.pem'), '-untrusted', files('intermediate.pem'), '-CRLfile', files('intermediate-crl.pem'), files('leaf.pem')];
    assert.match((await run('openssl', ['verify', ...unrevoked])).stdout, /leaf\.pem: OK/, 'the same CRL lets a device that is not revoked through');

    // The root's CRL is still served, signed by the root, and does not list the intermediate's device.
    const rootCrl = await getBytes(`https://127.0.0.1:${gh.ports.wss}/crl/${idOf(rootPem)}.crl`, rootPem);
    assert.equal(rootCrl.status, 200);
    await writeFile(files('root.crl'), rootCrl.body);
    const rootText = await run('openssl', ['crl', '-inform', 'DER', '-in', files('root.crl'), '-CAfile', files('root.pem'), '-noout', '-text']);
    assert.match(rootText.stderr + rootText.stdout, /verify OK/);
    assert.equal(rootText.stdout.includes(serial), false);
  });

  test('a restart with the same home keeps the same intermediate', async () => {
    await gh.stop();
    gh = await start(true);
    assert.equal(gh.running.firstRun.pki?.createdIntermediate, false);
    assert.equal(await readFile(join(home, 'pki', 'intermediate.pem'), 'utf8'), intermediatePem);
    const device = await onboardDevice(server(), 'after-restart');
    assert.ok(issuedBy(device.certificatePem, intermediatePem));
    const { client } = await connectClient(gh.urls.mqtts, { ca: rootPem, cert: device.certificatePem, key: device.keyPem, clientId: 'after-restart' });
    await client.endAsync();
  });
});
