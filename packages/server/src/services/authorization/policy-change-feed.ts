/**
 * Reads the store's policy change feed (`listPolicyChanges`) for the live authorizer: from a
 * watermark, with an overlap for clock skew and late commits, each entry handed out once.
 *
 * As the certificate re-check does: when a pass ends (a page that is not full), the next pass starts
 * `overlapMs` before this one began, by this node's clock, so an entry stamped by a node whose clock
 * is behind, or committed just after we read, is still read. Entries already handed out are
 * remembered by id until they fall behind the watermark, so the overlap costs a read, not a second
 * round of re-resolutions. A full page is read on from its last entry at once.
 */
import type { IdentityStore, PolicyChange } from '../../store/index.js';

/** The largest page `listPolicyChanges` gives. */
const pageSize = 1000;

export interface PolicyChangeFeedOptions {
  readonly identity: IdentityStore;
  /** Default 5000 ms. */
  readonly overlapMs?: number;
  /** Epoch ms; for tests. */
  readonly now?: () => number;
}

/** One read: the entries not handed out before. `commit` once they are applied; else the next read gives them again. */
export interface PolicyChangePage {
  readonly changes: readonly PolicyChange[];
  /** The page was full: read again at once. */
  readonly more: boolean;
  commit(): void;
}

interface Position {
  readonly since: number;
  readonly afterId?: number;
}

/**
 * @example
 * const feed = new PolicyChangeFeed({ identity });
 * const page = await feed.read();
 * await apply(page.changes);
 * page.commit();
 */
export class PolicyChangeFeed {
  readonly #identity: IdentityStore;
  readonly #overlapMs: number;
  readonly #now: () => number;
  #position: Position;
  #passStartedAt: number | undefined;
  /** Ids handed out, with their `at`, until the watermark passes them. */
  readonly #seen = new Map<number, number>();

  constructor(options: PolicyChangeFeedOptions) {
    this.#identity = options.identity;
    this.#overlapMs = options.overlapMs ?? 5_000;
    this.#now = options.now ?? Date.now;
    this.#position = { since: this.#now() - this.#overlapMs };
  }

  /** Moves the watermark to now (less the overlap) without reading: nothing live cares about older entries. */
  skip(): void {
    this.#position = { since: this.#now() - this.#overlapMs };
    this.#passStartedAt = undefined;
    this.#seen.clear();
  }

  async read(): Promise<PolicyChangePage> {
    const startedAt = this.#passStartedAt ?? this.#now();
    const position = this.#position;
    const page = await this.#identity.listPolicyChanges(position.since, pageSize, position.afterId === undefined ? {} : { afterId: position.afterId });
    const changes = page.filter((change) => !this.#seen.has(change.id));
    const last = page.at(-1);
    const more = page.length === pageSize && last !== undefined;
    return {
      changes,
      more,
      commit: () => {
        for (const change of changes) this.#seen.set(change.id, change.at);
        if (more) {
          this.#passStartedAt = startedAt;
          this.#position = { since: last.at, afterId: last.id };
          return;
        }
        this.#passStartedAt = undefined;
        const since = startedAt - this.#overlapMs;
        this.#position = { since };
        for (const [id, at] of this.#seen) if (at < since) this.#seen.delete(id);
      },
    };
  }
}
