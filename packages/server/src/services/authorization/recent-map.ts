/** A bounded, least-recently-used map for the authorization caches. */

/**
 * A bounded map that forgets the entry used longest ago. Live connections hold their own references,
 * so forgetting only costs a later parse or compile.
 *
 * @example
 * const parsed = new RecentMap<ParsedPolicy>(10_000);
 * parsed.set(key, policy);
 * parsed.get(key); // policy, now the most recently used
 */
export class RecentMap<V> {
  readonly #max: number;
  readonly #map = new Map<string, V>();

  constructor(max: number) {
    this.#max = max;
  }

  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#map.set(key, value);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value as string);
  }

  get size(): number {
    return this.#map.size;
  }
}
