/**
 * One client connection: reads packets from a Duplex, hands them to the dispatch table, and writes
 * packets back with corking, backpressure and the client's limits (Maximum Packet Size, Topic Alias
 * Maximum, Receive Maximum). Everything here runs synchronously from the socket's data callback.
 */
import type { Duplex } from 'node:stream';
import type { Principal } from '../auth/index.js';
import type { PeerInfo } from '../core/index.js';
import { encodePacket, PacketReader, ProtocolError, ReasonCode, reasonCodeName, toConnackReturnCode, type Packet } from '../mqtt/index.js';
import type { StoredMessage } from '../store/index.js';
import type { ArmedWill, BrokerContext } from './context.js';
import { countDisconnect, countDrop } from './counters.js';
import { dispatch } from './handlers/index.js';
import type { ConnectionPolicy } from './hooks.js';
import { awsDisconnectReason } from './lifecycle.js';
import type { Session } from './session.js';
import { unscoped, type TenantScope } from './tenancy.js';

/** Topics a connection's decision cache remembers before it starts again. */
const MAX_CACHED_DECISIONS = 1024;

function remember(cache: Map<string, boolean>, topic: string, allowed: boolean): void {
  if (cache.size >= MAX_CACHED_DECISIONS) cache.clear();
  cache.set(topic, allowed);
}

export type ConnectionState = 'connecting' | 'authenticating' | 'connected' | 'closed';

let nextConnectionId = 1;

/** Above the socket's high-water mark (16 KiB), so a write past it has already asked for 'drain'. */
const BULK_WRITE_BYTES = 64 * 1024;

export class Connection {
  readonly id = nextConnectionId++;
  readonly peer: PeerInfo;
  readonly ctx: BrokerContext;
  state: ConnectionState = 'connecting';
  protocolVersion: 3 | 4 | 5 = 4;
  clientId = '';
  username: string | undefined;
  /** Who the connect hooks allowed in; set before CONNACK, so revocation can find it while it connects. */
  principal: Principal | undefined;
  /** Its tenant, topic prefix and session key (tenancy.ts); set when the CONNECT is accepted. */
  scope: TenantScope = unscoped;
  /** What its policies allow; undefined: not restricted by policies. */
  policy: ConnectionPolicy | undefined;
  session: Session | undefined;
  cleanStart = true;
  /** Seconds; 0 disables the check. */
  keepAlive = 0;
  readonly openedAt: number;
  connectedAt = 0;
  lastPacketAt: number;
  will: ArmedWill | undefined;
  /** The client's limits from CONNECT (MQTT 5). */
  sendWindow = 65535;
  maxOutgoingPacketSize = 0;
  clientTopicAliasMaximum = 0;
  requestProblemInformation = true;
  requestResponseInformation = false;
  /** Incoming topic aliases [MQTT-3.3.2-7] and outgoing ones. */
  readonly inboundAliases = new Map<number, string>();
  outboundAliases: Map<string, number> | undefined;
  /** Unacknowledged QoS 1/2 PUBLISHes from the client, against our Receive Maximum. */
  inboundInflight = 0;
  /** Enhanced authentication in progress or done. */
  authMethod: string | undefined;
  authState: Map<string, unknown> | undefined;
  /** Packets that arrived while CONNECT was being authenticated. */
  pendingPackets: Packet[] | undefined;
  congested = false;
  congestedSince = 0;
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** The lifecycle `versionNumber` and session id of its connected event, repeated by its disconnected event. */
  lifecycleVersion = 0;
  lifecycleSessionId = '';
  /** The reason code the server closed with (0: none sent), for the disconnect reason. */
  #closeReasonCode = 0;
  readonly #socket: Duplex;
  readonly #reader: PacketReader;
  #corked = false;
  /** Acknowledgements that wait for the group commit, in order; `#ackReady` of them are covered by the registered callback. */
  readonly #pendingAcks: (Packet | (() => void))[] = [];
  #ackReady = 0;
  readonly #flushAcks = (): void => this.#onAcksCommitted();
  #tokens: number;
  #tokensAt: number;
  #paused = false;
  #authWaiter: ((data: Buffer | undefined) => void) | undefined;
  /** Decision caches (DESIGN performance rule 4), valid while the policy's generation is `#decisionsOf`. */
  #decisionsOf = -1;
  readonly #publishDecisions = new Map<string, boolean>();
  readonly #retainDecisions = new Map<string, boolean>();
  readonly #receiveDecisions = new Map<string, boolean>();
  #lastReceiveTopic: string | undefined;
  #lastPublishTopic: string | undefined;
  #lastPublishAllowed = false;
  #lastReceiveAllowed = false;

