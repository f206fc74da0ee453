/**
 * Per-shadow ordering: the requests of one shadow (MQTT and REST alike) run one after another in
 * the order they arrived, while different shadows run side by side.
 */

/**
 * A chain of tasks per key. A task starts when the previous task of its key has settled (resolved
 * or rejected: one failed request never stalls the ones behind it). A key with nothing queued holds
 * no memory.
 *
 * @example
 * const queue = new ShadowQueue();
 * const first = queue.run(shadowKey('acme', 'agent-7', ''), () => update(...));
 * const second = queue.run(shadowKey('acme', 'agent-7', ''), () => get(...)); // starts after first
 * await queue.idle();
 */
export class ShadowQueue {
  /** The last task queued per key; removed when that task settles and nothing came after it. */
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Keys with tasks queued or running. */
  get size(): number {
    return this.#tails.size;
  }

  /**
   * Queues `task` behind the tasks of `key` and settles as it does. Must not await before the
   * `set` below: the arrival order is the order of `run` calls.
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const result = previous === undefined ? startTask(task) : previous.then(() => startTask(task), () => startTask(task));
    const tail = result.then(settled, settled);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Resolves when every task queued so far (and any queued behind them meanwhile) has settled. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.allSettled([...this.#tails.values()]);
  }
}

/**
 * The queue key of one shadow. The NUL cannot occur in tenant, thing or shadow names, so two
 * different shadows never share a key.
 *
 * @example
 * shadowKey('acme', 'agent-7', ''); // 'acme\0agent-7\0'
 */
export function shadowKey(tenant: string, thing: string, shadow: string): string {
  return `${tenant}\0${thing}\0${shadow}`;
}

/** Runs `task`, turning a synchronous throw into a rejection so it cannot escape `run`. */
function startTask<T>(task: () => Promise<T>): Promise<T> {
  try {
    return task();
  } catch (error) {
    return Promise.reject(error);
  }
}

function settled(): void {}
