/**
 * Builds the PostgreSQL IdentityStore in the broker store's database and schema. It keeps its own small
 * pool (createPostgresStore does not hand its Kysely out), on the same tables and migrations.
 */
import { Kysely } from 'kysely';
import type { IdentityStoreBackend } from '../index.js';
import { SqlIdentityStore, type IdentityDatabase } from '../sql/index.js';
import { createPostgresDialect, type PostgresStoreOptions } from './postgres-store.js';

/**
 * An IdentityStore in PostgreSQL: pass the broker store's options (its `maxConnections` defaults to 4
 * here, identity traffic being light). Nothing connects until `open()`.
 *
 * @example
 * const identity = createPostgresIdentityStore({ url: 'postgres://gatehouse@db/gatehouse', schema: 'gatehouse' });
 * await identity.open();
 */
export function createPostgresIdentityStore(options: PostgresStoreOptions): IdentityStoreBackend {
  const { schema } = options;
  return new SqlIdentityStore({
    db: new Kysely<IdentityDatabase>({ dialect: createPostgresDialect({ ...options, maxConnections: options.maxConnections ?? 4 }, { defaultMaxConnections: 4, label: 'identity store' }) }),
    dialect: 'postgres',
    ...(schema === undefined ? {} : { schema }),
  });
}
