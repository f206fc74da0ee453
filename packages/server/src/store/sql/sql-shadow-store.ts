/**
 * The ShadowStore on Kysely, shared by SQLite and PostgreSQL. The compare-and-set is one statement
 * (a conditional UPDATE, or an INSERT that does nothing on an existing row), which both dialects run
 * atomically per row across connections, processes and nodes.
 */
import type { Kysely, Selectable } from 'kysely';
import { checkPageLimit } from '../identity-ports.js';
import { checkPurgeTime, checkShadowRecord, type ShadowNamePage, type ShadowRecord, type ShadowStoreBackend } from '../shadow-ports.js';
import { openSqlStore } from './open-sql-store.js';
import { assertStoreOpen, runStoreQuery } from './run-store-query.js';
import { toNumber, toOptionalNumber } from './row-codec.js';
import type { BigIntColumn, NullableBigIntColumn, SqlDialectName } from './schema.js';

/** Migration 0007. */
export interface ShadowsTable {
  tenant: string;
  thing: string;
  /** '' for the classic shadow; compares bytewise (COLLATE "C" on PostgreSQL). */
  name: string;
  state: string;
  metadata: string;
  version: number;
  updated_at: BigIntColumn;
  deleted_at: NullableBigIntColumn;
}

export interface ShadowDatabase {
  shadows: ShadowsTable;
}

export interface SqlShadowStoreOptions {
  /** The broker store's database; a Kysely with more tables than these works too. */
  readonly db: Kysely<ShadowDatabase>;
  readonly dialect: SqlDialectName;
  /** PostgreSQL schema holding the tables (the connections' search_path must point at it). */
  readonly schema?: string;
}

/**
 * A ShadowStore on SQL. Nothing touches the database until `open()`, which migrates.
 *
 * @example
 * const shadows = new SqlShadowStore({ db, dialect: 'postgres', schema: 'gatehouse' });
 * await shadows.open();
 * const won = await shadows.putShadow(next, current?.version);
 */
export class SqlShadowStore implements ShadowStoreBackend {
  readonly #db: Kysely<ShadowDatabase>;
  readonly #options: SqlShadowStoreOptions;
  #closed = false;

  constructor(options: SqlShadowStoreOptions) {
    this.#db = options.db;
    this.#options = options;
  }

  async open(): Promise<void> {
    assertStoreOpen(this.#closed);
    await openSqlStore(this.#db as Kysely<unknown>, { dialect: this.#options.dialect, schema: this.#options.schema, what: 'shadow store' });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
  }

  getShadow(tenant: string, thing: string, name: string): Promise<ShadowRecord | undefined> {
    return this.#query('read shadow', async (db) => {
      const row = await db.selectFrom('shadows').selectAll().where('tenant', '=', tenant).where('thing', '=', thing).where('name', '=', name).executeTakeFirst();
      return row === undefined ? undefined : shadowFromRow(row);
    });
  }

  putShadow(record: ShadowRecord, expectedVersion: number | undefined): Promise<boolean> {
    const columns = { state: record.state, metadata: record.metadata, version: record.version, updated_at: record.updatedAt, deleted_at: record.deletedAt ?? null };
    return this.#query('write shadow', async (db) => {
      checkShadowRecord(record, expectedVersion);
      if (expectedVersion === undefined) {
        // A concurrent insert of the same key waits for ours (PostgreSQL) or for the write lock (SQLite), then does nothing.
        const result = await db
          .insertInto('shadows')
          .values({ tenant: record.tenant, thing: record.thing, name: record.name, ...columns })
          .onConflict((oc) => oc.columns(['tenant', 'thing', 'name']).doNothing())
          .executeTakeFirst();
        return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
      }
      // PostgreSQL re-checks the WHERE on the row a concurrent writer committed (READ COMMITTED), so
      // of two updates from one version the second matches nothing; SQLite runs writes one at a time.
      const result = await db
        .updateTable('shadows')
        .set(columns)
        .where('tenant', '=', record.tenant)
        .where('thing', '=', record.thing)
        .where('name', '=', record.name)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  listShadowNames(tenant: string, thing: string, query: { readonly limit: number; readonly cursor?: string }): Promise<ShadowNamePage> {
    return this.#query('list shadows', async (db) => {
      checkPageLimit(query.limit, 'shadows');
      let select = db.selectFrom('shadows').select('name').where('tenant', '=', tenant).where('thing', '=', thing).where('deleted_at', 'is', null).where('name', '<>', '');
      if (query.cursor !== undefined) select = select.where('name', '>', query.cursor);
      // One row more than asked tells whether another page follows.
      const rows = await select.orderBy('name').limit(query.limit + 1).execute();
      const names = rows.slice(0, query.limit).map((row) => row.name);
      const last = names.at(-1);
      return rows.length > query.limit && last !== undefined ? { names, nextCursor: last } : { names };
    });
  }

  purgeTombstones(before: number): Promise<number> {
    return this.#query('purge shadow tombstones', async (db) => {
      checkPurgeTime(before);
      const result = await db.deleteFrom('shadows').where('deleted_at', 'is not', null).where('deleted_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  async #query<T>(action: string, body: (db: Kysely<ShadowDatabase>) => Promise<T>): Promise<T> {
    assertStoreOpen(this.#closed);
    return runStoreQuery(action, () => body(this.#db));
  }
}

function shadowFromRow(row: Selectable<ShadowsTable>): ShadowRecord {
  const record = { tenant: row.tenant, thing: row.thing, name: row.name, state: row.state, metadata: row.metadata, version: row.version, updatedAt: toNumber(row.updated_at) };
  const deletedAt = toOptionalNumber(row.deleted_at);
  return deletedAt === undefined ? record : { ...record, deletedAt };
}
