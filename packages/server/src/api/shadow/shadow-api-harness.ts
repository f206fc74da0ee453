/**
 * Test support for the shadow API and CLI tests: the admin API (identity routes and shadow routes)
 * on loopback port 0 over a real Broker, a MemoryShadowStore and the shadow service, plus an
 * internal subscriber that keeps every message the service publishes. Not used at run time.
 */
import type { FastifyInstance } from 'fastify';
import { Broker } from '../../broker/index.js';
import { silentLogger } from '../../core/index.js';
import { startShadowService, type ShadowService } from '../../services/index.js';
import { MemoryIdentityStore, MemoryShadowStore, MemoryStore } from '../../store/index.js';
import { testIdentityServices } from '../admin-api-harness.js';
import { createAdminApi } from '../create-admin-api.js';

export interface ShadowApiHarness {
  readonly broker: Broker;
  readonly api: FastifyInstance;
  readonly apiUrl: string;
  readonly adminKey: string;
  readonly identity: MemoryIdentityStore;
  readonly shadowStore: MemoryShadowStore;
  readonly shadows: ShadowService;
  /** Every message published under `$tenants/+/$aws/things/...shadow...`, as `{ topic, body }`. */
  readonly published: Array<{ readonly topic: string; readonly body: Record<string, unknown> }>;
  /** `fetch` with the admin key; `body` as given (a string goes out as is, anything else as JSON). */
  send(method: string, path: string, body?: unknown): Promise<Response>;
  /** Registers `thing` in `tenant` (updates of unregistered things are refused). */
  registerThing(tenant: string, thing: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * @example
 * const harness = await startShadowApiHarness();
 * await harness.registerThing('acme', 'agent-7');
 * await harness.send('POST', '/v1/tenants/acme/things/agent-7/shadow', { state: { desired: { a: 1 } } });
 * await harness.close();
 */
export async function startShadowApiHarness(): Promise<ShadowApiHarness> {
  const logger = silentLogger();
  const store = new MemoryStore();
  const identity = new MemoryIdentityStore();
  const shadowStore = new MemoryShadowStore();
  await Promise.all([store.open(), identity.open(), shadowStore.open()]);
  const broker = new Broker({ store, logger });
  await broker.start();
  const published: Array<{ topic: string; body: Record<string, unknown> }> = [];
  const keep = (message: { topic: string; payload: Buffer }): void => {
    published.push({ topic: message.topic, body: JSON.parse(message.payload.toString('utf8')) as Record<string, unknown> });
  };
  broker.port.subscribe('$tenants/+/$aws/things/+/shadow/+/+', keep);
  broker.port.subscribe('$tenants/+/$aws/things/+/shadow/name/+/+/+', keep);
  const shadows = startShadowService({ broker: broker.port, shadows: shadowStore, identity, logger });
  const adminKey = 'test-admin-key-0123456789';
  const api = await createAdminApi({
    admin: broker.admin, adminKey, logger, version: '0.0.0-test', shadows,
    health: () => ({ ready: true, reasons: [] }),
    identity: await testIdentityServices(identity),
  });
  const apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  return {
    broker, api, apiUrl, adminKey, identity, shadowStore, shadows, published,
    send: (method, path, body) => fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    }),
    async registerThing(tenant, thing) {
      const at = Date.now();
      await identity.putThing({ tenant, name: thing, attributes: {}, groups: [], version: 1, createdAt: at, updatedAt: at });
    },
    async close() {
      await api.close();
      await shadows.stop();
      await broker.close();
      await Promise.all([store.close(), identity.close(), shadowStore.close()]);
    },
  };
}
