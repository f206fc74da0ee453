/** Opening a SQL store, shared by the broker and identity stores: find the schema, migrate, name failures. */
import { sql, type Kysely } from 'kysely';
import { GatehouseError } from '../../core/index.js';
import { migrateToLatest } from '../migrations/index.js';
import type { SqlDialectName } from './schema.js';

export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Brings the database to the latest migration. On PostgreSQL the migrations go to `schema`, or to the
 * connection's current schema when none is given. Failures are STORE_UNAVAILABLE naming `what`.
 */
export async function openSqlStore(db: Kysely<unknown>, options: { readonly dialect: SqlDialectName; readonly schema?: string | undefined; readonly what: string }): Promise<void> {
  const { dialect } = options;
  try {
    const schema = dialect === 'postgres' ? (options.schema ?? (await currentSchema(db))) : undefined;
    await migrateToLatest(db, { dialect, ...(schema === undefined ? {} : { schema }) });
  } catch (error) {
    if (error instanceof GatehouseError) throw error;
    throw new GatehouseError('STORE_UNAVAILABLE', { reason: `cannot open the ${dialect} ${options.what}: ${reasonOf(error)}` }, { cause: error });
  }
}

async function currentSchema(db: Kysely<unknown>): Promise<string> {
  const result = await sql<{ schema: string | null }>`SELECT current_schema() AS schema`.execute(db);
  const schema = result.rows[0]?.schema;
  if (schema == null) throw new Error('the search_path names no existing schema');
  return schema;
}
