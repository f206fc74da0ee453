// Onboarding end to end: the admin API mints a token, an agent trades it and its CSR for a
// certificate at POST /v1/register on the WSS port, then connects over mqtts with that certificate.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTokenSigningKey, importTokenSigningKey, mintRegistrationToken } from '../../packages/server/src/auth/index.ts';
import { connectClient, startGatehouse, type TestGatehouse } from '../helpers/index.ts';
import { makeEcAgentKey, makeRsaCsr, requestJson, tamperCsrSignature, type JsonAnswer } from './onboarding-kit.ts';

describe('onboarding by token and CSR', () => {
  let gh: TestGatehouse;
  let registerUrl: string;
  const admin = (path: string, body?: unknown): Promise<JsonAnswer> =>
    requestJson(`${gh.urls.admin}${path}`, { headers: { authorization: `Bearer ${gh.adminKey}` }, ...(body === undefined ? {} : { body }) });
  const register = (body: unknown): Promise<JsonAnswer> => requestJson(registerUrl, { body, ca: gh.caPem });
  const mint = async (thing: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const answer = await admin('/v1/tokens', { thing, ...extra });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return String(answer.body['token']);
  };
  const certificateCount = async (): Promise<number> => ((await admin('/v1/certificates')).body['items'] as unknown[]).length;

  before(async () => {
    gh = await startGatehouse({ store: 'sqlite' });
    registerUrl = `https://127.0.0.1:${gh.ports.wss}/v1/register`;
  });
  after(() => gh.stop());

  test('a token and a CSR become a certificate that chains to the CA and connects over mqtts', async () => {
    const minted = await admin('/v1/tokens', { thing: 'agent-7', attributes: { site: 'lyon' } });
    assert.equal(minted.status, 201);
    assert.equal(minted.body['endpoint'], registerUrl);
    assert.equal(minted.body['tenant'], 'default');
    assert.ok(Date.parse(String(minted.body['expiresAt'])) - Date.now() > 890_000, 'default lifetime is 15 minutes');

    const agent = await makeEcAgentKey('CN=not-the-thing-name');
    const answer = await register({ token: minted.body['token'], csr: agent.csrPem });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.body['thingName'], 'agent-7');
    assert.equal(answer.body['tenant'], 'default');
    assert.deepEqual(answer.body['endpoints'], { mqtts: gh.urls.mqtts, wss: gh.urls.wss });
    assert.equal(answer.body['caCertificatePem'], new X509Certificate(gh.caPem).toString());

    const certificatePem = String(answer.body['certificatePem']);
    const certificate = new X509Certificate(certificatePem);
    assert.equal(certificate.subject, 'CN=agent-7', 'Gatehouse sets the subject, whatever the CSR said');
    assert.ok(certificate.verify(new X509Certificate(gh.caPem).publicKey), 'signed by the Gatehouse CA');
    assert.ok(certificate.checkIssued(new X509Certificate(gh.caPem)));
    assert.equal(certificate.fingerprint256.replaceAll(':', '').toLowerCase(), answer.body['certificateId']);

    const shown = await admin(`/v1/certificates/${String(answer.body['certificateId'])}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body['status'], 'ACTIVE');
    assert.equal(shown.body['thing'], 'agent-7');
    assert.equal(shown.body['issuedBy'], 'register');
    const listed = await admin('/v1/certificates?thing=agent-7&status=ACTIVE');
    assert.deepEqual((listed.body['items'] as Array<{ id: string }>).map((c) => c.id), [answer.body['certificateId']]);

    const received: string[] = [];
    const { client } = await connectClient(gh.urls.mqtts, { ca: gh.caPem, cert: certificatePem, key: agent.keyPem, clientId: 'agent-7' }, (_topic, payload) => received.push(payload.toString()));
    try {
      await client.subscribeAsync('default/agent-7/config', { qos: 1 });
      await client.publishAsync('default/agent-7/config', 'hello from a registered agent', { qos: 1 });
      const deadline = Date.now() + 3000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(received, ['hello from a registered agent']);
    } finally {
      await client.endAsync();
    }
  });

  test('a used token is refused with 409 and issues nothing', async () => {
    const token = await mint('agent-used');
    const first = await register({ token, csr: (await makeEcAgentKey()).csrPem });
    assert.equal(first.status, 201);
    const count = await certificateCount();
    const second = await register({ token, csr: (await makeEcAgentKey()).csrPem });
    assert.equal(second.status, 409);
    assert.equal(second.body['code'], 'REGISTRATION_TOKEN_USED');
    assert.match(String(second.body['message']), /already used/);
    assert.equal(await certificateCount(), count);
  });

  test('two concurrent registrations with one token: exactly one certificate', async () => {
    const token = await mint('agent-race');
    const count = await certificateCount();
    const csrs = await Promise.all([makeEcAgentKey(), makeEcAgentKey(), makeEcAgentKey(), makeEcAgentKey()]);
    const answers = await Promise.all(csrs.map((agent) => register({ token, csr: agent.csrPem })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409, 409, 409]);
    assert.equal(await certificateCount(), count + 1);
  });

  test('an expired, a forged and a malformed token are refused with 401', async () => {
    const count = await certificateCount();
    const { csrPem } = await makeEcAgentKey();
    const signingKey = await importTokenSigningKey(JSON.parse(await readFile(join(gh.home, 'token-signing-key.json'), 'utf8')));
    const expired = await mintRegistrationToken({ signingKey, tenant: 'default', thing: 'agent-old', endpoint: registerUrl, ttlSeconds: 60, now: new Date(Date.now() - 3600_000) });
    await gh.running.identity.recordToken({ jti: expired.jti, tenant: 'default', thing: 'agent-old', expiresAt: expired.expiresAt.getTime(), createdAt: Date.now() - 3600_000 });
    const expiredAnswer = await register({ token: expired.token, csr: csrPem });
    assert.equal(expiredAnswer.status, 401);
    assert.equal(expiredAnswer.body['code'], 'REGISTRATION_TOKEN_INVALID');
    assert.match(String(expiredAnswer.body['message']), /expired/);

    const forger = await createTokenSigningKey();
    const forged = await mintRegistrationToken({ signingKey: forger, tenant: 'default', thing: 'agent-evil', endpoint: registerUrl, now: new Date() });
    const forgedAnswer = await register({ token: forged.token, csr: csrPem });
    assert.equal(forgedAnswer.status, 401);
    assert.match(String(forgedAnswer.body['message']), /not signed by this Gatehouse/);

    const garbage = await register({ token: 'not.a.jwt', csr: csrPem });
    assert.equal(garbage.status, 401);
    assert.equal(await certificateCount(), count);
  });

  test("another tenant's token is refused with 403 and stays usable for its tenant", async () => {
    const token = await mint('agent-acme', { tenant: 'acme' });
    const { csrPem } = await makeEcAgentKey();
    const refused = await register({ token, csr: csrPem, tenant: 'globex' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body['code'], 'FORBIDDEN');
    assert.match(String(refused.body['message']), /another tenant/);
    const accepted = await register({ token, csr: csrPem, tenant: 'acme' });
    assert.equal(accepted.status, 201);
    assert.equal(accepted.body['tenant'], 'acme');
    const acme = await admin('/v1/certificates?tenant=acme');
    assert.equal((acme.body['items'] as unknown[]).length, 1, 'listed under its own tenant');
  });

  test('a CSR with a bad signature or a weak key is refused with 400 and does not burn the token', async () => {
    const token = await mint('agent-csr');
    const count = await certificateCount();
    const badSignature = await register({ token, csr: tamperCsrSignature((await makeEcAgentKey()).csrPem) });
    assert.equal(badSignature.status, 400);
    assert.equal(badSignature.body['code'], 'CSR_REJECTED');
    assert.match(String(badSignature.body['message']), /CSR signature does not verify/);

    const weak = await register({ token, csr: await makeRsaCsr(1024) });
    assert.equal(weak.status, 400);
    assert.match(String(weak.body['message']), /RSA key of 1024 bits is too weak/);

    const notCsr = await register({ token, csr: 'hello' });
    assert.equal(notCsr.status, 400);
    assert.equal(await certificateCount(), count);

    const good = await register({ token, csr: (await makeEcAgentKey()).csrPem });
    assert.equal(good.status, 201, 'the token survived the refused CSRs');
  });

  test('bad requests: missing fields, oversized body, no admin key for tokens', async () => {
    const missing = await register({ token: 'x' });
    assert.equal(missing.status, 400);
    assert.equal(missing.body['code'], 'BAD_REQUEST');
    const huge = await register({ token: 'x', csr: 'a'.repeat(70 * 1024) });
    assert.equal(huge.status, 413);
    const noKey = await requestJson(`${gh.urls.admin}/v1/tokens`, { body: { thing: 'agent-x' } });
    assert.equal(noKey.status, 401);
    const badThing = await admin('/v1/tokens', { thing: 'no spaces allowed' });
    assert.equal(badThing.status, 400);
    const unknown = await admin(`/v1/certificates/${'0'.repeat(64)}`);
    assert.equal(unknown.status, 404);
    // The WebSocket path still answers as before.
    const mqttPath = await requestJson(`https://127.0.0.1:${gh.ports.wss}/nothing-here`, { ca: gh.caPem }).catch(() => undefined);
    assert.equal(mqttPath?.status, 404);
  });

  test("a token naming a provisioning template: the thing, policy and device configuration come from it", async () => {
    const putTemplate = (body: unknown) => requestJson(`${gh.urls.admin}/v1/tenants/default/provisioning-templates/agents`, {
      method: 'PUT', headers: { authorization: `Bearer ${gh.adminKey}` }, body: { templateBody: body },
    });
    const token = await mint('agent-tpl', { template: 'agents', attributes: { site: 'lyon', rack: 'r7' } });
    const { csrPem } = await makeEcAgentKey();
    const missing = await register({ token, csr: csrPem });
    assert.equal(missing.status, 400, JSON.stringify(missing.body));
    assert.equal(missing.body['code'], 'PROVISIONING_FAILED');
    assert.match(String(missing.body['message']), /provisioning template "agents", which tenant "default" does not have/);
    assert.deepEqual((await admin('/v1/certificates?thing=agent-tpl')).body['items'], [], 'nothing registered');

    const created = await putTemplate({
      Parameters: { ThingName: { Type: 'String' }, site: { Type: 'String' }, tier: { Type: 'String', Default: 'edge' } },
      Resources: {
        thing: {
          Type: 'AWS::IoT::Thing',
          Properties: {
            ThingName: { Ref: 'ThingName' },
            AttributePayload: { site: { Ref: 'site' }, tier: { Ref: 'tier' } },
            ThingGroups: [{ 'Fn::Join': ['-', ['site', { Ref: 'site' }]] }],
          },
        },
        certificate: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' } },
        policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}' } },
      },
      DeviceConfiguration: { configTopic: { 'Fn::Sub': 'default/${ThingName}/config' }, site: { Ref: 'site' } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const answer = await register({ token, csr: csrPem });
    assert.equal(answer.status, 201, `the refused attempt left the token usable: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body['thingName'], 'agent-tpl');
    assert.deepEqual(answer.body['deviceConfiguration'], { configTopic: 'default/agent-tpl/config', site: 'lyon' });
    const certificateId = String(answer.body['certificateId']);
    const thing = await gh.running.identity.getThing('default', 'agent-tpl');
    assert.deepEqual(thing?.attributes, { site: 'lyon', tier: 'edge' }, 'only what the template declares, not the undeclared "rack"');
    assert.deepEqual(thing?.groups, ['site-lyon']);
    const policies = await gh.running.identity.listAttachedPolicies('default', { kind: 'certificate', id: certificateId });
    assert.equal(policies.length, 1);
    assert.equal((await admin(`/v1/certificates/${certificateId}`)).body['thing'], 'agent-tpl');

    const plain = await register({ token: await mint('agent-plain', { attributes: { site: 'nice' }, groups: ['b', 'a'] }), csr: csrPem });
    assert.deepEqual(plain.body['deviceConfiguration'], {});
    const plainThing = await gh.running.identity.getThing('default', 'agent-plain');
    assert.deepEqual([plainThing?.attributes, plainThing?.groups], [{ site: 'nice' }, ['a', 'b']]);
  });

  test('the OpenAPI document lists the identity routes', async () => {
    const doc = await admin('/openapi.json');
    const paths = Object.keys((doc.body['paths'] ?? {}) as Record<string, unknown>);
    for (const path of ['/v1/tokens', '/v1/certificates', '/v1/certificates/{id}']) assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
  });
});
