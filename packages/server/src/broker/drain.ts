/**
 * Draining a node: every client is disconnected at a paced rate, so that their reconnects reach the
 * next node as a stream rather than a storm. MQTT 5 clients are told where to go.
 */
import { ReasonCode } from '../mqtt/index.js';
import type { Connection } from './connection.js';

export interface DrainOptions {
  /** Sent to MQTT 5 clients with DISCONNECT 0x9C (Use another server); without it they get 0x8B (Server shutting down). */
  readonly serverReference?: string | undefined;
  /** Clients disconnected per second. */
  readonly ratePerSecond: number;
}

/** A drain under way. */
export interface Drain {
  /** Resolves once every client that was connected when the drain began is disconnected. */
  readonly done: Promise<void>;
  /** Disconnects the rest at once (a second SIGTERM, the drain deadline). */
  hurry(): void;
}

/**
 * Disconnects the given connections, `ratePerSecond` of them a second, in batches every 10 ms or
 * more. 3.1.1 clients have no DISCONNECT from the server and are just closed.
 *
 * @example
 * const drain = drainConnections(core.connections, { serverReference: 'mqtt-b.example.com:8883', ratePerSecond: 500 });
 * setTimeout(() => drain.hurry(), 30_000).unref();
 * await drain.done;
 */
export function drainConnections(connections: Iterable<Connection>, options: DrainOptions): Drain {
  const queue = [...connections];
  const intervalMs = Math.max(10, 1000 / options.ratePerSecond);
  const batch = Math.max(1, Math.round((options.ratePerSecond * intervalMs) / 1000));
  const reference = options.serverReference;
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const disconnect = (connection: Connection): void => {
    if (reference !== undefined) {
      connection.disconnect(ReasonCode.UseAnotherServer, `Server is draining; use ${reference}`, 'shutdown', { serverReference: reference });
    } else {
      connection.disconnect(ReasonCode.ServerShuttingDown, 'Server is draining', 'shutdown');
    }
  };
  const take = (count: number): void => {
    const end = Math.min(queue.length, next + count);
    for (; next < end; next++) disconnect(queue[next] as Connection);
    if (next >= queue.length) {
      clearInterval(timer);
      timer = undefined;
      finish();
    }
  };

  take(batch);
  if (next < queue.length) timer = setInterval(() => take(batch), intervalMs);
  return { done, hurry: () => take(queue.length) };
}
