/** The harness's side of the load workers: forks them and turns their IPC messages into awaitable replies. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker } from './messages.js';

const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));

type Reply<K extends FromWorker['type']> = Extract<FromWorker, { type: K }>;

interface Waiter {
  readonly type: FromWorker['type'];
  readonly resolve: (message: FromWorker) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class LoadWorker {
  readonly index: number;
  readonly #child: ChildProcess;
  readonly #waiters: Waiter[] = [];
  readonly #inbox: FromWorker[] = [];
  onProgress: ((mins: readonly number[]) => void) | undefined;

  constructor(index: number) {
    this.index = index;
    this.#child = fork(workerPath, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (message: FromWorker) => this.#receive(message));
    this.#child.on('exit', (code) => this.#failAll(new Error(`Load worker ${String(index)} exited with ${String(code)}`)));
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  send(message: ToWorker): void {
    this.#child.send(message);
  }

  /** The next message of `type` from this worker; rejects when the worker reports a failure or `timeoutMs` passes. */
  next<K extends FromWorker['type']>(type: K, timeoutMs: number): Promise<Reply<K>> {
    const queued = this.#inbox.findIndex((message) => message.type === type);
    if (queued >= 0) return Promise.resolve(this.#inbox.splice(queued, 1)[0] as Reply<K>);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        type,
        resolve: resolve as (message: FromWorker) => void,
        reject,
        timer: setTimeout(() => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          reject(new Error(`Load worker ${String(this.index)} sent no "${type}" within ${String(timeoutMs)} ms`));
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Sends `message` and waits for the reply of `type`. */
  ask<K extends FromWorker['type']>(message: ToWorker, type: K, timeoutMs: number): Promise<Reply<K>> {
    const reply = this.next(type, timeoutMs);
    this.send(message);
    return reply;
  }

  kill(): void {
    this.#child.removeAllListeners('exit');
    this.#child.kill();
  }

  #receive(message: FromWorker): void {
    if (message.type === 'progress') {
      this.onProgress?.(message.mins);
      return;
    }
    if (message.type === 'failed') {
      this.#failAll(new Error(`Load worker ${String(this.index)} failed: ${message.message}`));
      return;
    }
    const at = this.#waiters.findIndex((waiter) => waiter.type === message.type);
    if (at < 0) {
      this.#inbox.push(message);
      return;
    }
    const [waiter] = this.#waiters.splice(at, 1);
    clearTimeout(waiter!.timer);
    waiter!.resolve(message);
  }

  #failAll(error: Error): void {
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}

/** Forks `count` load workers. */
export function startWorkers(count: number): LoadWorker[] {
  return Array.from({ length: count }, (_, index) => new LoadWorker(index));
}
