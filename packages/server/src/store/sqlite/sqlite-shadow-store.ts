/**
 * Builds the SQLite ShadowStore on the broker store's database file, on a connection of its own with
 * the broker store's pragmas; WAL lets the connections share the file, and the migrations are shared.
 */
import { Kysely } from 'kysely';
import type { ShadowStoreBackend } from '../index.js';
import { SqlShadowStore, type ShadowDatabase } from '../sql/index.js';
import { createSqliteDialect } from './sqlite-dialect.js';
import type { SqliteStoreOptions } from './sqlite-store.js';

/**
 * A ShadowStore in the SQLite file the broker store uses (pass the same options). Nothing touches the
 * disk until `open()`. A `:memory:` path gives a private database.
 *
 * Durability: WAL with `synchronous = NORMAL`, as the broker store: a resolved `putShadow` is
 * committed to the log in the OS page cache, so it survives `kill -9` of the process; only an OS crash
 * or power loss can lose the last commits (FULL would add an fsync to every shadow update).
 *
 * @example
 * const shadows = createSqliteShadowStore({ path: '/var/lib/gatehouse/broker.db' });
 * await shadows.open();
 */
export function createSqliteShadowStore(options: SqliteStoreOptions): ShadowStoreBackend {
  return new SqlShadowStore({ db: new Kysely<ShadowDatabase>({ dialect: createSqliteDialect(options) }), dialect: 'sqlite' });
}
