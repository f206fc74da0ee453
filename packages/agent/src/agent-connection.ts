/**
 * The agent's connection loop: one MQTT.js client kept for the agent's whole life (so unacknowledged
 * QoS 1/2 messages survive reconnects), fed a freshly opened stream for each attempt, across the
 * endpoint list with failover and backoff. MQTT.js's own reconnect is off: this loop decides when
 * and where.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MqttClient, type IConnackPacket } from 'mqtt';
import type { ResolvedAgentOptions } from './agent-options.ts';
import { backoffDelay } from './backoff.ts';
import { skewFromCertificate, type ClockSkew } from './clock-skew.ts';
import { openTransport, type OpenTransport } from './open-transport.ts';
import { parseProxyUrl, proxyForUrl } from './proxy-for-url.ts';

/** What the loop tells the agent. */
export interface ConnectionEvents {
  connected(event: { endpoint: string; sessionPresent: boolean }): void;
  offline(event: { endpoint: string; error: Error | undefined }): void;
  reconnecting(event: { endpoint: string; failedEndpoint: string; error: Error | undefined; delayMs: number; attempt: number }): void;
  clockSkew(skew: ClockSkew): void;
}

/**
 * Keeps the agent connected until closed.
 *
 * @example
 * const connection = new AgentConnection(options, events);
 * connection.client.on('message', dispatch);
 * connection.start();
 */
export class AgentConnection {
  readonly client: MqttClient;
  readonly #options: ResolvedAgentOptions;
  readonly #events: ConnectionEvents;
  readonly #stop = new AbortController();
  #nextStream: OpenTransport['stream'] | undefined;
  #online = false;
  #started = false;
  #lastError: Error | undefined;

  constructor(options: ResolvedAgentOptions, events: ConnectionEvents) {
    this.#options = options;
    this.#events = events;
    this.client = new MqttClient(() => this.#takeStream(), {
      manualConnect: true,
      reconnectPeriod: 0,
      reconnectOnConnackError: true,
      resubscribe: false,
      clientId: options.clientId,
      protocolVersion: options.protocolVersion,
      clean: false,
      keepalive: options.keepaliveSeconds,
      connectTimeout: options.connectTimeoutMs,
      ...(options.protocolVersion === 5 ? { properties: { sessionExpiryInterval: options.sessionExpirySeconds } } : {}),
    });
    // MQTT.js reports stream errors and CONNACK refusals here; the loop reports them with their endpoint.
    this.client.on('error', (error) => {
      this.#lastError = error;
    });
  }

  /** Whether a CONNACK accepted the current connection and it has not closed since. */
  get online(): boolean {
    return this.#online;
  }

  get closed(): boolean {
    return this.#stop.signal.aborted;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.#run();
  }

  /** Sends DISCONNECT when connected (the session stays on the server) and stops the loop. */
  async close(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort(new Error('The agent is closed'));
    this.#nextStream?.destroy();
    if (!this.client.stream) return;
    const ended = this.client.endAsync(!this.#online);
    // A broker that never answers must not keep the agent open.
    const timeout = sleep(2000, undefined, { ref: false }).then(() => this.client.end(true));
    await Promise.race([ended, timeout]);
  }

  /**
   * Endpoints are tried in order from the first after every loss; each failed attempt moves to the
   * next and doubles the backoff ceiling, a successful CONNACK resets it.
   */
  async #run(): Promise<void> {
    const { endpoints, endpointNames: names } = this.#options;
    let index = 0;
    let failures = 0;
    let everConnected = false;
    while (!this.#stop.signal.aborted) {
      const endpoint = names[index] ?? '';
      let error: Error | undefined;
      try {
        const connack = await this.#attempt(endpoints[index] as URL, endpoint, everConnected);
        everConnected = true;
        failures = 0;
        error = await this.#whileConnected(endpoint, connack);
        if (this.#stop.signal.aborted) return;
        this.#events.offline({ endpoint, error });
        index = 0;
      } catch (caught) {
        if (this.#stop.signal.aborted) return;
        error = caught as Error;
        failures++;
        index = (index + 1) % endpoints.length;
      }
      const delayMs = backoffDelay(failures, this.#options.backoff);
      this.#events.reconnecting({ endpoint: names[index] ?? '', failedEndpoint: endpoint, error, delayMs, attempt: failures });
      try {
        await sleep(delayMs, undefined, { signal: this.#stop.signal });
      } catch {
        return;
      }
    }
  }

  /** One attempt: transport, then MQTT CONNECT; resolves with the CONNACK or rejects with why. */
  async #attempt(url: URL, endpoint: string, reconnect: boolean): Promise<IConnackPacket> {
    const { proxy: proxyOption, env, connectTimeoutMs } = this.#options;
    const proxy = proxyOption === false ? undefined : proxyOption === undefined ? proxyForUrl(url, env) : parseProxyUrl(proxyOption);
    const timeout = AbortSignal.timeout(connectTimeoutMs);
    const signal = AbortSignal.any([timeout, this.#stop.signal]);
    let transport: OpenTransport;
    try {
      transport = await openTransport(url, { tls: this.#options.tls, proxy, signal });
    } catch (error) {
      if (timeout.aborted) throw new Error(`Cannot connect to ${endpoint}: no answer within ${connectTimeoutMs} ms (connectTimeoutMs)`);
      throw error;
    }
    const skew = skewFromCertificate(transport.peerCertificate, Date.now(), this.#options.clockSkewThresholdMs);
    if (skew !== undefined) this.#events.clockSkew(skew);
    this.#nextStream = transport.stream;
    this.#lastError = undefined;
    return new Promise<IConnackPacket>((resolve, reject) => {
      const onConnect = (connack: IConnackPacket): void => {
        this.client.off('close', onClose);
        resolve(connack);
      };
      const onClose = (): void => {
        this.client.off('connect', onConnect);
        reject(this.#lastError ?? new Error(`Connection to ${endpoint} closed before CONNACK`));
      };
      this.client.once('connect', onConnect);
      this.client.once('close', onClose);
      // Reusing the stores keeps unacknowledged QoS 1/2 messages, which MQTT.js sends again.
      if (reconnect) this.client.reconnect({ incomingStore: this.client.incomingStore, outgoingStore: this.client.outgoingStore });
      else this.client.connect();
    });
  }

  /** Runs the connected phase; resolves with the reason once the connection closes. */
  async #whileConnected(endpoint: string, connack: IConnackPacket): Promise<Error | undefined> {
    const closed = new Promise<void>((resolve) => this.client.once('close', resolve));
    this.#online = true;
    this.#events.connected({ endpoint, sessionPresent: connack.sessionPresent });
    await closed;
    this.#online = false;
    return this.#lastError;
  }

  #takeStream(): OpenTransport['stream'] {
    const stream = this.#nextStream;
    this.#nextStream = undefined;
    if (stream === undefined) throw new Error('No transport is open for MQTT.js to use');
    return stream;
  }
}
