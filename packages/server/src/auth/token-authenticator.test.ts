import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { silentLogger, type PeerInfo } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import { parseAuthorizerKeys } from './authorizer-keys.js';
import type { ConnectDecision, CredentialConnectEvent } from './connect-decision.js';
import { createTokenAuthenticator, type TokenAuthorizer } from './token-authenticator.js';

const now = Date.parse('2025-03-01T10:00:00Z');
const seconds = (s: number): number => Math.floor(now / 1000) + s;
const es = await generateKeyPair('ES256', { extractable: true });
const other = await generateKeyPair('ES256');
const saas: TokenAuthorizer = {
  name: 'saas', keys: [{ ...(await exportJWK(es.publicKey)), kid: 'k1' } as JWK], tokenKeyName: 'token',
  issuer: 'https://saas.example.com', audience: 'gatehouse', tenantClaim: 'tenant', thingClaim: 'thing',
};
const authenticate = createTokenAuthenticator({ authorizers: [saas], defaultTenant: 'default', logger: silentLogger(), now: () => now });

const tcp: PeerInfo = { transport: 'tls', remoteAddress: '203.0.113.9', remotePort: 50000, localPort: 443, listener: 'mqtts' };
const ws = (url: string, headers: Record<string, string> = {}): PeerInfo => ({ ...tcp, transport: 'wss', listener: 'wss', request: { url, headers } });

async function token(claims: Record<string, unknown>, options: { aud?: string; exp?: number; key?: Parameters<SignJWT['sign']>[0] } = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('https://saas.example.com')
    .setAudience(options.aud ?? 'gatehouse').setExpirationTime(options.exp ?? seconds(300)).sign(options.key ?? es.privateKey);
}

function event(fields: Partial<CredentialConnectEvent>): CredentialConnectEvent {
  return { clientId: 'agent-7', peer: tcp, ...fields };
}

function denied(decision: ConnectDecision, pattern: RegExp): void {
  assert.equal(decision.kind, 'deny', JSON.stringify(decision));
  if (decision.kind !== 'deny') return;
  assert.equal(decision.reasonCode, ReasonCode.NotAuthorized);
  assert.match(decision.reason, pattern);
}

describe('createTokenAuthenticator', () => {
  it('admits a JWT in the CONNECT username, SDK metrics stripped, and maps its claims to the principal', async () => {
    const jwt = await token({ tenant: 'acme', thing: 'agent-7', client_id: 'agent-7*', sub: 'dev-42', roles: ['x'] });
    const decision = await authenticate(event({ username: `?x-amz-customauthorizer-name=saas&x-amz-customauthorizer-signature=abc%3D&token=${jwt}?SDK=JavaScript&Version=1.0` }));
    assert.deepEqual(decision, {
      kind: 'allow',
      principal: {
        kind: 'token', tenant: 'acme', thingName: 'agent-7', clientId: 'agent-7', sourceIp: '203.0.113.9',
        attributes: { tenant: 'acme', thing: 'agent-7', client_id: 'agent-7*', sub: 'dev-42', iss: 'https://saas.example.com', aud: 'gatehouse', authorizerName: 'saas' },
      },
    });
  });

  it('reads the token from the WebSocket query string, from headers, and from the password', async () => {
    const jwt = await token({ thing: 'agent-7' });
    const fromQuery = await authenticate(event({ peer: ws(`/mqtt?x-amz-customauthorizer-name=saas&token=${jwt}`) }));
    assert.equal(fromQuery.kind === 'allow' && fromQuery.principal.tenant, 'default', 'no tenant claim: the default tenant');
    const fromHeaders = await authenticate(event({ peer: ws('/mqtt', { 'x-amz-customauthorizer-name': 'saas', token: jwt }) }));
    assert.equal(fromHeaders.kind === 'allow' && fromHeaders.principal.thingName, 'agent-7');
    const fromPassword = await authenticate(event({ username: '?x-amz-customauthorizer-name=saas', password: Buffer.from(jwt) }));
    assert.equal(fromPassword.kind, 'allow');
    const unnamed = await authenticate(event({ username: `device?token=${jwt}` }));
    assert.equal(unnamed.kind, 'allow', 'without a name, the authorizer whose token key is present');
  });

  it('defers when no authorizer input is present', async () => {
    assert.deepEqual(await authenticate(event({})), { kind: 'defer' });
    assert.deepEqual(await authenticate(event({ username: 'alice', password: Buffer.from('secret') })), { kind: 'defer' });
    assert.deepEqual(await authenticate(event({ username: '?SDK=JavaScript&Version=2.2.15' })), { kind: 'defer' });
    assert.deepEqual(await authenticate(event({ peer: ws('/mqtt?foo=bar', { host: 'x' }) })), { kind: 'defer' });
  });

  it('refuses unknown authorizers, missing, forged, expired and wrong-audience tokens, and other client ids', async () => {
    const user = (jwt: string, name = 'saas'): CredentialConnectEvent => event({ username: `?x-amz-customauthorizer-name=${name}&token=${jwt}` });
    denied(await authenticate(user(await token({}), 'nope')), /no token authorizer is named "nope"/);
    denied(await authenticate(event({ username: '?x-amz-customauthorizer-name=saas' })), /no token was sent/);
    denied(await authenticate(user(await token({}, { key: other.privateKey }))), /signature does not verify/);
    denied(await authenticate(user(await token({}, { exp: seconds(-60) }))), /has expired/);
    denied(await authenticate(user(await token({}, { aud: 'someone-else' }))), /another audience/);
    denied(await authenticate(user('not-a-jwt')), /malformed/);
    denied(await authenticate(user(await token({ client_id: 'agent-8' }))), /client id "agent-7" is not one the token allows \("agent-8"\)/);
  });

  it('never puts the token in the refusal', async () => {
    const jwt = await token({}, { exp: seconds(-60) });
    const decision = await authenticate(event({ username: `?x-amz-customauthorizer-name=saas&token=${jwt}` }));
    assert.equal(decision.kind === 'deny' && decision.reason.includes(jwt.slice(0, 20)), false);
  });
});

describe('parseAuthorizerKeys', () => {
  it('reads PEM public keys, certificates and JWKS, and names the file when it cannot', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pems = [rsa.publicKey.export({ type: 'spki', format: 'pem' }), ec.publicKey.export({ type: 'spki', format: 'pem' })].join('\n');
    assert.deepEqual(parseAuthorizerKeys(pems, 'keys.pem').map((key) => key.kty), ['RSA', 'EC']);
    const jwks = JSON.stringify({ keys: [ec.publicKey.export({ format: 'jwk' })] });
    assert.equal(parseAuthorizerKeys(jwks, 'keys.json')[0]?.crv, 'P-256');
    const privatePem = String(ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    assert.throws(() => parseAuthorizerKeys(privatePem, 'keys.pem'), /keys\.pem: holds a private key/);
    assert.throws(() => parseAuthorizerKeys(JSON.stringify({ keys: [ec.privateKey.export({ format: 'jwk' })] }), 'k.json'), /k\.json: auth token keys must be public keys/);
    assert.throws(() => parseAuthorizerKeys('{"keys": ', 'k.json'), /k\.json: not valid JSON/);
    assert.throws(() => parseAuthorizerKeys('hello', 'k.txt'), /k\.txt: holds no PEM public key/);
  });
});
