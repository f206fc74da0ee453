/**
 * Helpers for the agent SDK's black-box tests: a Gatehouse that admits certificates only, a device
 * onboarded through the real flow, agent options pointing at it, and a tiny HTTP CONNECT proxy.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, type Agent, type AgentEvents, type AgentOptions } from '../../packages/agent/src/index.ts';
import { freePort, startGatehouse, type StartGatehouseOptions, type TestGatehouse } from '../helpers/index.ts';
import { onboardDevice, type OnboardedDevice } from '../identity/onboarding-kit.ts';

export type { OnboardedDevice };

/** Gatehouse on SQLite whose mqtts and wss listeners admit client certificates only. */
export function startAgentGatehouse(options: StartGatehouseOptions = {}): Promise<TestGatehouse> {
  const config = options.config ?? {};
  return startGatehouse({
    store: 'sqlite',
    ...options,
    config: {
      ...config,
      listeners: {
        ...config.listeners,
        mqtts: { allowAnonymous: false, ...config.listeners?.mqtts },
        wss: { allowAnonymous: false, ...config.listeners?.wss },
      },
    },
  });
}

/** Onboards `thing` by token and CSR, as a real agent would. */
export function onboard(gh: TestGatehouse, thing: string): Promise<OnboardedDevice> {
  return onboardDevice({ adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem }, thing);
}

/** The endpoints by name: the server certificate names `localhost`, not the address. */
export function endpointsOf(gh: Pick<TestGatehouse, 'ports'>): { mqtts: string; wss: string } {
  return { mqtts: `mqtts://localhost:${gh.ports.mqtts}`, wss: `wss://localhost:${gh.ports.wss}/mqtt` };
}

const queueDirs: string[] = [];

/** A fresh queue directory, removed by `removeQueueDirs`. */
export async function queueDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-test-queue-'));
  queueDirs.push(dir);
  return join(dir, 'queue');
}

export async function removeQueueDirs(): Promise<void> {
  await Promise.all(queueDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/**
 * An agent for `device` (customer `acme`) with quick backoff and an empty environment (no HTTPS_PROXY);
 * `options` win. Collects errors so a test can assert there were none.
 */
export async function startAgent(gh: Pick<TestGatehouse, 'caPem'>, device: OnboardedDevice, options: Partial<AgentOptions> & Pick<AgentOptions, 'endpoints'>): Promise<Agent & { errors: Error[] }> {
  const agent = await createAgent({
    customer: 'acme',
    device: device.thing,
    tls: { cert: device.certificatePem, key: device.keyPem, ca: gh.caPem },
    queueDirectory: await queueDir(),
    backoff: { initialDelayMs: 100, maxDelayMs: 400 },
    connectTimeoutMs: 5000,
    // An empty environment: the machine's HTTPS_PROXY must not steer the tests.
    env: {},
    ...options,
  });
  const errors: Error[] = [];
  agent.on('error', (error) => errors.push(error));
  return Object.assign(agent, { errors });
}

/** Resolves with the next `event` of `agent`, or fails after `timeoutMs` naming it. */
export async function nextEvent<E extends keyof AgentEvents>(agent: Agent, event: E, timeoutMs = 10_000): Promise<AgentEvents[E][0]> {
  const [value] = (await once(agent as never, event as string, { signal: AbortSignal.timeout(timeoutMs) }).catch((error: Error) => {
    throw new Error(`No "${String(event)}" event from the agent within ${timeoutMs} ms`, { cause: error });
  })) as [AgentEvents[E][0]];
  return value;
}

/** Like `waitFor`, for a condition that has to ask the server. */
export async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A port nothing listens on (bound, then closed), for a dead endpoint. */
export function closedPort(): Promise<number> {
  return freePort();
}

/** A forward proxy that tunnels CONNECT after Basic auth, and records what it was asked. */
export interface TestProxy {
  readonly url: string;
  /** `CONNECT` targets, with whether the credentials were right. */
  readonly connects: Array<{ target: string; authorized: boolean }>;
  close(): Promise<void>;
}

/**
 * Starts a CONNECT proxy on 127.0.0.1:0 that wants `user:password` (407 otherwise), like a corporate
 * proxy; it relays bytes only, so TLS runs end to end through it.
 */
export async function startConnectProxy(user: string, password: string): Promise<TestProxy> {
  const connects: TestProxy['connects'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_request, response) => response.writeHead(405).end());
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const target = request.url ?? '';
    const authorized = request.headers['proxy-authorization'] === expected;
    connects.push({ target, authorized });
    if (!authorized) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host = '', port = ''] = target.split(':');
    const upstream = connect({ host: host === 'localhost' ? '127.0.0.1' : host, port: Number(port) });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${user}:${password}@127.0.0.1:${port}`,
    connects,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
