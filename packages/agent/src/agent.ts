/**
 * The Gatehouse agent's public face: the offline queue and its drain, subscriptions and their
 * dispatch, commands and the shadow sync. The connection loop (failover, backoff) is AgentConnection.
 */
import { EventEmitter } from 'node:events';
import type { IClientPublishOptions, IPublishPacket, MqttClient } from 'mqtt';
import { matchTopic, type ShadowJsonObject } from '@gatehouse/protocol';
import { resolveAgentOptions, type AgentOptions, type ResolvedAgentOptions } from './agent-options.ts';
import { toAgentMessage, type AgentMessage, type MessageHandler } from './agent-message.ts';
import { AgentConnection } from './agent-connection.ts';
import { skewFromServerTime, type ClockSkew } from './clock-skew.ts';
import { commandReply, readCommandRequest, type CommandRequest } from './command-envelope.ts';
import { DiskQueue, type QueuedMessage, type QueuedProperties } from './disk-queue.ts';
import { ShadowSync } from './shadow-sync.ts';

/** The events an agent emits, with their arguments. */
export interface AgentEvents {
  /** A CONNACK accepted the connection. */
  connected: [{ endpoint: string; sessionPresent: boolean }];
  /** An established connection was lost (`error` is why, when known). */
  offline: [{ endpoint: string; error: Error | undefined }];
  /** The agent waits `delayMs` and then tries `endpoint`; `failedEndpoint` failed with `error`. */
  reconnecting: [{ endpoint: string; failedEndpoint: string; error: Error | undefined; delayMs: number; attempt: number }];
  /** A failure no call returned: a handler threw, a subscription was refused, the queue could not be read. */
  error: [Error];
  /** This machine's clock is off by more than `clockSkewThresholdMs`; once per connection. */
  clockSkew: [ClockSkew];
}

/** Options of one publish. */
export interface AgentPublishOptions {
  /** Default 1. */
  readonly qos?: 0 | 1 | 2;
  readonly retain?: boolean;
  /** MQTT 5 only; dropped on 3.1.1. */
  readonly properties?: QueuedProperties;
}

/** A command handler's answer becomes the reply's `result`; a throw becomes its `error`. */
export type CommandHandler = (request: CommandRequest) => unknown;

/**
 * Creates an agent and starts connecting; resolves once its offline queue is open (not once it is
 * connected: wait for the `connected` event). Close it with `close()`.
 *
 * @example
 * const agent = await createAgent({
 *   endpoints: ['mqtts://iot.example.com:443', 'wss://iot-backup.example.com/mqtt'],
 *   customer: 'acme', device: 'pump-7',
 *   tls: { cert: readFileSync('pump-7.crt'), key: readFileSync('pump-7.key') },
 *   queueDirectory: '/var/lib/pump-agent/queue',
 * });
 * agent.on('reconnecting', ({ endpoint, error, delayMs }) => log.warn(`retrying ${endpoint} in ${delayMs} ms: ${error?.message}`));
 * await agent.publish('telemetry', JSON.stringify({ rpm: 1200 }));
 */
export async function createAgent(options: AgentOptions): Promise<Agent> {
  const resolved = resolveAgentOptions(options);
  const queue = await DiskQueue.open(resolved.queueDirectory, resolved.queue);
  const agent = new Agent(resolved, queue);
  agent.start();
  return agent;
}

/**
 * A connected (or reconnecting) agent; made by {@link createAgent}.
 *
 * @example
 * agent.on('connected', ({ endpoint }) => console.log(`connected to ${endpoint}`));
 * await agent.subscribe('config', (message) => apply(message.json()));
 */
export class Agent extends EventEmitter<AgentEvents> {
  readonly options: ResolvedAgentOptions;
  readonly #queue: DiskQueue;
  readonly #connection: AgentConnection;
  readonly #client: MqttClient;
  readonly #prefix: string;
  readonly #handlers = new Map<string, Set<MessageHandler>>();
  /** Filters the server holds in our session; emptied when a CONNACK says the session is new. */
  readonly #serverFilters = new Set<string>();
  readonly #shadow: ShadowSync | undefined;
  #online = false;
  #draining = false;
  #endpoint: string | undefined;
  #skewReported = false;

