/** Picks and builds the stores (broker and identity) that the configuration names; the only place that knows the backends. */
import { MemoryIdentityStore, MemoryStore, type BrokerStore, type IdentityStoreBackend } from '../store/index.js';
import type { GatehouseConfig } from './config.js';

/**
 * Builds (but does not open) the configured store. SQLite and PostgreSQL are loaded only when
 * chosen, so a memory-store process never loads native modules or a database driver.
 *
 * @example
 * const store = await createStore({ kind: 'sqlite', path: '/var/lib/gatehouse/gatehouse.db' });
 * await store.open();
 */
export async function createStore(config: GatehouseConfig['store']): Promise<BrokerStore> {
  switch (config.kind) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite': {
      const { createSqliteStore } = await import('../store/sqlite/index.js');
      return createSqliteStore({ path: config.path });
    }
    case 'postgres': {
      const { createPostgresStore } = await import('../store/postgres/index.js');
      // config.ts guarantees a url for postgres.
      return createPostgresStore({ url: config.url ?? '', ...(config.schema === undefined ? {} : { schema: config.schema }) });
    }
    default: {
      const never: never = config.kind;
      throw new TypeError(`Unknown store kind ${String(never)}`);
    }
  }
}

/**
 * Builds (but does not open) the identity store beside the broker store: the same backend, file,
 * URL and schema, so one backup or one database holds both.
 *
 * @example
 * const identity = await createIdentityStore(config.store);
 * await identity.open();
 */
export async function createIdentityStore(config: GatehouseConfig['store']): Promise<IdentityStoreBackend> {
  switch (config.kind) {
    case 'memory':
      return new MemoryIdentityStore();
    case 'sqlite': {
      const { createSqliteIdentityStore } = await import('../store/sqlite/index.js');
      return createSqliteIdentityStore({ path: config.path });
    }
    case 'postgres': {
      const { createPostgresIdentityStore } = await import('../store/postgres/index.js');
      return createPostgresIdentityStore({ url: config.url ?? '', ...(config.schema === undefined ? {} : { schema: config.schema }) });
    }
    default: {
      const never: never = config.kind;
      throw new TypeError(`Unknown store kind ${String(never)}`);
    }
  }
}
