/** The broker: accepts connections from any transport and owns their sessions and messages. */
import type { Duplex } from 'node:stream';
import { validateTopicFilter } from '@gatehouse/protocol';
import type { PeerInfo } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import { Admin } from './admin.js';
import type { BrokerPort, InternalMessage, MessageOrigin } from './broker-port.js';
import { BrokerCore, type BrokerOptions } from './core.js';
import { drainConnections, type Drain, type DrainOptions } from './drain.js';
import type { LifecycleListener } from './lifecycle.js';
import type { InternalSubscription } from './router.js';
import type { BrokerAdmin } from './types.js';

/**
 * @example
 * const broker = new Broker({ store: new MemoryStore(), logger });
 * await broker.start();
 * net.createServer((socket) => broker.accept(socket, { transport: 'tcp', remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0, localPort: 1883, listener: 'mqtt' })).listen(1883);
 */
export class Broker {
  readonly #core: BrokerCore;
  readonly admin: BrokerAdmin;
  readonly port: BrokerPort;

  constructor(options: BrokerOptions) {
    const core = new BrokerCore(options);
    this.#core = core;
    this.admin = new Admin(core);
    this.port = {
      publish(message: InternalMessage): void {
        core.publish(message, undefined);
      },
      hasSubscribers(topic: string): boolean {
        return core.router.hasRoute(topic);
      },
      publishTo(clientId: string, message: InternalMessage): boolean {
        return core.publishTo(clientId, message);
      },
      subscribe(filter: string, handler: (message: InternalMessage, origin: MessageOrigin | undefined) => void): () => void {
        const reason = validateTopicFilter(filter);
        if (reason !== undefined) throw new TypeError(`Invalid internal subscription "${filter}": ${reason}`);
        const subscription: InternalSubscription = { kind: 'internal', topicFilter: filter, handler };
        core.router.addInternal(subscription);
        return () => core.router.removeInternal(subscription);
      },
      onLifecycle(listener: LifecycleListener): () => void {
        return core.lifecycle.on(listener);
      },
    };
  }

  /** Loads the durable state and starts accepting connections. The store must be open. */
  async start(): Promise<void> {
    await this.#core.load();
    this.#core.startTimers();
    this.#core.accepting = true;
  }

  accept(stream: Duplex, peer: PeerInfo): void {
    this.#core.accept(stream, peer);
  }

  get ready(): boolean {
    return this.#core.accepting && this.#core.commit.healthy;
  }

  get storeHealthy(): boolean {
    return this.#core.commit.healthy;
  }

  /**
   * Stops accepting and disconnects the clients at a paced rate (MQTT 5 clients are sent to
   * `serverReference` with 0x9C, or told 0x8B). `close` afterwards stops timers and flushes.
   */
  drain(options: DrainOptions): Drain {
    this.#core.accepting = false;
    return drainConnections(this.#core.connections, options);
  }

  /** Stops accepting, tells MQTT 5 clients the server is shutting down (0x8B), closes all, flushes the store. */
  async close(options: { reason?: string } = {}): Promise<void> {
    const core = this.#core;
    core.accepting = false;
    for (const connection of [...core.connections]) {
      connection.disconnect(ReasonCode.ServerShuttingDown, options.reason ?? 'Server shutting down', 'shutdown');
    }
    core.stopTimers();
    await core.commit.flush();
  }
}

export type { BrokerOptions, Drain, DrainOptions };
