/**
 * Helpers for the Device Shadow tests: a Gatehouse whose agents hold Gatehouse-issued certificates,
 * shadow requests over MQTT that wait for their own reply, and the shadow routes of the admin API and
 * of the agent-facing port (AWS's data plane) with the body sent byte for byte.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SignJWT, importPKCS8 } from 'jose';
import type { IClientOptions, MqttClient } from 'mqtt';
import {
  connectClient, httpRequest, startGatehouse, type HttpRequestOptions, type HttpTextAnswer, type StartGatehouseOptions, type TestGatehouse,
} from '../helpers/index.ts';
import { onboardDevice, type OnboardedDevice } from '../identity/onboarding-kit.ts';

export type { OnboardedDevice };

/** A JSON object as the tests read it from a payload or a body. */
export type Json = Record<string, unknown>;

/**
 * Gatehouse on SQLite with certificate-only mqtts (no anonymous clients), as the SDK tests need it.
 *
 * @example
 * const gh = await startShadowGatehouse();
 * const device = await onboard(gh, 'agent-7', 'acme');
 */
export function startShadowGatehouse(options: StartGatehouseOptions = {}): Promise<TestGatehouse> {
  const config = options.config ?? {};
  return startGatehouse({
    store: 'sqlite',
    ...options,
    config: { ...config, listeners: { ...config.listeners, mqtts: { allowAnonymous: false, ...config.listeners?.mqtts } } },
  });
}

/** Onboards `thing` (and so registers it) through the real token + CSR flow, in `tenant` (default: the default tenant). */
export function onboard(gh: TestGatehouse, thing: string, tenant?: string): Promise<OnboardedDevice> {
  const server = { adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem };
  return onboardDevice(server, thing, tenant === undefined ? {} : { tenant });
}

/** The mqtts URL by name: the server certificate names `localhost`, not the address. */
export function mqttsUrl(gh: TestGatehouse): string {
  return gh.urls.mqtts.replace('127.0.0.1', 'localhost');
}

/** `$aws/things/{thing}/shadow` or `.../shadow/name/{name}`: the prefix every shadow topic starts with. */
export function shadowPrefix(thing: string, name?: string): string {
  return name === undefined ? `$aws/things/${thing}/shadow` : `$aws/things/${thing}/shadow/name/${name}`;
}

export interface ShadowMessage {
  readonly topic: string;
  /** The payload as text, exactly as it came. */
  readonly text: string;
  /** The payload parsed as JSON; `{}` when it is not JSON. */
  readonly body: Json;
  readonly retain: boolean;
}

export type ShadowOperation = 'get' | 'update' | 'delete';

/**
 * An MQTT.js client that keeps every message it receives and can wait for the next one on a topic.
 * Shadow requests subscribe to `<prefix>/<operation>/+` first, as the v2 SDK does.
 */
export class ShadowClient {
  readonly client: MqttClient;
  readonly messages: ShadowMessage[] = [];
  readonly #subscribed = new Set<string>();
  #tokens = 0;

  constructor(client: MqttClient) {
    this.client = client;
  }

  /**
   * Connects an agent with its certificate over mqtts (MQTT 5 unless `options.protocolVersion` says otherwise).
   *
   * @example
   * const agent = await ShadowClient.connectDevice(gh, device);
   * const reply = await agent.request(shadowPrefix('agent-7'), 'get');
   */
  static async connectDevice(gh: TestGatehouse, device: OnboardedDevice, options: IClientOptions = {}): Promise<ShadowClient> {
    return ShadowClient.connect(mqttsUrl(gh), { ca: gh.caPem, cert: device.certificatePem, key: device.keyPem, clientId: device.thing, protocolVersion: 5, ...options });
  }

