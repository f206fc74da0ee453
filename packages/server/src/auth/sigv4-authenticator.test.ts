import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { silentLogger, type PeerInfo } from '../core/index.js';
import { MemoryIdentityStore, type CertificateRecord, type IdentityStore } from '../store/index.js';
import type { ConnectDecision } from './connect-decision.js';
import { createSigV4Authenticator } from './sigv4-authenticator.js';
import { presignWebSocketUrl } from './sigv4-presign.js';
import { issueTemporaryCredentials } from './temporary-credentials.js';

const secret = randomBytes(32);
const now = Date.parse('2026-03-01T10:00:00Z');
const host = 'gatehouse.example.com:8443';
const certificateId = 'ab'.repeat(32);

function record(changes: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    id: certificateId, tenant: 'acme', thing: 'agent-7', status: 'ACTIVE', certificatePem: '(not read)', caId: 'cd'.repeat(32),
    serialNumber: '01', subject: 'CN=agent-7', notBefore: now - 86_400_000, notAfter: now + 86_400_000,
    issuedBy: 'register', createdAt: now, updatedAt: now, ...changes,
  };
}

/** A WebSocket peer whose upgrade URL was presigned with fresh credentials for the certificate. */
function signedPeer(options: { issuedAt?: number; secretAccessKey?: string } = {}): PeerInfo {
  const { credentials } = issueTemporaryCredentials({
    secret, principal: { tenant: 'acme', thing: 'agent-7', certificateId }, roleAlias: 'agent-role', ttlSeconds: 900, now: new Date(options.issuedAt ?? now),
  });
  const url = new URL(presignWebSocketUrl({
    host, region: 'us-east-1', accessKeyId: credentials.accessKeyId, secretAccessKey: options.secretAccessKey ?? credentials.secretAccessKey,
    sessionToken: credentials.sessionToken, now: new Date(now),
  }));
  return peerWith(`${url.pathname}${url.search}`);
}

function peerWith(url: string): PeerInfo {
  return { transport: 'wss', remoteAddress: '203.0.113.9', remotePort: 50000, localPort: 8443, listener: 'wss', request: { url, headers: { host } } };
}

describe('createSigV4Authenticator', () => {
  let identity: MemoryIdentityStore;

  before(async () => {
    identity = new MemoryIdentityStore();
    await identity.open();
    await identity.putCertificate(record());
  });

  function check(peer: PeerInfo, store: IdentityStore = identity): Promise<ConnectDecision> {
    return createSigV4Authenticator({ identity: store, logger: silentLogger(), secrets: [secret], now: () => now })({ clientId: 'client-7', peer });
  }

  it('defers connections that are not WebSockets, or whose URL carries no signature', async () => {
    assert.deepEqual(await check({ transport: 'tls', remoteAddress: '203.0.113.9', remotePort: 1, localPort: 8883, listener: 'mqtts' }), { kind: 'defer' });
    assert.deepEqual(await check(peerWith('/mqtt')), { kind: 'defer' });
    assert.deepEqual(await check(peerWith('/mqtt?x-amz-customauthorizer-name=a')), { kind: 'defer' });
  });

  it('allows a valid presigned URL as the certificate\'s thing, with the role alias', async () => {
    assert.deepEqual(await check(signedPeer()), {
      kind: 'allow',
      principal: {
        kind: 'sigv4', tenant: 'acme', thingName: 'agent-7', certificateId, certificateNotAfter: record().notAfter, clientId: 'client-7', sourceIp: '203.0.113.9', attributes: { roleAlias: 'agent-role' },
      },
    });
  });

  it('refuses a wrong signature, expired credentials and an unknown key with 0x87 and the cause', async () => {
    const wrong = await check(signedPeer({ secretAccessKey: 'x'.repeat(40) }));
    assert.equal(wrong.kind === 'deny' && wrong.reasonCode, 0x87);
    assert.match(wrong.kind === 'deny' ? wrong.reason : '', /signature does not match/);
    const expired = await check(signedPeer({ issuedAt: now - 3600_000 }));
    assert.match(expired.kind === 'deny' ? expired.reason : '', /temporary credentials have expired/);
    const other = createSigV4Authenticator({ identity, logger: silentLogger(), secrets: [randomBytes(32)], now: () => now });
    const unknown = await other({ clientId: 'client-7', peer: signedPeer() });
    assert.match(unknown.kind === 'deny' ? unknown.reason : '', /access key is unknown/);
  });

  it('refuses when the certificate behind the credentials is no longer ACTIVE, registered or in its tenant', async () => {
    for (const [changes, pattern] of [[{ status: 'REVOKED' }, /is REVOKED/], [{ tenant: 'other' }, /another tenant/], [{ notAfter: now - 1 }, /outside its validity/]] as const) {
      const store = new MemoryIdentityStore();
      await store.open();
      await store.putCertificate(record(changes));
      const decision = await check(signedPeer(), store);
      assert.equal(decision.kind, 'deny');
      assert.match(decision.kind === 'deny' ? decision.reason : '', pattern);
    }
    const empty = new MemoryIdentityStore();
    await empty.open();
    const decision = await check(signedPeer(), empty);
    assert.match(decision.kind === 'deny' ? decision.reason : '', /no longer registered/);
  });

  it('refuses with 0x88 Server unavailable when the store fails', async () => {
    const broken = Object.create(identity) as IdentityStore;
    broken.getCertificate = async () => {
      throw new Error('database is gone');
    };
    const decision = await check(signedPeer(), broken);
    assert.deepEqual(decision, { kind: 'deny', reasonCode: 0x88, reason: 'Cannot authenticate with SigV4 now: the identity store is unavailable' });
  });
});
