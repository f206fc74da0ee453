/** Picks and builds the stores (broker, identity, shadows, connectivity) that the configuration names; the only place that knows the backends. */
import {
  MemoryConnectivityStore, MemoryIdentityStore, MemoryShadowStore, MemoryStore, type BrokerStore, type ConnectivityStoreBackend, type IdentityStoreBackend, type ShadowStoreBackend,
} from '../store/index.js';
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

/**
 * Builds (but does not open) the shadow store beside the broker store: the same backend, file, URL
 * and schema. On memory the shadows live as long as the process.
 *
 * @example
 * const shadows = await createShadowStore(config.store);
 * await shadows.open();
 */
export async function createShadowStore(config: GatehouseConfig['store']): Promise<ShadowStoreBackend> {
  switch (config.kind) {
    case 'memory':
      return new MemoryShadowStore();
    case 'sqlite': {
      const { createSqliteShadowStore } = await import('../store/sqlite/index.js');
      return createSqliteShadowStore({ path: config.path });
    }
    case 'postgres': {
      const { createPostgresShadowStore } = await import('../store/postgres/index.js');
      return createPostgresShadowStore({ url: config.url ?? '', ...(config.schema === undefined ? {} : { schema: config.schema }) });
    }
    default: {
      const never: never = config.kind;
      throw new TypeError(`Unknown store kind ${String(never)}`);
    }
  }
}

/**
 * Builds (but does not open) the connectivity store beside the broker store: the same backend, file,
 * URL and schema.
 *
 * @example
 * const connectivity = await createConnectivityStore(config.store);
 * await connectivity.open();
 */
export async function createConnectivityStore(config: GatehouseConfig['store']): Promise<ConnectivityStoreBackend> {
  switch (config.kind) {
    case 'memory':
      return new MemoryConnectivityStore();
    case 'sqlite': {
      const { createSqliteConnectivityStore } = await import('../store/sqlite/index.js');
      return createSqliteConnectivityStore({ path: config.path });
    }
    case 'postgres': {
      const { createPostgresConnectivityStore } = await import('../store/postgres/index.js');
      return createPostgresConnectivityStore({ url: config.url ?? '', ...(config.schema === undefined ? {} : { schema: config.schema }) });
    }
    default: {
      const never: never = config.kind;
      throw new TypeError(`Unknown store kind ${String(never)}`);
    }
  }
}
