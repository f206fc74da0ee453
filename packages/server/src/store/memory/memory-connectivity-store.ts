/**
 * The ConnectivityStore in process memory, for tests and `store.kind: memory`. Writes apply at once
 * (there is no transaction to save), with the same rule as SQL: an older record never replaces a newer one.
 */
import { GatehouseError } from '../../core/index.js';
import {
  checkConnectivityList, checkConnectivityRecord, connectivityKey, mergeConnectivity, type ConnectivityRecord, type ConnectivityStoreBackend,
} from '../connectivity-ports.js';

/** Records by `tenant\0thing`. Share it to give two stores one state. */
export class MemoryConnectivityTables {
  readonly things = new Map<string, ConnectivityRecord>();
}

export interface MemoryConnectivityStoreOptions {
  /** Existing tables to open (a second store on them stands in for a restarted process); default: new, empty ones. */
  readonly tables?: MemoryConnectivityTables;
}

/**
 * @example
 * const connectivity = new MemoryConnectivityStore();
 * await connectivity.open();
 */
export class MemoryConnectivityStore implements ConnectivityStoreBackend {
  readonly tables: MemoryConnectivityTables;
  #closed = false;

  constructor(options: MemoryConnectivityStoreOptions = {}) {
    this.tables = options.tables ?? new MemoryConnectivityTables();
  }

  async open(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async setConnectivity(record: ConnectivityRecord): Promise<void> {
    this.#assertOpen();
    checkConnectivityRecord(record);
    const key = connectivityKey(record.tenant, record.thing);
    const stored = this.tables.things.get(key);
    if (stored !== undefined && stored.timestamp > record.timestamp) return;
    this.tables.things.set(key, mergeConnectivity(stored, record));
  }

  async getConnectivity(tenant: string, thing: string): Promise<ConnectivityRecord | undefined> {
    this.#assertOpen();
    const record = this.tables.things.get(connectivityKey(tenant, thing));
    return record === undefined ? undefined : { ...record };
  }

  async listConnectivity(tenant: string, things: readonly string[]): Promise<ConnectivityRecord[]> {
    this.#assertOpen();
    checkConnectivityList(things);
    const found: ConnectivityRecord[] = [];
    for (const thing of new Set(things)) {
      const record = this.tables.things.get(connectivityKey(tenant, thing));
      if (record !== undefined) found.push({ ...record });
    }
    return found;
  }

  async markNodeDisconnected(nodeId: string, options: { readonly at: number; readonly reason: string }): Promise<number> {
    this.#assertOpen();
    let changed = 0;
    for (const [key, record] of this.tables.things) {
      if (record.nodeId !== nodeId || !record.connected) continue;
      this.tables.things.set(key, { ...record, connected: false, timestamp: options.at, disconnectReason: options.reason });
      changed++;
    }
    return changed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new GatehouseError('STORE_UNAVAILABLE', { reason: 'the store is closed' });
  }
}
