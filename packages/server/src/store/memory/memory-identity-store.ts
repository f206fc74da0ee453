/**
 * The IdentityStore in process memory, for tests and `store.kind: memory`. Transactions are serialised
 * and undone by restoring a snapshot; values are copied in and out so callers never reach stored state.
 */
import { GatehouseError } from '../../core/index.js';
import type {
  CaRecord,
  CaStatus,
  CertificatePage,
  CertificateQuery,
  CertificateRecord,
  CertificateStatus,
  IdentityStore,
  IdentityStoreBackend,
  ProvisioningTemplateRecord,
  RegistrationTokenRecord,
  RevokedEntry,
  TokenConsumption,
} from '../identity-ports.js';
import { certificateConflict, checkPageLimit, revokedConflict, tokenConflict } from '../identity-ports.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface TokenRow extends RegistrationTokenRecord {
  readonly consumedAt?: number;
}

/**
 * The identity tables and the lock that serialises their transactions. Hand the same instance to a
 * second MemoryIdentityStore to "reopen" the store, as a test would reopen a file.
 */
export class MemoryIdentityTables {
  /** Keyed by `tenant\0id`. */
  cas = new Map<string, CaRecord>();
  certificates = new Map<string, CertificateRecord>();
  tokens = new Map<string, TokenRow>();
  /** Keyed by `tenant\0name`. */
  templates = new Map<string, ProvisioningTemplateRecord>();
  /** Settles when the running operation or transaction ends; the next one chains on it. */
  lock: Promise<void> = Promise.resolve();
}

export interface MemoryIdentityStoreOptions {
  /** Existing tables to open; default: new, empty ones. */
  readonly tables?: MemoryIdentityTables;
}

