/**
 * Test support for the admin API and CLI tests: a real Broker on a MemoryStore behind a real TCP
 * listener on port 0, and the admin API listening on loopback port 0. Not used at run time.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Broker } from '../broker/index.js';
import { silentLogger } from '../core/index.js';
import { createTokenSigningKey } from '../auth/index.js';
import { MemoryIdentityStore, MemoryStore, type BrokerStore, type IdentityStore } from '../store/index.js';
import { createAdminApi } from './create-admin-api.js';
import type { IdentityServices } from './identity/identity-services.js';

export interface AdminApiHarness {
  readonly broker: Broker;
  readonly api: FastifyInstance;
  /** `http://127.0.0.1:<port>` of the admin API. */
  readonly apiUrl: string;
  /** `mqtt://127.0.0.1:<port>` of the broker. */
  readonly mqttUrl: string;
  readonly adminKey: string;
  /** `fetch` against the API with the admin key; `key: null` sends none. */
  request(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * `store` is passed in because only app/ and tests may pick a concrete store. It is opened and closed
 * here. `identity` adds the identity routes; its store is the caller's to open and close.
 */
export async function startAdminApiHarness(options: { store: BrokerStore; identity?: IdentityServices }): Promise<AdminApiHarness> {
  const logger = silentLogger();
  const store = options.store;
  await store.open();
  const broker = new Broker({ store, logger });
  await broker.start();
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.accept(socket, {
      transport: 'tcp',
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localPort: socket.localPort ?? 0,
      listener: 'test',
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const mqttPort = (server.address() as AddressInfo).port;
  const adminKey = 'test-admin-key-0123456789';
  const api = await createAdminApi({
    admin: broker.admin,
    adminKey,
    logger,
    health: () => ({ ready: broker.ready, reasons: broker.ready ? [] : ['broker not started'] }),
    version: '0.0.0-test',
    ...(options.identity === undefined ? {} : { identity: options.identity }),
  });
  const apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  return {
    broker,
    api,
    apiUrl,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    adminKey,
    request(path, init = {}) {
      const { key, ...rest } = init;
      const headers = new Headers(rest.headers);
      const presented = key === undefined ? adminKey : key;
      if (presented !== null) headers.set('authorization', `Bearer ${presented}`);
      return fetch(`${apiUrl}${path}`, { ...rest, headers });
    },
    async close() {
      await api.close();
      await broker.close();
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
      await store.close();
    },
  };
}

/** Identity services on `store` with a fresh token key, no CA and no agent endpoints: enough for the admin routes. */
export async function testIdentityServices(store: IdentityStore): Promise<IdentityServices> {
  return { store, signingKey: await createTokenSigningKey(), defaultTenant: 'default', tokenTtlSeconds: 900, certificateDays: 365, endpoints: () => ({}) };
}

export interface IdentityAdminApiHarness extends AdminApiHarness {
  /** The open identity store behind the identity routes, for seeding and checking state directly. */
  readonly identity: MemoryIdentityStore;
  /** `request` with `method` and, when `body` is given, `body` as JSON. */
  send(method: string, path: string, body?: unknown): Promise<Response>;
}

/**
 * The admin API with the identity routes on a fresh MemoryStore and MemoryIdentityStore, both opened
 * here and both closed by `close()`.
 *
 * @example
 * const harness = await startIdentityAdminApiHarness();
 * await harness.send('POST', '/v1/tenants', { id: 'acme' });
 * assert.ok(await harness.identity.getTenant('acme'));
 * await harness.close();
 */
export async function startIdentityAdminApiHarness(): Promise<IdentityAdminApiHarness> {
  const identity = new MemoryIdentityStore();
  await identity.open();
  let harness: AdminApiHarness;
  try {
    harness = await startAdminApiHarness({ store: new MemoryStore(), identity: await testIdentityServices(identity) });
  } catch (error) {
    await identity.close();
    throw error;
  }
  return {
    ...harness,
    identity,
    send: (method, path, body) =>
      harness.request(path, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) }),
    async close() {
      await harness.close();
      await identity.close();
    },
  };
}