  /** Use {@link createAgent}. */
  constructor(options: ResolvedAgentOptions, queue: DiskQueue) {
    super();
    this.options = options;
    this.#queue = queue;
    this.#prefix = `${options.customer}/${options.device}/`;
    this.#connection = new AgentConnection(options, {
      connected: (event) => this.#connected(event.endpoint, event.sessionPresent),
      offline: (event) => {
        this.#online = false;
        this.emit('offline', event);
      },
      reconnecting: (event) => {
        // The next connection may warn again (its certificate check comes before its CONNACK).
        this.#skewReported = false;
        this.emit('reconnecting', event);
      },
      clockSkew: (skew) => this.#checkSkew(skew),
    });
    this.#client = this.#connection.client;
    // Set before 'offline' is told, so nothing published in between skips the queue.
    this.#client.on('close', () => {
      this.#online = false;
    });
    this.#client.on('message', (topic, payload, packet) => this.#dispatch(topic, payload, packet));
    this.#shadow = options.shadow === undefined ? undefined : new ShadowSync(
      {
        publishJson: (topic, body) => this.publishTopic(topic, JSON.stringify(body)),
        reportError: (error) => this.#report(error),
        noteServerTime: (seconds) => this.#checkSkew(skewFromServerTime(seconds, Date.now(), this.options.clockSkewThresholdMs)),
      },
      options.thingName,
      options.shadow,
    );
    if (this.#shadow !== undefined) for (const filter of this.#shadow.filters) this.#handlers.set(filter, new Set());
  }

  /** Whether a connection is up now. */
  get connected(): boolean {
    return this.#online;
  }

  /** The endpoint of the current (or last) connection. */
  get endpoint(): string | undefined {
    return this.#endpoint;
  }

  /** Messages waiting in the offline queue. */
  get queued(): number {
    return this.#queue.pending;
  }

  /**
   * The agent's own topic for `subject`: `{customer}/{device}/{subject}`.
   *
   * @example
   * agent.topic('telemetry'); // 'acme/pump-7/telemetry'
   */
  topic(subject: string): string {
    return `${this.#prefix}${subject}`;
  }

  /** Starts the connection loop; `createAgent` calls it. */
  start(): void {
    this.#connection.start();
  }

  /**
   * Publishes on the agent's own topic `subject`. Online with an empty queue it goes straight out and
   * resolves on PUBACK (QoS 1); otherwise it is appended to the on-disk queue and resolves once
   * written, to be sent in order after the next connect. A full queue rejects with
   * `AgentQueueFullError`.
   *
   * @example
   * await agent.publish('telemetry', JSON.stringify({ rpm: 1200 }));
   * await agent.publish('status', 'up', { retain: true });
   */
  publish(subject: string, payload: string | Uint8Array, options: AgentPublishOptions = {}): Promise<void> {
    return this.publishTopic(this.topic(subject), payload, options);
  }

  /**
   * Publishes on any topic the agent's policy allows (e.g. `$aws/things/.../shadow/update`), with the
   * same queueing as {@link Agent.publish}.
   *
   * @example
   * await agent.publishTopic('acme/fleet/announcements', 'pump-7 online', { qos: 0 });
   */
  async publishTopic(topic: string, payload: string | Uint8Array, options: AgentPublishOptions = {}): Promise<void> {
    if (this.#connection.closed) throw new Error(`Cannot publish to "${topic}": the agent is closed`);
    const message: QueuedMessage = {
      topic,
      payload: Buffer.from(payload),
      qos: options.qos ?? 1,
      retain: options.retain ?? false,
      ...(options.properties === undefined ? {} : { properties: options.properties }),
    };
    // Behind queued messages even when online: the queue is drained in order, new messages after it.
    if (!this.#online || this.#queue.pending > 0) {
      await this.#queue.append(message);
      this.#drain();
      return;
    }
    await this.#send(message);
  }

  /**
   * Subscribes to the agent's own `subject` (wildcards allowed: `config/#`). The subscription is
   * kept across reconnects and renewed when the server lost the session. Retained messages (the
   * agent's configuration) arrive right after subscribing. Resolves once the server granted it, or at
   * once when offline.
   *
   * @example
   * await agent.subscribe('config', (message) => applyConfig(message.json()));
   */
  subscribe(subject: string, handler: MessageHandler): Promise<void> {
    return this.subscribeTopic(this.topic(subject), handler);
  }

  /**
   * Subscribes to any topic filter; see {@link Agent.subscribe}.
   *
   * @example
   * await agent.subscribeTopic('acme/broadcast/#', (message) => console.log(message.topic, message.text()));
   */
  async subscribeTopic(filter: string, handler: MessageHandler): Promise<void> {
    const handlers = this.#handlers.get(filter) ?? new Set();
    handlers.add(handler);
    this.#handlers.set(filter, handlers);
    if (this.#online) await this.#subscribeMissing();
  }

  /**
   * Handles the command `name`, sent to `{customer}/{device}/commands/{name}`. The handler's return
   * value (awaited) is the reply's `result`, a throw its `error.message`. The reply goes to the MQTT 5
   * Response Topic with the request's Correlation Data, or, for a 3.1.1 request, to the envelope's
   * `replyTo` with its `correlationId`; a request with neither gets no reply.
   *
   * @example
   * await agent.onCommand('reboot', async ({ body }) => { await scheduleReboot(body); return { accepted: true }; });
   */
  onCommand(name: string, handler: CommandHandler): Promise<void> {
    return this.subscribe(`commands/${name}`, async (message) => {
      const { body, reply } = readCommandRequest(message.payload, message.properties);
      let outcome: { result: unknown } | { error: Error };
      try {
        outcome = { result: await handler({ name, topic: message.topic, body, payload: message.payload }) };
      } catch (error) {
        outcome = { error: error instanceof Error ? error : new Error(String(error)) };
      }
      if (reply === undefined) return;
      const answer = commandReply(reply, outcome);
      const properties = answer.correlationData === undefined ? {} : { properties: { correlationData: answer.correlationData } };
      await this.publishTopic(answer.topic, answer.payload, { qos: 1, ...properties });
    });
  }

  /**
   * Calls `handler` with the agent's configuration on `subject` (default `config`): the retained
   * message when it subscribes, then every change. JSON payloads are parsed.
   *
   * @example
   * await agent.onConfig((config) => reconfigure(config as PumpConfig));
   */
  onConfig(handler: (config: unknown, message: AgentMessage) => void | Promise<void>, subject = 'config'): Promise<void> {
    return this.subscribe(subject, (message) => handler(message.payload.length === 0 ? undefined : message.json(), message));
  }

  /**
   * Reports state to the shadow named in `options.shadow` (the classic shadow when none is named).
   *
   * @example
   * await agent.reportState({ firmware: '1.4.2' });
   */
  reportState(reported: ShadowJsonObject): Promise<void> {
    if (this.#shadow === undefined) return Promise.reject(new Error('Cannot report state: the agent was created without options.shadow'));
    return this.#shadow.report(reported);
  }

  /**
   * Disconnects (MQTT DISCONNECT, so the session and its queue stay on the server) and stops
   * reconnecting. Messages still in the on-disk queue stay there for the next run.
   *
   * @example
   * process.on('SIGTERM', () => void agent.close());
   */
  close(): Promise<void> {
    return this.#connection.close();
  }

  #dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (this.#shadow !== undefined && this.#shadowTopic(topic)) {
      try {
        this.#shadow.handle(topic, JSON.parse(payload.toString('utf8')));
      } catch (error) {
        this.#report(new Error(`Cannot read shadow reply on "${topic}": ${(error as Error).message}`));
      }
      return;
    }
    const { responseTopic, correlationData, contentType, userProperties } = packet.properties ?? {};
    const properties = {
      ...(responseTopic === undefined ? {} : { responseTopic }),
      ...(correlationData === undefined ? {} : { correlationData }),
      ...(contentType === undefined ? {} : { contentType }),
      ...(userProperties === undefined ? {} : { userProperties }),
    };
    const message = toAgentMessage(topic, payload, packet.retain, this.#prefix, properties);
    for (const [filter, handlers] of this.#handlers) {
      if (!matchTopic(filter, topic)) continue;
      for (const handler of handlers) {
        try {
          const result = handler(message);
          if (result instanceof Promise) result.catch((error: unknown) => this.#report(error as Error));
        } catch (error) {
          this.#report(error as Error);
        }
      }
    }
  }

  #shadowTopic(topic: string): boolean {
    return this.#shadow?.filters.includes(topic) ?? false;
  }

  #connected(endpoint: string, sessionPresent: boolean): void {
    this.#online = true;
    this.#endpoint = endpoint;
    if (!sessionPresent) this.#serverFilters.clear();
    this.emit('connected', { endpoint, sessionPresent });
    void this.#afterConnect();
  }

  async #afterConnect(): Promise<void> {
    try {
      await this.#subscribeMissing();
      this.#drain();
      await this.#shadow?.requestState();
    } catch (error) {
      if (this.#online) this.#report(error as Error);
    }
  }

  /** Subscribes to the filters the server does not hold for this session. */
  async #subscribeMissing(): Promise<void> {
    const missing = [...this.#handlers.keys()].filter((filter) => !this.#serverFilters.has(filter));
    if (missing.length === 0) return;
    for (const filter of missing) this.#serverFilters.add(filter);
    let granted: Array<{ topic: string; qos: number }>;
    try {
      granted = await this.#client.subscribeAsync(missing, { qos: 1 });
    } catch (error) {
      for (const filter of missing) this.#serverFilters.delete(filter);
      const packet = (error as { packet?: { granted?: number[] } }).packet;
      if (packet?.granted === undefined) throw error;
      granted = missing.map((topic, i) => ({ topic, qos: packet.granted?.[i] ?? 0x80 }));
    }
    const refused = granted.filter((grant) => grant.qos >= 0x80);
    for (const grant of refused) this.#serverFilters.delete(grant.topic);
    if (refused.length > 0) {
      throw new Error(`Cannot subscribe to ${refused.map((grant) => `"${grant.topic}"`).join(', ')}: the server refused (reason 0x${(refused[0]?.qos ?? 0x80).toString(16)}); check the agent's policy`);
    }
  }

  /** Sends queued messages oldest first, one at a time, removing each once acknowledged. */
  #drain(): void {
    if (this.#draining || !this.#online) return;
    this.#draining = true;
    void (async () => {
      try {
        while (this.#online) {
          const head = await this.#queue.peek();
          if (head === undefined) break;
          await this.#send(head);
          await this.#queue.remove(head.seq);
        }
      } catch (error) {
        this.#report(error as Error);
      } finally {
        this.#draining = false;
        if (this.#online && this.#queue.size > 0) this.#drain();
      }
    })();
  }

  #send(message: QueuedMessage): Promise<void> {
    const options: IClientPublishOptions = { qos: message.qos, retain: message.retain };
    if (message.properties !== undefined && this.options.protocolVersion === 5) options.properties = { ...message.properties };
    return this.#client.publishAsync(message.topic, message.payload, options).then(() => undefined);
  }

  #checkSkew(skew: ClockSkew | undefined): void {
    if (skew === undefined || this.#skewReported) return;
    this.#skewReported = true;
    this.emit('clockSkew', skew);
  }

  #report(error: Error): void {
    // An 'error' event with no listener would throw; an agent must not crash its host for this.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
