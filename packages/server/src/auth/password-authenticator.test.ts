import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { silentLogger, type PeerInfo } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import type { CredentialConnectEvent } from './connect-decision.js';
import { createPasswordAuthenticator } from './password-authenticator.js';
import { parsePasswordFile, type PasswordUser } from './password-file.js';
import { hashPassword } from './password-hash.js';

const peer: PeerInfo = { transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 50000, localPort: 1883, listener: 'mqtt' };
const cheap = { N: 1024, r: 8, p: 1 };

function event(username: string | undefined, password: string | undefined): CredentialConnectEvent {
  return { clientId: 'dev-1', peer, ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password: Buffer.from(password) }) };
}

describe('createPasswordAuthenticator', () => {
  let users: PasswordUser[];
  before(async () => {
    users = [
      { username: 'alice', passwordHash: await hashPassword('wonderland', cheap), tenant: 'acme', thing: 'agent-7' },
      { username: 'bob', passwordHash: await hashPassword('builder', cheap) },
    ];
  });

  it('admits a known user with the right password, SDK metrics stripped from the username', async () => {
    const authenticate = createPasswordAuthenticator({ users, defaultTenant: 'default', logger: silentLogger() });
    assert.deepEqual(await authenticate(event('alice?SDK=JavaScript&Version=2.2.15', 'wonderland')), {
      kind: 'allow',
      principal: { kind: 'password', tenant: 'acme', thingName: 'agent-7', clientId: 'dev-1', sourceIp: '127.0.0.1', attributes: { username: 'alice' } },
    });
    const bob = await authenticate(event('bob', 'builder'));
    assert.equal(bob.kind === 'allow' && bob.principal.tenant, 'default');
  });

  it('refuses a wrong password and an unknown user alike with 0x86', async () => {
    const authenticate = createPasswordAuthenticator({ users, defaultTenant: 'default', logger: silentLogger() });
    const expected = { kind: 'deny', reasonCode: ReasonCode.BadUserNameOrPassword, reason: 'Bad user name or password' };
    assert.deepEqual(await authenticate(event('alice', 'builder')), expected);
    assert.deepEqual(await authenticate(event('mallory', 'wonderland')), expected);
    assert.deepEqual(await authenticate(event('alice', '')), expected);
  });

  it('defers without a username and password, and for custom-authorizer usernames', async () => {
    const authenticate = createPasswordAuthenticator({ users, defaultTenant: 'default', logger: silentLogger() });
    assert.deepEqual(await authenticate(event(undefined, undefined)), { kind: 'defer' });
    assert.deepEqual(await authenticate(event('alice', undefined)), { kind: 'defer' });
    assert.deepEqual(await authenticate(event(undefined, 'wonderland')), { kind: 'defer' });
    assert.deepEqual(await authenticate(event('?SDK=JavaScript', 'wonderland')), { kind: 'defer' });
    assert.deepEqual(await authenticate(event('?x-amz-customauthorizer-name=saas', 'eyJ...')), { kind: 'defer' });
  });
});

describe('parsePasswordFile', () => {
  it('reads users and names the file and entry of a bad one, never its hash', async () => {
    const hash = await hashPassword('x', cheap);
    assert.deepEqual(parsePasswordFile(JSON.stringify([{ username: 'a', passwordHash: hash, tenant: 't', thing: 'n' }]), 'p.json'), [
      { username: 'a', passwordHash: hash, tenant: 't', thing: 'n' },
    ]);
    const bad = (entries: unknown, pattern: RegExp): void => {
      assert.throws(() => parsePasswordFile(typeof entries === 'string' ? entries : JSON.stringify(entries), 'p.json'), (error: Error) => {
        assert.match(error.message, pattern);
        assert.equal(error.message.includes(hash.slice(-20)) || error.message.includes('AAAAAAAA'), false, 'the message must not carry the hash');
        return true;
      });
    };
    bad('not json', /auth\.passwordsFile p\.json: not valid JSON/);
    bad({ username: 'a' }, /expected a JSON array/);
    bad([{ username: 'a', passwordHash: hash }, { username: 'a', passwordHash: hash }], /entry 1 \("a"\) repeats a username/);
    bad([{ username: 'a', passwordHash: '$scrypt$N=3,r=8,p=1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==' }], /entry 0 \("a"\) has a bad "passwordHash": scrypt cost/);
    bad([{ username: 'a', passwordHash: 'plain' }], /entry 0 \("a"\) has a bad "passwordHash"/);
    bad([{ username: 'a', password: 'plain' }], /entry 0 \("a"\) has an unknown key "password"/);
    bad([{ username: 'a?b', passwordHash: hash }], /entry 0 needs a non-empty "username" without "\?"/);
    bad([{ username: 'a', passwordHash: hash, tenant: '' }], /entry 0 \("a"\) has a "tenant" that is not a non-empty string/);
  });
});
