/**
 * Builds the PostgreSQL ShadowStore in the broker store's database and schema, on a small pool of its
 * own (createPostgresStore does not hand its Kysely out), on the same tables and migrations.
 */
import { Kysely } from 'kysely';
import type { ShadowStoreBackend } from '../index.js';
import { SqlShadowStore, type ShadowDatabase } from '../sql/index.js';
import { createPostgresDialect, type PostgresStoreOptions } from './postgres-store.js';

/**
 * A ShadowStore in PostgreSQL: pass the broker store's options (`maxConnections` defaults to 4 here).
 * Nothing connects until `open()`.
 *
 * @example
 * const shadows = createPostgresShadowStore({ url: 'postgres://gatehouse@db/gatehouse', schema: 'gatehouse' });
 * await shadows.open();
 */
export function createPostgresShadowStore(options: PostgresStoreOptions): ShadowStoreBackend {
  const { schema } = options;
  return new SqlShadowStore({
    db: new Kysely<ShadowDatabase>({ dialect: createPostgresDialect(options, { defaultMaxConnections: 4, label: 'shadow store' }) }),
    dialect: 'postgres',
    ...(schema === undefined ? {} : { schema }),
  });
}
