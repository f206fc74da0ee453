/**
 * Test support for the registry API and CLI tests: the identity admin API on memory stores with a
 * RegistryEvents whose broker records what it is given, so tests read the events' topics and
 * payloads. Not used at run time.
 */
import type { InternalMessage } from '../broker/index.js';
import { RegistryEvents } from '../services/index.js';
import { MemoryIdentityStore, MemoryStore } from '../store/index.js';
import { startAdminApiHarness, testIdentityServices, type IdentityAdminApiHarness } from './admin-api-harness.js';

export interface RegistryAdminApiHarness extends IdentityAdminApiHarness {
  /** Every registry event published so far, in order. */
  readonly published: InternalMessage[];
  /** The published events as `{topic, payload}` with the payload parsed, and forgets them. */
  takeEvents(): Array<{ topic: string; payload: Record<string, unknown> }>;
  /** `send`, answering the parsed JSON body with the status. */
  json(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

/**
 * @example
 * const harness = await startRegistryAdminApiHarness();
 * await harness.json('POST', '/v1/tenants', { id: 'acme' });
 * await harness.json('POST', '/v1/tenants/acme/things/agent-7', {});
 */
export async function startRegistryAdminApiHarness(): Promise<RegistryAdminApiHarness> {
  const identity = new MemoryIdentityStore();
  await identity.open();
  const published: InternalMessage[] = [];
  const registryEvents = new RegistryEvents({ broker: { publish: (message) => void published.push(message) }, configurations: identity });
  const harness = await startAdminApiHarness({ store: new MemoryStore(), identity: { ...(await testIdentityServices(identity)), registryEvents } });
  const send = (method: string, path: string, body?: unknown): Promise<Response> =>
    harness.request(path, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  return {
    ...harness,
    identity,
    published,
    send,
    takeEvents: () => published.splice(0).map((message) => ({ topic: message.topic, payload: JSON.parse(message.payload.toString('utf8')) as Record<string, unknown> })),
    async json(method, path, body) {
      const answer = await send(method, path, body);
      const text = await answer.text();
      return { status: answer.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
    },
    async close() {
      await harness.close();
      await identity.close();
    },
  };
}
