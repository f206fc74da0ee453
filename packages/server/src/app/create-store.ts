/** Picks and builds the stores (broker, identity, shadows, connectivity) that the configuration names; the only place that knows the backends. */
import {
  MemoryConnectivityStore, MemoryIdentityStore, MemoryShadowStore, MemoryStore, type BrokerStore, type ConnectivityStoreBackend, type IdentityStoreBackend, type ShadowStoreBackend,
} from '../store/index.js';
import type * as postgres from '../store/postgres/index.js';
import type * as sqlite from '../store/sqlite/index.js';
import type { GatehouseConfig } from './config.js';

/**
 * Builds (but does not open) the configured store. SQLite and PostgreSQL are loaded only when
 * chosen, so a memory-store process never loads native modules or a database driver.
 *
 * @example
 * const store = await createStore({ kind: 'sqlite', path: '/var/lib/gatehouse/gatehouse.db' });
 * await store.open();
 */
export function createStore(config: GatehouseConfig['store']): Promise<BrokerStore> {
  return buildStore(config, { memory: () => new MemoryStore(), sqlite: (m) => m.createSqliteStore, postgres: (m) => m.createPostgresStore });
}

/**
 * Builds (but does not open) the identity store beside the broker store: the same backend, file,
 * URL and schema, so one backup or one database holds both.
 *
 * @example
 * const identity = await createIdentityStore(config.store);
 * await identity.open();
 */
export function createIdentityStore(config: GatehouseConfig['store']): Promise<IdentityStoreBackend> {
  return buildStore(config, { memory: () => new MemoryIdentityStore(), sqlite: (m) => m.createSqliteIdentityStore, postgres: (m) => m.createPostgresIdentityStore });
}

/**
 * Builds (but does not open) the shadow store beside the broker store: the same backend, file, URL
 * and schema. On memory the shadows live as long as the process.
 *
 * @example
 * const shadows = await createShadowStore(config.store);
 * await shadows.open();
 */
export function createShadowStore(config: GatehouseConfig['store']): Promise<ShadowStoreBackend> {
  return buildStore(config, { memory: () => new MemoryShadowStore(), sqlite: (m) => m.createSqliteShadowStore, postgres: (m) => m.createPostgresShadowStore });
}

/**
 * Builds (but does not open) the connectivity store beside the broker store: the same backend, file,
 * URL and schema.
 *
 * @example
 * const connectivity = await createConnectivityStore(config.store);
 * await connectivity.open();
 */
export function createConnectivityStore(config: GatehouseConfig['store']): Promise<ConnectivityStoreBackend> {
  return buildStore(config, {
    memory: () => new MemoryConnectivityStore(),
    sqlite: (m) => m.createSqliteConnectivityStore,
    postgres: (m) => m.createPostgresConnectivityStore,
  });
}

/** One store's factory on each backend, each SQL one picked from its module once that is loaded. */
interface StoreFactories<T> {
  readonly memory: () => T;
  readonly sqlite: (module: typeof sqlite) => (options: sqlite.SqliteStoreOptions) => T;
  readonly postgres: (module: typeof postgres) => (options: postgres.PostgresStoreOptions) => T;
}

async function buildStore<T>(config: GatehouseConfig['store'], factories: StoreFactories<T>): Promise<T> {
  switch (config.kind) {
    case 'memory':
      return factories.memory();
    case 'sqlite':
      return factories.sqlite(await import('../store/sqlite/index.js'))({ path: config.path });
    case 'postgres':
      // config.ts guarantees a url for postgres.
      return factories.postgres(await import('../store/postgres/index.js'))({ url: config.url ?? '', ...(config.schema === undefined ? {} : { schema: config.schema }) });
    default: {
      const never: never = config.kind;
      throw new TypeError(`Unknown store kind ${String(never)}`);
    }
  }
}
