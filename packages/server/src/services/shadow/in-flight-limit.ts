/**
 * How many shadow requests each connection has under way: AWS refuses more than 10 in flight on one
 * connection with 429, and so does Gatehouse (the number is configurable).
 */

/**
 * Counts requests per connection (its session key) against a limit.
 *
 * @example
 * const inFlight = new InFlightLimit(10);
 * if (!inFlight.acquire(origin.sessionKey)) return reject429();
 * try { await work(); } finally { inFlight.release(origin.sessionKey); }
 */
export class InFlightLimit {
  readonly #limit: number;
  readonly #counts = new Map<string, number>();

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Cannot limit requests in flight to ${limit}: the limit must be a whole number of at least 1`);
    this.#limit = limit;
  }

  /** Takes a slot for `client`; false, taking nothing, when it already has `limit` requests under way. */
  acquire(client: string): boolean {
    const running = this.#counts.get(client) ?? 0;
    if (running >= this.#limit) return false;
    this.#counts.set(client, running + 1);
    return true;
  }

  /** Gives back a slot taken by `acquire`. */
  release(client: string): void {
    const left = (this.#counts.get(client) ?? 1) - 1;
    if (left <= 0) this.#counts.delete(client);
    else this.#counts.set(client, left);
  }

  /** Requests under way for `client`. */
  inFlight(client: string): number {
    return this.#counts.get(client) ?? 0;
  }
}
