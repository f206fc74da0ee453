/**
 * The agent's reconnect delays: exponential growth with "equal jitter", so a fleet that lost its
 * broker at the same moment does not come back at the same moment.
 */

/** How long the agent waits between connection attempts. */
export interface BackoffOptions {
  /** The ceiling of the first wait after a connection is lost, in ms (default 1000). */
  readonly initialDelayMs: number;
  /** No wait is ever longer than this, in ms (default 30000). */
  readonly maxDelayMs: number;
}

/** The defaults: 0.5–1 s first, doubling per failure, never above 30 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * The wait before the next attempt after `failures` consecutive failed attempts (0 right after a
 * connection was lost). The ceiling is `min(maxDelayMs, initialDelayMs × 2^failures)`; the wait is
 * drawn from the upper half of it, `[ceiling / 2, ceiling]`, so it never exceeds `maxDelayMs` and
 * never collapses to zero (a broker that refuses at once is not hammered).
 *
 * @example
 * backoffDelay(0, DEFAULT_BACKOFF); // 500..1000
 * backoffDelay(3, DEFAULT_BACKOFF); // 4000..8000
 * backoffDelay(20, DEFAULT_BACKOFF); // 15000..30000
 */
export function backoffDelay(failures: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  if (!Number.isInteger(failures) || failures < 0) throw new RangeError(`failures must be a whole number ≥ 0, not ${failures}`);
  // 2 ** 40 already overflows any sane maxDelayMs; capping the exponent keeps the product finite.
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(failures, 40));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The longest the agent can take to reach endpoint number `index` (0-based) of its list after losing
 * its connection, when every endpoint before it fails at once (refused): the sum of the ceilings of
 * the waits before each attempt. Add `connectTimeoutMs` per dead endpoint that does not answer at all.
 *
 * @example
 * failoverBound(1, DEFAULT_BACKOFF); // 3000: ≤1 s before trying endpoint 0, ≤2 s before endpoint 1
 */
export function failoverBound(index: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  let total = 0;
  for (let failures = 0; failures <= index; failures++) total += Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(failures, 40));
  return total;
}
