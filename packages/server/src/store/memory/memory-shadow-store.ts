/**
 * The ShadowStore in process memory, for tests and `store.kind: memory`. Every verb runs without an
 * await between reading and writing, so a compare-and-set is atomic on the one event loop.
 */
import { GatehouseError } from '../../core/index.js';
import { checkPageLimit } from '../identity-ports.js';
import { checkPurgeTime, checkShadowRecord, type ShadowNamePage, type ShadowRecord, type ShadowStoreBackend } from '../shadow-ports.js';

/** The shadows of every thing: `tenant\0thing` to the thing's shadows by name. Share it to give two stores one state. */
export class MemoryShadowTables {
  readonly things = new Map<string, Map<string, ShadowRecord>>();
}

export interface MemoryShadowStoreOptions {
  /** Existing tables to open (a second store on them stands in for a second process); default: new, empty ones. */
  readonly tables?: MemoryShadowTables;
}

/** UTF-8 byte order, as SQLite's BINARY and PostgreSQL's "C" collation compare (JS `<` compares UTF-16 units). */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function thingKey(tenant: string, thing: string): string {
  return `${tenant}\0${thing}`;
}

/**
 * Shadows in a Map, copied in and out so callers never hold stored state.
 *
 * @example
 * const shadows = new MemoryShadowStore();
 * await shadows.open();
 * await shadows.putShadow({ tenant: 'acme', thing: 'agent-7', name: CLASSIC_SHADOW, state: '{}', metadata: '{}', version: 1, updatedAt: Date.now() }, undefined);
 */
export class MemoryShadowStore implements ShadowStoreBackend {
  readonly tables: MemoryShadowTables;
  #closed = false;

  constructor(options: MemoryShadowStoreOptions = {}) {
    this.tables = options.tables ?? new MemoryShadowTables();
  }

  async open(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async getShadow(tenant: string, thing: string, name: string): Promise<ShadowRecord | undefined> {
    this.#assertOpen();
    const record = this.tables.things.get(thingKey(tenant, thing))?.get(name);
    return record === undefined ? undefined : { ...record };
  }

  // No await between the version check and the write: that is what makes it a compare-and-set.
  async putShadow(record: ShadowRecord, expectedVersion: number | undefined): Promise<boolean> {
    this.#assertOpen();
    checkShadowRecord(record, expectedVersion);
    const key = thingKey(record.tenant, record.thing);
    const current = this.tables.things.get(key)?.get(record.name);
    if (current?.version !== expectedVersion) return false;
    let shadows = this.tables.things.get(key);
    if (shadows === undefined) this.tables.things.set(key, (shadows = new Map()));
    shadows.set(record.name, copyRecord(record));
    return true;
  }

  async listShadowNames(tenant: string, thing: string, query: { readonly limit: number; readonly cursor?: string }): Promise<ShadowNamePage> {
    this.#assertOpen();
    checkPageLimit(query.limit, 'shadows');
    const { cursor } = query;
    const names = [...(this.tables.things.get(thingKey(tenant, thing))?.values() ?? [])]
      .filter((record) => record.deletedAt === undefined && record.name !== '' && (cursor === undefined || compareBytes(record.name, cursor) > 0))
      .map((record) => record.name)
      .sort(compareBytes);
    const page = names.slice(0, query.limit);
    const last = page.at(-1);
    return names.length > query.limit && last !== undefined ? { names: page, nextCursor: last } : { names: page };
  }

  async purgeTombstones(before: number): Promise<number> {
    this.#assertOpen();
    checkPurgeTime(before);
    let purged = 0;
    for (const [key, shadows] of this.tables.things) {
      for (const [name, record] of shadows) {
        if (record.deletedAt !== undefined && record.deletedAt < before) {
          shadows.delete(name);
          purged++;
        }
      }
      if (shadows.size === 0) this.tables.things.delete(key);
    }
    return purged;
  }

  #assertOpen(): void {
    if (this.#closed) throw new GatehouseError('STORE_UNAVAILABLE', { reason: 'the store is closed' });
  }
}

/** Only the port's fields, so an object with extra properties is not kept whole. */
function copyRecord(record: ShadowRecord): ShadowRecord {
  const { tenant, thing, name, state, metadata, version, updatedAt, deletedAt } = record;
  return deletedAt === undefined
    ? { tenant, thing, name, state, metadata, version, updatedAt }
    : { tenant, thing, name, state, metadata, version, updatedAt, deletedAt };
}
