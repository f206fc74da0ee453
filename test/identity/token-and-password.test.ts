/**
 * Tokens and passwords on the real server: a JWT sent the AWS custom-authorizer way (CONNECT username,
 * WSS query string or headers, the unmodified aws-iot-device-sdk-v2 builders) and development users
 * from a passwords file get in with their principal; forged, expired, wrong-audience, unknown-authorizer,
 * other-client-id tokens and wrong or unknown passwords are refused with a reason that says why.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { iot, mqtt as crt, mqtt5 } from 'aws-iot-device-sdk-v2';
import { SignJWT, importPKCS8 } from 'jose';
import type { IClientOptions, IConnackPacket } from 'mqtt';
import { hashPassword } from '../../packages/server/src/auth/index.ts';
import { ReasonCode } from '../../packages/server/src/mqtt/index.ts';
import { connectClient, connectWith, startGatehouse, type TestGatehouse } from '../helpers/index.ts';

const ISSUER = 'https://saas.example.com';
const AUDIENCE = 'gatehouse';
const cheapHash = { N: 1024, r: 8, p: 1 };

type SigningKey = Awaited<ReturnType<typeof importPKCS8>>;

function newSigningKey(): Promise<{ key: SigningKey; publicPem: string }> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicPem = String(pair.publicKey.export({ type: 'spki', format: 'pem' }));
  return importPKCS8(String(pair.privateKey.export({ type: 'pkcs8', format: 'pem' })), 'ES256').then((key) => ({ key, publicPem }));
}

interface TokenOptions {
  readonly key?: SigningKey;
  readonly audience?: string;
  readonly expiresInSeconds?: number;
}

describe('tokens and passwords', () => {
  let gh: TestGatehouse;
  let dir: string;
  let saasKey: SigningKey;
  let strangerKey: SigningKey;

  const mint = (claims: Record<string, unknown>, options: TokenOptions = {}): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer(ISSUER).setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt().setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 300)).sign(options.key ?? saasKey);
  const agentToken = (options: TokenOptions = {}): Promise<string> => mint({ tenant: 'acme', thing: 'agent-7', client_id: 'agent-7*' }, options);
  const tls = (): IClientOptions => ({ ca: gh.caPem, servername: 'localhost' });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-tokens-'));
    const saas = await newSigningKey();
    saasKey = saas.key;
    strangerKey = (await newSigningKey()).key;
    await writeFile(join(dir, 'saas.pem'), saas.publicPem);
    await writeFile(join(dir, 'passwords.json'), JSON.stringify([
      { username: 'dev', passwordHash: await hashPassword('let-me-in', cheapHash), tenant: 'acme', thing: 'bench-1' },
    ]));
    gh = await startGatehouse({
      config: {
        auth: {
          authorizers: [{ name: 'saas', keysFile: join(dir, 'saas.pem'), tokenKeyName: 'token', issuer: ISSUER, audience: AUDIENCE, tenantClaim: 'tenant', thingClaim: 'thing' }],
          passwordsFile: join(dir, 'passwords.json'),
        },
        listeners: { mqtts: { allowAnonymous: false }, mqtt: { allowAnonymous: false }, wss: { allowAnonymous: false } },
      },
    });
  });
  after(async () => {
    await gh?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function clientInfo(clientId: string): Promise<{ principal?: unknown; username?: string } | undefined> {
    const response = await fetch(`${gh.urls.admin}/v1/clients`, { headers: { authorization: `Bearer ${gh.adminKey}` } });
    const body = (await response.json()) as { items: Array<{ clientId: string; principal?: unknown; username?: string }> };
    return body.items.find((item) => item.clientId === clientId);
  }
  const principalOf = async (clientId: string): Promise<unknown> => (await clientInfo(clientId))?.principal;

  async function admitted(url: string, clientId: string, options: IClientOptions): Promise<unknown> {
    const { client } = await connectClient(url, { clientId, protocolVersion: 5, ...options });
    try {
      return await principalOf(clientId);
    } finally {
      await client.endAsync();
    }
  }

  const acmeAgent = { kind: 'token', tenant: 'acme', thingName: 'agent-7' };

  it('MQTT.js over mqtts: the JWT in the CONNECT username, SDK metrics appended', async () => {
    const username = `?x-amz-customauthorizer-name=saas&token=${await agentToken()}&SDK=JavaScript&Version=2.2.15`;
    const { client } = await connectClient(gh.urls.mqtts, { clientId: 'agent-7', protocolVersion: 5, ...tls(), username });
    try {
      const info = await clientInfo('agent-7');
      assert.deepEqual(info?.principal, acmeAgent);
      assert.equal(info?.username, '?x-amz-customauthorizer-name=saas&token=***&SDK=JavaScript&Version=2.2.15', 'the admin API shows the username without the token');
    } finally {
      await client.endAsync();
    }
  });

  it('MQTT.js over mqtts: the JWT as password with the authorizer named in the username', async () => {
    const options = { ...tls(), username: '?x-amz-customauthorizer-name=saas', password: await agentToken() };
    assert.deepEqual(await admitted(gh.urls.mqtts, 'agent-7-pw', options), acmeAgent);
  });

  it('MQTT.js over wss: the JWT in the upgrade query string', async () => {
    const url = `${gh.urls.wss}?x-amz-customauthorizer-name=saas&token=${await agentToken()}`;
    assert.deepEqual(await admitted(url, 'agent-7-query', tls()), acmeAgent);
  });

  it('MQTT.js over wss: the JWT in upgrade headers', async () => {
    const headers = { 'x-amz-customauthorizer-name': 'saas', token: await agentToken() };
    assert.deepEqual(await admitted(gh.urls.wss, 'agent-7-headers', { ...tls(), wsOptions: { headers } }), acmeAgent);
  });

  it('aws-iot-device-sdk-v2 (MQTT 3.1.1) connects with its custom authorizer builder', async () => {
    // The CRT insists on sending a signature with a token; Gatehouse does not check it (the JWT is signed).
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_default_builder()
      .with_custom_authorizer('', 'saas', 'bm90LWNoZWNrZWQ=', undefined as unknown as string, 'token', await agentToken())
      .with_certificate_authority(gh.caPem)
      .with_endpoint('localhost')
      .with_port(gh.ports.mqtts)
      .with_client_id('agent-7-crt')
      .with_clean_session(true)
      .build();
    const connection = new crt.MqttClient().new_connection(config);
    await connection.connect();
    try {
      assert.deepEqual(await principalOf('agent-7-crt'), acmeAgent);
    } finally {
      await connection.disconnect();
    }
  });

  it('aws-iot-device-sdk-v2 (MQTT 5) connects with newDirectMqttBuilderWithCustomAuth', async () => {
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithCustomAuth('localhost', {
      authorizerName: 'saas', tokenKeyName: 'token', tokenValue: await agentToken(), tokenSignature: 'bm90LWNoZWNrZWQ=',
    });
    builder.withCertificateAuthority(gh.caPem).withPort(gh.ports.mqtts).withConnectProperties({ clientId: 'agent-7-crt5', keepAliveIntervalSeconds: 30 });
    const client = new mqtt5.Mqtt5Client(builder.build());
    const connected = new Promise<void>((resolve, reject) => {
      client.once('connectionSuccess', () => resolve());
      client.once('connectionFailure', (event) => reject(event.error));
    });
    client.start();
    try {
      await connected;
      assert.deepEqual(await principalOf('agent-7-crt5'), acmeAgent);
    } finally {
      const stopped = new Promise<void>((resolve) => client.once('stopped', () => resolve()));
      client.stop();
      await stopped;
      client.close();
    }
  });

  it('a development user from the passwords file connects over plain MQTT', async () => {
    const principal = await admitted(gh.urls.mqtt, 'bench-1', { username: 'dev?SDK=JavaScript&Version=2.2.15', password: 'let-me-in' });
    assert.deepEqual(principal, { kind: 'password', tenant: 'acme', thingName: 'bench-1' });
  });

  async function refusal(connect: { url: string; username?: string; password?: string; clientId?: string }): Promise<IConnackPacket> {
    const { client, connack } = await connectWith(connect.url, 5, {
      clientId: connect.clientId ?? 'agent-7',
      ...(connect.username === undefined ? {} : { username: connect.username }),
      ...(connect.password === undefined ? {} : { password: Buffer.from(connect.password) }),
    }, { ca: gh.caPem });
    await client.closed();
    return connack;
  }

  const inUsername = (token: string, authorizer = 'saas'): string => `?x-amz-customauthorizer-name=${authorizer}&token=${token}`;
  const refusedAs = (connack: IConnackPacket, reasonCode: number, reason: RegExp): void => {
    assert.equal(connack.reasonCode, reasonCode, JSON.stringify(connack));
    assert.match(String(connack.properties?.reasonString), reason);
  };

  it('refuses a forged token (signed by another key)', async () => {
    refusedAs(await refusal({ url: gh.urls.mqtts, username: inUsername(await agentToken({ key: strangerKey })) }), ReasonCode.NotAuthorized, /authorizer "saas": Auth token signature does not verify/);
  });

  it('refuses an expired token', async () => {
    refusedAs(await refusal({ url: gh.urls.mqtts, username: inUsername(await agentToken({ expiresInSeconds: -120 })) }), ReasonCode.NotAuthorized, /Auth token has expired/);
  });

  it('refuses a token for another audience', async () => {
    refusedAs(await refusal({ url: gh.urls.mqtts, username: inUsername(await agentToken({ audience: 'elsewhere' })) }), ReasonCode.NotAuthorized, /Auth token is for another audience/);
  });

  it('refuses an unknown authorizer', async () => {
    refusedAs(await refusal({ url: gh.urls.mqtts, username: inUsername(await agentToken(), 'nobody') }), ReasonCode.NotAuthorized, /no token authorizer is named "nobody"/);
  });

  it('refuses a client id the token does not allow', async () => {
    refusedAs(await refusal({ url: gh.urls.mqtts, clientId: 'agent-8', username: inUsername(await agentToken()) }), ReasonCode.NotAuthorized, /client id "agent-8" is not one the token allows \("agent-7\*"\)/);
  });

  it('refuses a wrong password and an unknown user alike, on MQTT 5 and 3.1.1', async () => {
    refusedAs(await refusal({ url: gh.urls.mqtt, username: 'dev', password: 'guess' }), ReasonCode.BadUserNameOrPassword, /^Bad user name or password$/);
    refusedAs(await refusal({ url: gh.urls.mqtt, username: 'mallory', password: 'let-me-in' }), ReasonCode.BadUserNameOrPassword, /^Bad user name or password$/);
    const { client, connack } = await connectWith(gh.urls.mqtt, 4, { clientId: 'v3', username: 'dev', password: Buffer.from('guess') });
    await client.closed();
    assert.equal(connack.returnCode, 4, 'MQTT 3.1.1: bad user name or password');
  });

  it('still refuses a client without any credential where anonymous is off', async () => {
    refusedAs(await refusal({ url: gh.urls.mqtt }), ReasonCode.NotAuthorized, /needs credentials/);
  });
});

describe('token and password files at start', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-auth-files-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a bad passwords file stops the start, naming the file and the entry but not the hash', async () => {
    const file = join(dir, 'passwords.json');
    const hash = await hashPassword('x', cheapHash);
    await writeFile(file, JSON.stringify([{ username: 'ok', passwordHash: hash }, { username: 'dev', passwordHash: `${hash.slice(0, 20)}broken` }]));
    await assert.rejects(startGatehouse({ config: { auth: { passwordsFile: file } } }), (error: Error) => {
      assert.match(error.message, new RegExp(`^Invalid configuration: auth\\.passwordsFile ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: entry 1 \\("dev"\\) has a bad "passwordHash"`));
      assert.equal(error.message.includes(hash.slice(0, 20)), false);
      return true;
    });
  });

  it('a missing keys file or a private key stops the start, naming the authorizer and the file', async () => {
    const authorizer = { name: 'saas', tokenKeyName: 'token', tenantClaim: 'tenant', thingClaim: 'thing' };
    await assert.rejects(startGatehouse({ config: { auth: { authorizers: [{ ...authorizer, keysFile: join(dir, 'absent.pem') }] } } }), /auth\.authorizers\[0\] \("saas"\) keysFile \S+absent\.pem: cannot read it \(ENOENT\)/);
    const privatePem = String(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(join(dir, 'private.pem'), privatePem);
    await assert.rejects(startGatehouse({ config: { auth: { authorizers: [{ ...authorizer, keysFile: join(dir, 'private.pem') }] } } }), /private\.pem: holds a private key; give the public key only/);
  });
});