  static async connect(url: string, options: IClientOptions): Promise<ShadowClient> {
    let target: ShadowClient | undefined;
    const early: ShadowMessage[] = [];
    const { client } = await connectClient(url, options, (topic, payload, packet) => {
      const message = toMessage(topic, payload, packet.retain);
      if (target === undefined) early.push(message);
      else target.messages.push(message);
    });
    // MQTT.js leaves Nagle on: a PUBACK followed at once by the next request would wait for the
    // server's delayed ACK (40 ms on Linux) at every step of a request/reply loop.
    (client.stream as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
    target = new ShadowClient(client);
    target.messages.push(...early);
    return target;
  }

  /** Subscribes (QoS 1) once per filter; a refused filter throws. */
  async subscribe(...filters: string[]): Promise<void> {
    const fresh = filters.filter((filter) => !this.#subscribed.has(filter));
    if (fresh.length === 0) return;
    const granted = await this.client.subscribeAsync(fresh, { qos: 1 });
    const refused = granted.filter((grant) => grant.qos >= 0x80);
    if (refused.length > 0) throw new Error(`Subscription refused: ${refused.map((grant) => grant.topic).join(', ')}`);
    for (const filter of fresh) this.#subscribed.add(filter);
  }

  /**
   * The first message on `topic` (exactly, or any of `topic`s) from `from` on that `accept` takes.
   * Fails after `timeoutMs` naming what it waited for and what did come.
   */
  async next(topic: string | readonly string[], options: { from?: number; accept?: (message: ShadowMessage) => boolean; timeoutMs?: number } = {}): Promise<ShadowMessage> {
    const topics = typeof topic === 'string' ? [topic] : topic;
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    for (;;) {
      const found = this.messages.slice(options.from ?? 0).find((message) => topics.includes(message.topic) && (options.accept?.(message) ?? true));
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(`No message on ${topics.join(' | ')} within ${options.timeoutMs ?? 5000} ms; got:\n${this.messages.map((message) => `${message.topic} ${message.text.slice(0, 300)}`).join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** A fresh clientToken for this client. */
  token(label = 'req'): string {
    this.#tokens += 1;
    return `${label}-${this.#tokens}`;
  }

  /**
   * Publishes a shadow request and resolves with its reply on `<prefix>/<operation>/accepted|rejected`:
   * the one echoing the payload's clientToken, or (when the payload has none readable) the first
   * reply after the publish.
   *
   * @example
   * const reply = await agent.request(shadowPrefix('agent-7'), 'update', { state: { reported: { on: true } }, clientToken: 't1' });
   * assert.equal(reply.topic, '$aws/things/agent-7/shadow/update/accepted');
   */
  async request(prefix: string, operation: ShadowOperation, payload: Json | string | Buffer = '', options: { timeoutMs?: number } = {}): Promise<ShadowMessage> {
    await this.subscribe(`${prefix}/${operation}/accepted`, `${prefix}/${operation}/rejected`);
    const text = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    const token = clientTokenOf(text);
    const from = this.messages.length;
    await this.client.publishAsync(`${prefix}/${operation}`, text, { qos: 1 });
    return this.next([`${prefix}/${operation}/accepted`, `${prefix}/${operation}/rejected`], {
      from,
      accept: (message) => token === undefined || message.body['clientToken'] === token,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  end(): Promise<void> {
    return this.client.endAsync();
  }
}

function toMessage(topic: string, payload: Buffer, retain: boolean): ShadowMessage {
  const text = payload.toString('utf8');
  return { topic, text, body: jsonObjectOf(text), retain };
}

/** `text` parsed when it is a JSON object; `{}` otherwise (the test then reads the text). */
function jsonObjectOf(text: string): Json {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : {};
  } catch {
    return {};
  }
}

function clientTokenOf(payload: string | Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(payload.toString());
    const token = (parsed as Json | null)?.['clientToken'];
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

export interface HttpAnswer extends HttpTextAnswer {
  /** The body parsed as JSON; `{}` when empty or not JSON. */
  readonly body: Json;
}

/**
 * One HTTP(S) request with the body sent as given (a string goes out byte for byte, so tests can send
 * bad JSON; an object is JSON-encoded), optionally with a client certificate.
 */
export async function httpRequestRaw(url: string, options: Omit<HttpRequestOptions, 'body'> & { body?: string | Json } = {}): Promise<HttpAnswer> {
  const { body, ...rest } = options;
  const answer = await httpRequest(url, body === undefined ? rest : { ...rest, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { ...answer, body: jsonObjectOf(answer.text) };
}

/**
 * `GET|POST|DELETE /v1/tenants/{tenant}/things/{thing}/shadow[?name=]` on the admin API.
 *
 * @example
 * const answer = await adminShadow(gh, 'POST', { tenant: 'default', thing: 'agent-7', body: { state: { desired: { interval: 10 } } } });
 */
export function adminShadow(gh: TestGatehouse, method: 'GET' | 'POST' | 'DELETE', target: { tenant: string; thing: string; name?: string; body?: string | Json }): Promise<HttpAnswer> {
  const query = target.name === undefined ? '' : `?name=${encodeURIComponent(target.name)}`;
  return httpRequestRaw(`${gh.urls.admin}/v1/tenants/${encodeURIComponent(target.tenant)}/things/${encodeURIComponent(target.thing)}/shadow${query}`, {
    method,
    headers: { authorization: `Bearer ${gh.adminKey}` },
    ...(target.body === undefined ? {} : { body: target.body }),
  });
}

/**
 * AWS's data-plane route `GET|POST|DELETE /things/{thing}/shadow[?name=]` on the agent-facing HTTPS
 * port, over mutual TLS with the device's certificate.
 */
export function agentShadow(gh: TestGatehouse, device: OnboardedDevice, method: 'GET' | 'POST' | 'DELETE', target: { thing: string; name?: string; body?: string | Json }): Promise<HttpAnswer> {
  const query = target.name === undefined ? '' : `?name=${encodeURIComponent(target.name)}`;
  return httpRequestRaw(`https://localhost:${gh.ports.wss}/things/${encodeURIComponent(target.thing)}/shadow${query}`, {
    method,
    ca: gh.caPem,
    cert: device.certificatePem,
    key: device.keyPem,
    ...(target.body === undefined ? {} : { body: target.body }),
  });
}

export interface ServiceAuthorizer {
  /** The `auth.authorizers` entry to start Gatehouse with. */
  readonly authorizer: { name: string; keysFile: string; tokenKeyName: string; tenantClaim: string; thingClaim: string };
  /** A JWT for a service principal granted `tenants` (`'*'`: all of them). */
  sign(tenants: readonly string[] | '*'): Promise<string>;
  /** The CONNECT username that presents such a token the AWS custom-authorizer way. */
  username(token: string): string;
}

/**
 * An ES256 key whose public half is written to `dir`, and an authorizer trusting it, so tests mint
 * service-principal tokens (claim `gatehouse:tenants`) as the SaaS backend does.
 *
 * @example
 * const backend = await makeServiceAuthorizer(dir);
 * const gh = await startShadowGatehouse({ config: { auth: { authorizers: [backend.authorizer] } } });
 * const token = await backend.sign(['acme']);
 */
export async function makeServiceAuthorizer(dir: string, name = 'backend'): Promise<ServiceAuthorizer> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keysFile = join(dir, `${name}.pem`);
  await writeFile(keysFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  const key = await importPKCS8(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'ES256');
  return {
    authorizer: { name, keysFile, tokenKeyName: 'token', tenantClaim: 'tenant', thingClaim: 'thing' },
    sign: (tenants) => new SignJWT({ 'gatehouse:tenants': tenants === '*' ? '*' : [...tenants] }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('5m').sign(key),
    username: (token) => `?x-amz-customauthorizer-name=${name}&token=${token}`,
  };
}

/** Epoch seconds now, to check that `timestamp` fields are seconds (not ms) and current. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** True when `value` is an epoch-seconds timestamp within a minute of now. */
export function isCurrentSeconds(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && Math.abs(value - nowSeconds()) <= 60;
}

/**
 * Lets the process end after aws-crt MQTT 5 clients were stopped and closed: their native event
 * bindings hold the event loop open until the JavaScript objects are garbage collected
 * (awslabs/aws-crt-nodejs#600), which otherwise takes some 45 s. Call it in `after`, once nothing
 * references the clients any more.
 *
 * @example
 * after(async () => { await gh.stop(); collectClosedCrtClients(); });
 */
export function collectClosedCrtClients(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // Again and again while something keeps the process alive: the test runner drops its references to
  // the tests' scopes only after `after` returns. Unref'd, so the interval itself keeps nothing alive.
  setInterval(gc, 200).unref();
}
