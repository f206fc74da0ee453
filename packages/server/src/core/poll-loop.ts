/**
 * A loop that runs a round every `intervalMs`, or at once again while the last round said there is
 * `more` (a full page read). Rounds never overlap: `runNow()` and the timer queue behind the round
 * under way. The timer is unref'd, so the loop never holds the process open.
 */

/** What a round reports; `more` asks for the next round at once instead of after `intervalMs`. */
export interface PollRound {
  readonly more: boolean;
}

export interface PollLoopOptions<R extends PollRound> {
  readonly intervalMs: number;
  readonly round: () => Promise<R>;
  /** A timer round that threw; the loop goes on after `intervalMs`. Errors of `runNow()` go to its caller instead. */
  readonly onError: (error: unknown) => void;
}

export interface PollLoop<R extends PollRound> {
  /** Runs a round after the one under way (if any) and resolves with its result. */
  runNow(): Promise<R>;
  /** Stops the timer; a round under way finishes. */
  stop(): void;
}

/**
 * Starts the loop; the first timer round runs after `intervalMs`.
 *
 * @example
 * const loop = startPollLoop({ intervalMs: 250, round: readOnePage, onError: (error) => logger.warn({ err: String(error) }, 'cannot read the feed') });
 * const { more } = await loop.runNow();
 * loop.stop();
 */
export function startPollLoop<R extends PollRound>(options: PollLoopOptions<R>): PollLoop<R> {
  const { intervalMs, round, onError } = options;
  let queue: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  function runNow(): Promise<R> {
    const result = queue.then(round);
    queue = result.catch(() => undefined);
    return result;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      runNow().then(
        ({ more }) => schedule(more ? 0 : intervalMs),
        (error: unknown) => {
          onError(error);
          schedule(intervalMs);
        },
      );
    }, delayMs);
    timer.unref();
  }

  schedule(intervalMs);
  return {
    runNow,
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
