/**
 * The identity store reads policy resolution makes, remembered for one pass: when a policy change
 * re-resolves a thousand agents of one thing, or one certificate's connections, each record is read
 * once per pass.
 */
import type { AttachedPolicy, CertificateRecord, IdentityStore, PolicyTarget, ThingRecord } from '../../store/index.js';

/**
 * Memoized reads for one resolution pass. Make a new one per pass: it never forgets, so a long-lived
 * one would answer from stale records.
 *
 * @example
 * const reads = new StoreReads(identity);
 * await Promise.all(affected.map((live) => resolver.resolve(live.principal, { now, reads })));
 */
export class StoreReads {
  readonly #identity: IdentityStore;
  readonly #memo = new Map<string, Promise<unknown>>();

  constructor(identity: IdentityStore) {
    this.#identity = identity;
  }

  certificate(id: string): Promise<CertificateRecord | undefined> {
    return this.#once(`c\0${id}`, () => this.#identity.getCertificate(id));
  }

  thing(tenant: string, name: string): Promise<ThingRecord | undefined> {
    return this.#once(`t\0${tenant}\0${name}`, () => this.#identity.getThing(tenant, name));
  }

  /** A thing group's parent through `lookup` (the resolver's `parentGroup`): a group's subtree of connections walks its ancestors once per pass. */
  parentGroup(tenant: string, group: string, lookup: (tenant: string, group: string) => Promise<string | undefined>): Promise<string | undefined> {
    return this.#once(`g\0${tenant}\0${group}`, () => lookup(tenant, group));
  }

  /** The policies attached to any of `targets`, with their default documents, in one read. */
  attachedPolicies(tenant: string, targets: readonly PolicyTarget[]): Promise<AttachedPolicy[]> {
    const key = targets.map((target) => `${target.kind}:${target.id}`).join('\0');
    return this.#once(`a\0${tenant}\0${key}`, () => this.#identity.listPoliciesAttachedTo(tenant, targets));
  }

  #once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let pending = this.#memo.get(key) as Promise<T> | undefined;
    if (pending === undefined) {
      pending = read();
      this.#memo.set(key, pending);
      // A failed read is not remembered: the next resolution in the pass tries again.
      pending.catch(() => this.#memo.delete(key));
    }
    return pending;
  }
}