function key(tenant: string, name: string): string {
  return `${tenant}\0${name}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function copyTemplate(source: ProvisioningTemplateRecord): ProvisioningTemplateRecord {
  return structuredClone(source);
}

/**
 * An IdentityStore in memory. Every verb takes the tables' lock, so a transaction's half-done state is
 * never seen by another caller and its rollback never erases someone else's write.
 *
 * @example
 * const identity = new MemoryIdentityStore();
 * await identity.open();
 * await identity.recordToken({ jti: 'j1', tenant: 'default', thing: 'agent-7', expiresAt: Date.now() + 900_000, createdAt: Date.now() });
 * await identity.consumeToken('j1', Date.now()); // 'consumed'
 */
export class MemoryIdentityStore implements IdentityStoreBackend {
  readonly tables: MemoryIdentityTables;
  /** True for the store handed to a transaction's function: it already holds the lock. */
  readonly #inTransaction: boolean;
  #closed = false;

  constructor(options: MemoryIdentityStoreOptions = {}, inTransaction = false) {
    this.tables = options.tables ?? new MemoryIdentityTables();
    this.#inTransaction = inTransaction;
  }

  async open(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  putCa(ca: CaRecord): Promise<void> {
    return this.#run(() => void this.tables.cas.set(key(ca.tenant, ca.id), { ...ca }));
  }

  getCa(tenant: string, id: string): Promise<CaRecord | undefined> {
    return this.#run(() => {
      const ca = this.tables.cas.get(key(tenant, id));
      return ca === undefined ? undefined : { ...ca };
    });
  }

  listCas(tenant: string): Promise<CaRecord[]> {
    return this.#run(() =>
      [...this.tables.cas.values()].filter((ca) => ca.tenant === tenant).map((ca) => ({ ...ca })).sort((a, b) => compareText(a.id, b.id)),
    );
  }

  setCaStatus(tenant: string, id: string, status: CaStatus): Promise<CaRecord> {
    return this.#run(() => {
      const ca = this.tables.cas.get(key(tenant, id));
      if (ca === undefined) throw new GatehouseError('NOT_FOUND', { what: 'CA certificate', id });
      const updated = { ...ca, status };
      this.tables.cas.set(key(tenant, id), updated);
      return { ...updated };
    });
  }

  putCertificate(record: CertificateRecord): Promise<void> {
    return this.#run(() => {
      if (this.tables.certificates.has(record.id)) throw certificateConflict(record.id);
      this.tables.certificates.set(record.id, { ...record });
    });
  }

  getCertificate(id: string): Promise<CertificateRecord | undefined> {
    return this.#run(() => {
      const record = this.tables.certificates.get(id);
      return record === undefined ? undefined : { ...record };
    });
  }

  setCertificateStatus(id: string, status: CertificateStatus, at: number): Promise<CertificateRecord | undefined> {
    return this.#run(() => {
      const record = this.tables.certificates.get(id);
      if (record === undefined) return undefined;
      if (record.status === 'REVOKED') {
        if (status === 'REVOKED') return { ...record };
        throw revokedConflict(id, status);
      }
      const updated: Mutable<CertificateRecord> = { ...record, status, updatedAt: at };
      if (status === 'REVOKED') updated.revokedAt = at;
      this.tables.certificates.set(id, updated);
      return { ...updated };
    });
  }

  async listCertificates(tenant: string, query: CertificateQuery): Promise<CertificatePage> {
    checkPageLimit(query.limit);
    return this.#run(() => {
      const { cursor } = query;
      const matching = [...this.tables.certificates.values()]
        .filter(
          (record) =>
            record.tenant === tenant &&
            (query.thing === undefined || record.thing === query.thing) &&
            (query.status === undefined || record.status === query.status) &&
            (query.caId === undefined || record.caId === query.caId) &&
            (cursor === undefined || record.id > cursor),
        )
        .sort((a, b) => compareText(a.id, b.id));
      const items = matching.slice(0, query.limit).map((record) => ({ ...record }));
      const last = items.at(-1);
      return matching.length > query.limit && last !== undefined ? { items, nextCursor: last.id } : { items };
    });
  }

  listRevoked(tenant: string, caId: string): Promise<RevokedEntry[]> {
    return this.#run(() =>
      [...this.tables.certificates.values()]
        .filter((record) => record.tenant === tenant && record.caId === caId && record.status === 'REVOKED')
        .map((record) => ({ serialNumber: record.serialNumber, revokedAt: record.revokedAt ?? record.updatedAt }))
        .sort((a, b) => compareText(a.serialNumber, b.serialNumber)),
    );
  }

  recordToken(token: RegistrationTokenRecord): Promise<void> {
    return this.#run(() => {
      if (this.tables.tokens.has(token.jti)) throw tokenConflict(token.jti);
      this.tables.tokens.set(token.jti, { ...token });
    });
  }

  consumeToken(jti: string, at: number): Promise<TokenConsumption> {
    // Check and write happen in one synchronous step under the lock: no await between them.
    return this.#run(() => {
      const token = this.tables.tokens.get(jti);
      if (token === undefined) return 'unknown';
      if (token.consumedAt !== undefined) return 'already-used';
      if (token.expiresAt <= at) return 'expired';
      this.tables.tokens.set(jti, { ...token, consumedAt: at });
      return 'consumed';
    });
  }

  putTemplate(template: ProvisioningTemplateRecord): Promise<void> {
    return this.#run(() => void this.tables.templates.set(key(template.tenant, template.name), copyTemplate(template)));
  }

  getTemplate(tenant: string, name: string): Promise<ProvisioningTemplateRecord | undefined> {
    return this.#run(() => {
      const template = this.tables.templates.get(key(tenant, name));
      return template === undefined ? undefined : copyTemplate(template);
    });
  }

  listTemplates(tenant: string): Promise<ProvisioningTemplateRecord[]> {
    return this.#run(() =>
      [...this.tables.templates.values()]
        .filter((template) => template.tenant === tenant)
        .map(copyTemplate)
        .sort((a, b) => compareText(a.name, b.name)),
    );
  }

  deleteTemplate(tenant: string, name: string): Promise<boolean> {
    return this.#run(() => this.tables.templates.delete(key(tenant, name)));
  }

  async transaction<T>(fn: (tx: IdentityStore) => Promise<T>): Promise<T> {
    this.#assertOpen();
    if (this.#inTransaction) return fn(this);
    return this.#exclusive(async () => {
      const tables = this.tables;
      // Records are never mutated in place (every write replaces the object), so copying the maps is a full snapshot.
      const snapshot = { cas: new Map(tables.cas), certificates: new Map(tables.certificates), tokens: new Map(tables.tokens), templates: new Map(tables.templates) };
      try {
        return await fn(new MemoryIdentityStore({ tables }, true));
      } catch (error) {
        Object.assign(tables, snapshot);
        throw error;
      }
    });
  }

  /** Runs one verb's synchronous body under the lock (or directly inside a transaction, which holds it). */
  async #run<T>(body: () => T): Promise<T> {
    this.#assertOpen();
    if (this.#inTransaction) return body();
    return this.#exclusive(async () => body());
  }

  async #exclusive<T>(body: () => Promise<T>): Promise<T> {
    const previous = this.tables.lock;
    let release!: () => void;
    this.tables.lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await body();
    } finally {
      release();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new GatehouseError('STORE_UNAVAILABLE', { reason: 'the store is closed' });
  }
}
