/**
 * `gatehouse-agent diagnose` names the failing step, black-box against real parts: a Gatehouse with
 * onboarded certificates, a name that cannot resolve, a closed port, a CONNECT proxy answering 407,
 * a TLS server with another CA's certificate standing in for an intercepting proxy, an expired and a
 * revoked certificate, a clock an hour off, and a policy that denies the agent's own topics.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { runDiagnosis, type DiagnosisOptions, type DiagnosisReport, type DiagnosisStepName } from '../../packages/agent/src/diagnose/index.ts';
import { caFromPem, issueLeafCertificate, signDeviceCertificate } from '../../packages/server/src/pki/index.ts';
import { makeRootCa } from '../../packages/server/src/pki/test-fixtures.ts';
import type { TestGatehouse } from '../helpers/index.ts';
import { makeEcAgentKey, requestJson, type JsonAnswer } from '../identity/onboarding-kit.ts';
import { closedPort, onboard, startAgentGatehouse, startConnectProxy, type OnboardedDevice, type TestProxy } from './agent-kit.ts';

describe('gatehouse-agent diagnose', () => {
  let gh: TestGatehouse;
  let good: OnboardedDevice;
  /** The single agent port with ALPN mqtt: it also answers HTTPS, so the clock step reads the server's Date. */
  let endpoint: string;
  const admin = (path: string, options: { method?: string; body?: unknown } = {}): Promise<JsonAnswer> =>
    requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` }, ...options });

  before(async () => {
    gh = await startAgentGatehouse();
    good = await onboard(gh, 'diag-ok');
    endpoint = `mqtts://localhost:${gh.ports.wss}`;
  });
  after(async () => {
    await gh.stop();
  });

  /** Options for `device` at the test Gatehouse, with an empty environment (no HTTPS_PROXY of the machine). */
  const optionsFor = (device: { thing: string; certificatePem: string; keyPem: string }, extra: Partial<DiagnosisOptions> = {}): DiagnosisOptions => ({
    endpoint,
    tls: { cert: device.certificatePem, key: device.keyPem, ca: gh.caPem },
    customer: 'acme',
    device: device.thing,
    env: {},
    timeoutMs: 5000,
    ...extra,
  });

  /** Asserts `step` is the first failure, its cause matches, and every later step is skipped. */
  function assertFailedAt(report: DiagnosisReport, step: DiagnosisStepName, cause: RegExp, ask?: RegExp): void {
    const shown = JSON.stringify(report, null, 2);
    assert.equal(report.ok, false, shown);
    assert.equal(report.failedStep, step, shown);
    const index = report.steps.findIndex((s) => s.step === step);
    const failed = report.steps[index];
    assert.equal(failed?.status, 'fail', shown);
    assert.match(failed.cause, cause);
    if (ask !== undefined) assert.match(failed.ask ?? '', ask);
    assert.ok(report.steps.slice(0, index).every((s) => s.status !== 'fail'), shown);
    assert.ok(report.steps.slice(index + 1).every((s) => s.status === 'skipped'), shown);
  }

  test('every step passes for an onboarded agent, ending with a message there and back', async () => {
    const report = await runDiagnosis(optionsFor(good));
    const shown = JSON.stringify(report, null, 2);
    assert.equal(report.ok, true, shown);
    assert.deepEqual(report.steps.map((s) => `${s.step} ${s.status}`), [
      'dns pass', 'proxy skipped', 'tcp pass', 'tls pass', 'clock pass', 'client-certificate pass', 'mqtt-connect pass', 'subscribe pass', 'round-trip pass',
    ], shown);
    assert.match(report.steps.find((s) => s.step === 'clock')?.cause ?? '', /the server's clock/);
    assert.match(report.steps.find((s) => s.step === 'round-trip')?.cause ?? '', /^Published to acme\/diag-ok\/diagnose\/[0-9a-f]+ and received it back/);
  });

  test('wrong host name: the DNS step', async () => {
    const report = await runDiagnosis(optionsFor(good, { endpoint: `mqtts://nonexistent.invalid:${gh.ports.wss}` }));
    assertFailedAt(report, 'dns', /Cannot resolve nonexistent\.invalid/);
  });

  test('closed port: the TCP step, refused, naming the rule to ask for', async () => {
    const port = await closedPort();
    const report = await runDiagnosis(optionsFor(good, { endpoint: `mqtts://127.0.0.1:${port}` }));
    assertFailedAt(report, 'tcp', new RegExp(`127\\.0\\.0\\.1:${port} refused the connection`), new RegExp(`allow outbound TCP ${port} to 127\\.0\\.0\\.1`));
  });

  describe('through a proxy', () => {
    let proxy: TestProxy;
    before(async () => {
      proxy = await startConnectProxy('agent', 'right-password');
    });
    after(async () => {
      await proxy.close();
    });

    test('proxy refusing the credentials (407): the proxy step, without the password', async () => {
      const wrong = proxy.url.replace('right-password', 'wrong-password');
      const report = await runDiagnosis(optionsFor(good, { env: { HTTPS_PROXY: wrong } }));
      assertFailedAt(report, 'proxy', /refused the credentials \(407 Proxy Authentication Required\)/, /credentials were refused/);
      assert.deepEqual(proxy.connects.at(-1), { target: `localhost:${gh.ports.wss}`, authorized: false });
      assert.doesNotMatch(JSON.stringify(report), /wrong-password/);
    });

    test('with the right credentials every step passes through the tunnel', async () => {
      const report = await runDiagnosis(optionsFor(good, { env: { HTTPS_PROXY: proxy.url } }));
      assert.equal(report.ok, true, JSON.stringify(report, null, 2));
      assert.match(report.steps.find((s) => s.step === 'proxy')?.cause ?? '', /opened a tunnel to localhost:\d+/);
      assert.ok(proxy.connects.some((c) => c.authorized), 'the proxy carried the diagnosis');
    });
  });

  test('TLS interception by an untrusted CA: the TLS step names the issuer presented', async () => {
    const corp = await makeRootCa('Corp Proxy CA');
    const leaf = await issueLeafCertificate({ caCertPem: corp.certificatePem, caKeyPem: corp.privateKeyPem, commonName: 'localhost', days: 1, usage: 'server', altNames: ['localhost', '127.0.0.1'] });
    const interceptor: TlsServer = createTlsServer({ cert: `${leaf.certPem.trimEnd()}\n${corp.certificatePem}`, key: leaf.keyPem }, (socket) => socket.destroy());
    interceptor.on('tlsClientError', () => undefined);
    interceptor.listen(0, '127.0.0.1');
    await once(interceptor, 'listening');
    try {
      const port = (interceptor.address() as AddressInfo).port;
      const report = await runDiagnosis(optionsFor(good, { endpoint: `mqtts://localhost:${port}` }));
      assertFailedAt(report, 'tls', /issued by 'Corp Proxy CA', not by your Gatehouse CA '.+': a TLS-inspecting proxy is in the way/, new RegExp(`exempt localhost:${port} from TLS inspection`));
    } finally {
      interceptor.close();
    }
  });

  test('expired certificate: the client-certificate step, before connecting', async () => {
    const ca = await caFromPem({ certificatePem: gh.caPem, privateKeyPem: gh.caKeyPem });
    const key = await makeEcAgentKey();
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
    const signed = await signDeviceCertificate({ ca, csr: key.csrPem, commonName: 'diag-expired', days: 1, now: threeDaysAgo });
    const report = await runDiagnosis(optionsFor({ thing: 'diag-expired', certificatePem: signed.certificatePem, keyPem: key.keyPem }));
    assertFailedAt(report, 'client-certificate', new RegExp(`certificate \\(CN=diag-expired, serial [0-9a-f]+\\) expired at ${signed.notAfter.toISOString()}`), /register this agent again/);
  });

  test('revoked certificate: the client-certificate step, from the server\'s CONNACK reason', async () => {
    const revoked = await onboard(gh, 'diag-revoked');
    assert.equal((await admin(`/v1/certificates/${revoked.certificateId}/revoke`, { method: 'POST' })).status, 200);
    const report = await runDiagnosis(optionsFor(revoked));
    assertFailedAt(report, 'client-certificate', new RegExp(`server refused this agent's certificate .*Certificate ${revoked.certificateId.slice(0, 12)} is REVOKED`));
  });

  test('clock an hour behind: the clock step, and certificates look not yet valid by it', async () => {
    const report = await runDiagnosis(optionsFor(good, { now: () => Date.now() - 3_600_000 }));
    assertFailedAt(report, 'clock', /clock is 60 min behind the server's clock; by it .*this agent's certificate is not yet valid/, /NTP/);
  });

  test('clock an hour ahead: the clock step', async () => {
    const report = await runDiagnosis(optionsFor(good, { now: () => Date.now() + 3_600_000 }));
    assertFailedAt(report, 'clock', /clock is 60 min ahead of the server's clock/);
  });

  test('a policy that denies its topics: the subscribe step, SUBACK 0x87', async () => {
    const denied = await onboard(gh, 'diag-denied');
    const document = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:*', Resource: '*' },
        { Effect: 'Deny', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topicfilter/acme/diag-denied/*' },
      ],
    };
    assert.equal((await admin('/v1/tenants/default/policies/diag-deny', { method: 'PUT', body: { policyDocument: document } })).status, 201);
    assert.equal((await admin(`/v1/tenants/default/policies/diag-deny/targets/certificate/${denied.certificateId}`, { method: 'PUT' })).status, 204);
    const report = await runDiagnosis(optionsFor(denied));
    assertFailedAt(report, 'subscribe', /policy denies subscribing to acme\/diag-denied\/# \(SUBACK 0x87\)/, /iot:Subscribe/);
  });
});