  constructor(ctx: BrokerContext, socket: Duplex, peer: PeerInfo) {
    this.ctx = ctx;
    this.peer = peer;
    this.#socket = socket;
    this.openedAt = ctx.now();
    this.lastPacketAt = this.openedAt;
    this.#tokens = ctx.limits.maxPublishRate;
    this.#tokensAt = this.openedAt;
    this.#reader = new PacketReader(
      ctx.limits.maxPacketSize,
      (packet) => this.#onPacket(packet),
      (error) => this.fail(error),
    );
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      ctx.counters.bytesIn += chunk.length;
      this.#reader.push(chunk);
    });
    socket.on('drain', () => this.#onDrain());
    socket.on('error', (error: Error) => {
      ctx.logger.debug({ clientId: this.clientId, err: error.message }, 'connection error');
    });
    socket.on('close', () => this.#closed('socket-closed', true));
    socket.on('end', () => socket.end());
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  #onPacket(packet: Packet): void {
    if (this.state === 'closed') return;
    this.lastPacketAt = this.ctx.now();
    if (this.state === 'authenticating' && packet.cmd !== 'auth') {
      (this.pendingPackets ??= []).push(packet);
      return;
    }
    dispatch(this, packet);
  }

  /** Replays packets held while CONNECT was being authenticated. */
  replayPending(): void {
    const pending = this.pendingPackets;
    this.pendingPackets = undefined;
    if (pending === undefined) return;
    for (const packet of pending) {
      if (this.state !== 'connected') return;
      dispatch(this, packet);
    }
  }

  /** Takes one publish token; past the rate, reading from the socket pauses until the bucket refills. */
  takePublishToken(): void {
    const rate = this.ctx.limits.maxPublishRate;
    if (rate === 0) return;
    const now = this.ctx.now();
    if (now > this.#tokensAt) {
      this.#tokens = Math.min(rate, this.#tokens + ((now - this.#tokensAt) * rate) / 1000);
      this.#tokensAt = now;
    }
    this.#tokens -= 1;
    if (this.#tokens < 0 && !this.#paused) {
      // Throttle rather than disconnect: stop reading until the bucket has refilled.
      this.#paused = true;
      this.#socket.pause();
      const waitMs = Math.ceil((-this.#tokens * 1000) / rate);
      setTimeout(() => {
        this.#paused = false;
        if (!this.closed && !this.congested) this.#socket.resume();
      }, waitMs).unref();
    }
  }

  /** Waits for the client's next AUTH packet during enhanced authentication. */
  nextAuthPacket(): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      this.#authWaiter = resolve;
    });
  }

  /** Hands an AUTH packet's data to the waiting exchange; false when none waits. */
  receiveAuth(data: Buffer | undefined): boolean {
    const waiter = this.#authWaiter;
    if (waiter === undefined) return false;
    this.#authWaiter = undefined;
    waiter(data);
    return true;
  }

  // ---- writing

  write(buffer: Buffer): void {
    if (this.state === 'closed') return;
    const socket = this.#socket;
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(uncork, this);
    }
    this.bytesOut += buffer.length;
    this.ctx.counters.bytesOut += buffer.length;
    if (!socket.write(buffer) && socket.writableLength > this.ctx.limits.maxWriteBuffer && !this.congested) {
      // The client is not reading: stop sending to it and stop reading from it until it drains.
      this.congested = true;
      this.congestedSince = this.ctx.now();
      socket.pause();
    }
  }

  uncork(): void {
    if (this.#corked) {
      this.#corked = false;
      this.#socket.uncork();
    }
  }

  /** True while enough waits in the socket that bulk senders (retained backlogs) should wait for 'drain'. */
  get writeBufferFull(): boolean {
    return this.#socket.writableLength >= BULK_WRITE_BYTES;
  }

  #onDrain(): void {
    const session = this.session;
    if (this.congested) {
      this.congested = false;
      if (!this.#paused) this.#socket.resume();
      if (session !== undefined) this.ctx.drainSession(session);
    } else if (session !== undefined && session.retainedBacklog.length > 0) {
      this.ctx.drainSession(session);
    }
  }

  send(packet: Packet): void {
    if (this.state === 'closed') return;
    this.write(encodePacket(packet, this.protocolVersion));
  }

  /** Sends a PUBLISH in the message's delivered form (QoS, retain) with the given packet id. */
  /** The key of its session: tenant and client id (tenancy.ts), or the client id without a principal. */
  get sessionKey(): string {
    return this.scope.sessionKey || this.clientId;
  }

  /** `iot:Publish` (and `iot:RetainPublish`) on a topic of the client's own naming, from the decision cache. */
  mayPublish(topic: string, retain: boolean): boolean {
    const policy = this.policy;
    if (policy === undefined) return true;
    // A device publishing to one topic again and again: the last answer, as for Receive.
    if (!retain && topic === this.#lastPublishTopic && policy.generation === this.#decisionsOf) return this.#lastPublishAllowed;
    this.#checkGeneration(policy);
    const cache = retain ? this.#retainDecisions : this.#publishDecisions;
    let allowed = cache.get(topic);
    if (allowed === undefined) {
      allowed = policy.mayPublish(topic, retain);
      remember(cache, topic, allowed);
    }
    if (!retain) {
      this.#lastPublishTopic = topic;
      this.#lastPublishAllowed = allowed;
    }
    return allowed;
  }

  /**
   * `iot:Receive` on a message's (internal) topic, from the decision cache. Fan-out sends one topic
   * to a subscriber over and over, so the last answer is kept beside the map: the same string object
   * (one message, or one cached route) is an identity compare, no hashing.
   */
  mayReceive(topic: string): boolean {
    const policy = this.policy;
    if (policy === undefined) return true;
    if (topic === this.#lastReceiveTopic && policy.generation === this.#decisionsOf) return this.#lastReceiveAllowed;
    this.#checkGeneration(policy);
    let allowed = this.#receiveDecisions.get(topic);
    if (allowed === undefined) {
      allowed = policy.mayReceive(topic.slice(this.scope.topicPrefix.length));
      remember(this.#receiveDecisions, topic, allowed);
    }
    this.#lastReceiveTopic = topic;
    this.#lastReceiveAllowed = allowed;
    return allowed;
  }

  #checkGeneration(policy: ConnectionPolicy): void {
    if (policy.generation === this.#decisionsOf) return;
    this.#decisionsOf = policy.generation;
    this.#lastReceiveTopic = undefined;
    this.#lastPublishTopic = undefined;
    this.#publishDecisions.clear();
    this.#retainDecisions.clear();
    this.#receiveDecisions.clear();
  }

  sendPublish(message: StoredMessage, packetId: number, dup: boolean): void {
    if (this.state === 'closed') return;
    let topicAlias: number | undefined;
    let omitTopic = false;
    let aliasIsNew = false;
    if (this.clientTopicAliasMaximum > 0) {
      // Alias the topics we send most: the first ones, until the client's maximum is used up.
      const aliases = (this.outboundAliases ??= new Map());
      topicAlias = aliases.get(message.topic);
      if (topicAlias !== undefined) omitTopic = !dup;
      else if (aliases.size < this.clientTopicAliasMaximum) {
        topicAlias = aliases.size + 1;
        aliases.set(message.topic, topicAlias);
        aliasIsNew = true;
      }
    }
    const buffer = this.ctx.encoder.encode(message, {
      qos: message.qos,
      retain: message.retain,
      dup,
      packetId,
      protocolVersion: this.protocolVersion,
      subscriptionIds: message.properties?.subscriptionIdentifiers,
      topicAlias,
      omitTopic,
      topicOffset: this.scope.topicPrefix.length,
    }, this.ctx.now());
    if (this.maxOutgoingPacketSize > 0 && buffer.length > this.maxOutgoingPacketSize) {
      // [MQTT-3.1.2-24] never send a packet larger than the client's Maximum Packet Size; drop it
      countDrop(this.ctx.counters, 'packet-too-large');
      if (packetId !== 0) this.ctx.dropInflight(this, packetId);
      // [MQTT-3.1.2-25] as if never sent: the client never learnt this alias, so it must not be used later
      if (aliasIsNew) this.outboundAliases?.delete(message.topic);
      return;
    }
    this.messagesOut++;
    this.ctx.counters.messagesOut[message.qos]++;
    this.write(buffer);
  }

  sendPubrel(packetId: number): void {
    this.send({ cmd: 'pubrel', messageId: packetId });
  }

  /**
   * Sends an acknowledgement once the durable changes queued so far are committed (DESIGN: a QoS 1
   * PUBACK only after its commit), or at once when nothing is waiting. Keeps acknowledgements in order.
   */
  acknowledge(packet: Packet, afterCommit: boolean): void {
    if (!afterCommit && this.#pendingAcks.length === 0) {
      if (packet.cmd === 'puback') this.inboundInflight--;
      this.send(packet);
      return;
    }
    this.#pendingAcks.push(packet);
    if (this.#ackReady === 0) {
      this.#ackReady = this.#pendingAcks.length;
      this.ctx.afterCommit(this.#flushAcks);
    }
  }

  /** Runs `task` right after the acknowledgements queued so far have been sent (or now, if none wait). */
  afterAcknowledgements(task: () => void): void {
    if (this.#pendingAcks.length === 0) {
      task();
      return;
    }
    this.#pendingAcks.push(task);
  }

  #onAcksCommitted(): void {
    const ready = this.#ackReady;
    const acks = this.#pendingAcks.splice(0, ready);
    this.#ackReady = 0;
    for (const ack of acks) {
      if (typeof ack === 'function') {
        if (!this.closed) ack();
        continue;
      }
      if (ack.cmd === 'puback') this.inboundInflight--;
      this.send(ack);
    }
    if (this.#pendingAcks.length > 0) {
      // These arrived after the callback was registered: they wait for the next commit.
      this.#ackReady = this.#pendingAcks.length;
      this.ctx.afterCommit(this.#flushAcks);
    }
  }

  // ---- closing

  /**
   * A client error: answer as the spec asks (CONNACK with the reason before CONNECT completed, else
   * DISCONNECT for MQTT 5) and close. The server stays healthy for everyone else.
   */
  fail(error: ProtocolError): void {
    if (this.state === 'closed') return;
    this.ctx.logger.debug({ clientId: this.clientId, peer: this.peer.remoteAddress, reason: error.reasonName, err: error.message }, 'closing connection on client error');
    if (this.state === 'connected') this.disconnect(error.reasonCode, error.message, 'protocol-error');
    else this.refuseConnect(error.reasonCode, error.message);
  }

  /** Answers CONNECT with a failure CONNACK and closes [MQTT-3.2.2-6]. */
  refuseConnect(reasonCode: number, reason: string): void {
    if (this.state === 'closed') return;
    const label = `connack-${reasonCodeName(reasonCode)}`;
    // AWS's connect_failed: a client that authenticated and whose policies refused the CONNECT (or its will topic).
    const principal = this.principal;
    if (reasonCode === ReasonCode.NotAuthorized && principal !== undefined && this.ctx.lifecycle.active) {
      this.ctx.lifecycle.emit({
        kind: 'connect-failed', clientId: this.clientId, ...(principal.kind === 'service' ? {} : { tenant: principal.tenant }), principal, peer: this.peer, at: this.ctx.now(),
      });
    }
    if (this.protocolVersion === 5) {
      this.send({
        cmd: 'connack',
        sessionPresent: false,
        reasonCode,
        ...(this.requestProblemInformation ? { properties: { reasonString: reason } } : {}),
      });
    } else if (reasonCode !== ReasonCode.MalformedPacket && reasonCode !== ReasonCode.ProtocolError && reasonCode !== ReasonCode.PacketTooLarge) {
      // 3.1.1 has return codes only for these causes; malformed packets are closed without CONNACK.
      // So is a CONNECT too large to read: its protocol version is unknown, and 3.1.1 has no code for it.
      this.send({ cmd: 'connack', sessionPresent: false, returnCode: toConnackReturnCode(reasonCode) });
    }
    this.close(label, false);
  }

  /** Server-initiated DISCONNECT (MQTT 5 only; 3.1.1 clients are just closed) and close. */
  disconnect(reasonCode: number, reason: string | undefined, label: string, extra?: { serverReference?: string }): void {
    if (this.state === 'closed') return;
    this.#closeReasonCode = reasonCode;
    if (this.protocolVersion === 5 && this.state === 'connected') {
      const properties: Record<string, unknown> = {};
      if (reason !== undefined && this.requestProblemInformation) properties['reasonString'] = reason;
      if (extra?.serverReference !== undefined) properties['serverReference'] = extra.serverReference;
      this.send({ cmd: 'disconnect', reasonCode, ...(Object.keys(properties).length > 0 ? { properties } : {}) });
    }
    // A server-initiated close publishes the will (only the client's DISCONNECT 0x00 discards it).
    this.close(label, true);
  }

  /** Ends the connection now. `publishWill` is false only after DISCONNECT 0x00 from the client. */
  close(label: string, publishWill: boolean): void {
    if (this.state === 'closed') return;
    this.uncork();
    this.#socket.end();
    // Give the last packet a moment to leave, then make sure the socket is gone.
    const socket = this.#socket;
    setTimeout(() => socket.destroy(), 1000).unref();
    this.#closed(label, publishWill);
  }

  #closed(label: string, publishWill: boolean): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.#socket.destroySoon?.();
    countDisconnect(this.ctx.counters, label);
    this.policy?.release();
    this.ctx.connectionClosed(this, publishWill && wasConnected);
    if (wasConnected && this.ctx.lifecycle.active) this.#emitDisconnected(label);
  }

  #emitDisconnected(label: string): void {
    const principal = this.principal;
    const tenant = this.scope.tenant;
    this.ctx.lifecycle.emit({
      kind: 'disconnected',
      clientId: this.clientId,
      sessionKey: this.sessionKey,
      ...(tenant === undefined ? {} : { tenant }),
      ...(principal === undefined ? {} : { principal }),
      sessionId: this.lifecycleSessionId,
      at: this.ctx.now(),
      peer: this.peer,
      protocolVersion: this.protocolVersion,
      versionNumber: this.lifecycleVersion,
      clientInitiatedDisconnect: label === 'client-disconnect',
      disconnectReason: awsDisconnectReason(label, this.#closeReasonCode),
    });
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

function uncork(connection: Connection): void {
  connection.uncork();
}

declare module 'node:stream' {
  interface Duplex {
    destroySoon?(): void;
  }
}
