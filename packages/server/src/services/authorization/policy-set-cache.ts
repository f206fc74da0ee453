/**
 * Parsed documents and compiled policy sets, kept by content: a thousand agents with the same
 * policies share one compiled set, and a set is compiled again only when one of its documents changes.
 */
import { createHash } from 'node:crypto';
import { compilePolicies, parsePolicy, type CompiledPolicySet, type ParsedPolicy } from '../../auth/index.js';
import { GatehouseError } from '../../core/index.js';
import type { PolicyRecord } from '../../store/index.js';
import { RecentMap } from './recent-map.js';

/** A stored policy version, parsed, with the content hash that keys it. */
export interface PolicyDocument {
  readonly name: string;
  readonly version: number;
  readonly hash: string;
  readonly parsed: ParsedPolicy;
}

/**
 * Parses and compiles with memory. Keys are the policies' names and document hashes, never only
 * name and version: a policy deleted and created again starts at version 1 with another document.
 *
 * @example
 * const cache = new PolicySetCache();
 * const documents = records.map((record) => cache.document(record));
 * const { key, compiled } = cache.compile(documents);
 */
export class PolicySetCache {
  readonly #documents: RecentMap<PolicyDocument>;
  readonly #sets: RecentMap<CompiledPolicySet>;
  /** Times `compilePolicies` ran; tests read it to see that sets are shared. */
  compilations = 0;

  constructor(options: { readonly maxEntries?: number } = {}) {
    this.#documents = new RecentMap(options.maxEntries ?? 10_000);
    this.#sets = new RecentMap(options.maxEntries ?? 10_000);
  }

  /** Parses a stored policy (once per content). Throws `POLICY_INVALID`, naming the policy, for a document the parser refuses. */
  document(record: PolicyRecord): PolicyDocument {
    const hash = createHash('sha256').update(record.document).digest('base64url').slice(0, 22);
    const key = `${record.name}\0${hash}`;
    const known = this.#documents.get(key);
    if (known !== undefined) return known.version === record.version ? known : { ...known, version: record.version };
    let parsed: ParsedPolicy;
    try {
      parsed = parsePolicy(record.document, { name: record.name });
    } catch (error) {
      if (!(error instanceof GatehouseError)) throw error;
      throw new GatehouseError('POLICY_INVALID', { reason: `policy "${record.name}" version ${record.version}: ${String(error.params['reason'])}` });
    }
    const document: PolicyDocument = { name: record.name, version: record.version, hash, parsed };
    this.#documents.set(key, document);
    return document;
  }

  /**
   * The compiled set of `documents`, whatever their order; its key names the set's contents. The
   * set is compiled in name order, so `decidedBy` names the same statement whichever way it was asked.
   */
  compile(documents: readonly PolicyDocument[]): { readonly key: string; readonly compiled: CompiledPolicySet } {
    const sorted = [...documents].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const key = sorted.map((document) => `${document.name}#${document.hash}`).join('\n');
    let compiled = this.#sets.get(key);
    if (compiled === undefined) {
      compiled = compilePolicies(sorted.map((document) => document.parsed));
      this.compilations++;
      this.#sets.set(key, compiled);
    }
    return { key, compiled };
  }
}
