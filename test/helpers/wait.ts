/** Waiting in tests: a plain delay, and polling a condition with a deadline that names what it waited for. */

/**
 * @example
 * await sleep(100);
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `condition` every 20 ms until it holds; throws with `what` after `timeoutMs`.
 *
 * @example
 * await waitFor(() => received.length === 3, 'three messages');
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
