import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { callPreProvisioningHook, readHookAnswer, templateArn, type PreProvisioningHookInput } from './pre-provisioning-hook.js';

const input: PreProvisioningHookInput = {
  claimCertificateId: 'claim', certificateId: 'new', certificatePem: 'PEM', templateArn: templateArn('acme', 'factory'), clientId: 'device-1', parameters: { SerialNumber: '42' },
};

test('only allowProvisioning: true allows; overrides must be text', () => {
  assert.deepEqual(readHookAnswer({ allowProvisioning: true }), { allowed: true, parameterOverrides: {} });
  assert.deepEqual(readHookAnswer({ allowProvisioning: true, parameterOverrides: { Location: 'Lyon' } }), { allowed: true, parameterOverrides: { Location: 'Lyon' } });
  for (const answer of [{ allowProvisioning: false }, { allowProvisioning: 'true' }, {}, [], null, 'yes', { allowProvisioning: true, parameterOverrides: { n: 1 } }]) {
    assert.equal(readHookAnswer(answer).allowed, false, JSON.stringify(answer));
  }
  assert.equal(templateArn('acme', 'factory'), 'arn:gatehouse:iot::acme:provisioningtemplate/factory');
});

let received: unknown[] = [];
let respond: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    received.push({ method: req.method, type: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString()) });
    respond(req, res);
  });
});
let url = '';
before(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test('the hook gets AWS\'s input as a JSON POST, and its overrides come back', async () => {
  received = [];
  respond = (_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ allowProvisioning: true, parameterOverrides: { SerialNumber: '43' } }));
  assert.deepEqual(await callPreProvisioningHook(url, input), { allowed: true, parameterOverrides: { SerialNumber: '43' } });
  assert.deepEqual(received, [{ method: 'POST', type: 'application/json', body: input }]);
});

test('a refusal, an HTTP error, non-JSON, a huge answer, silence or no server all deny', async () => {
  const cases: Array<[string, (req: IncomingMessage, res: ServerResponse) => void, RegExp]> = [
    ['refusal', (_req, res) => res.end('{"allowProvisioning":false}'), /allowProvisioning: false/],
    ['HTTP 500', (_req, res) => res.writeHead(500).end('{"allowProvisioning":true}'), /HTTP 500/],
    ['not JSON', (_req, res) => res.end('allow'), /did not answer JSON/],
    ['huge', (_req, res) => res.end(JSON.stringify({ allowProvisioning: true, pad: 'x'.repeat(70_000) })), /more than 65536 bytes/],
    ['silence', () => undefined, /did not answer within 200 ms/],
  ];
  for (const [name, handler, reason] of cases) {
    respond = handler;
    const verdict = await callPreProvisioningHook(url, input, { timeoutMs: 200 });
    assert.equal(verdict.allowed, false, name);
    assert.match(verdict.allowed ? '' : verdict.reason, reason, name);
  }
  server.closeAllConnections();
  const closed = createServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/hook`;
  closed.close();
  await once(closed, 'close');
  const verdict = await callPreProvisioningHook(deadUrl, input, { timeoutMs: 1000 });
  assert.equal(verdict.allowed, false);
  assert.match(verdict.allowed ? '' : verdict.reason, /could not be reached/);
});
