/** Picks and builds the BrokerStore that the configuration names; the only place that knows the backends. */
import { MemoryStore, type BrokerStore } from '../store/index.js';
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
