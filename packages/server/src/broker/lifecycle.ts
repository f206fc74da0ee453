/**
 * Lifecycle events out of the broker core: a client connected, disconnected (with AWS IoT's reason),
 * subscribed, unsubscribed, or was refused at CONNECT by its policies. Services listen through
 * `BrokerPort.onLifecycle`; the broker emits synchronously, and only builds an event while someone
 * listens, so an idle emitter costs one property read on the connect, subscribe and close paths and
 * nothing at all on PUBLISH.
 */
import type { Principal } from '../auth/index.js';
import type { Logger, PeerInfo } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';

/** AWS IoT's `disconnectReason` values (DisconnectReasonValue), the same 15 in events and the connectivity API. */
export type DisconnectReason =
  | 'AUTH_ERROR'
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'CLIENT_ERROR'
  | 'CONNECTION_LOST'
  | 'DUPLICATE_CLIENTID'
  | 'FORBIDDEN_ACCESS'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'SERVER_ERROR'
  | 'SERVER_INITIATED_DISCONNECT'
  | 'API_INITIATED_DISCONNECT'
  | 'THROTTLED'
  | 'WEBSOCKET_TTL_EXPIRATION'
  | 'CUSTOMAUTH_TTL_EXPIRATION'
  | 'UNKNOWN'
  | 'NONE';

export const DISCONNECT_REASONS: readonly DisconnectReason[] = [
  'AUTH_ERROR', 'CLIENT_INITIATED_DISCONNECT', 'CLIENT_ERROR', 'CONNECTION_LOST', 'DUPLICATE_CLIENTID', 'FORBIDDEN_ACCESS',
  'MQTT_KEEP_ALIVE_TIMEOUT', 'SERVER_ERROR', 'SERVER_INITIATED_DISCONNECT', 'API_INITIATED_DISCONNECT', 'THROTTLED',
  'WEBSOCKET_TTL_EXPIRATION', 'CUSTOMAUTH_TTL_EXPIRATION', 'UNKNOWN', 'NONE',
];

/** What every event of one connection carries. */
interface ConnectionFacts {
  /** The client id as the client sent it (or as the broker assigned it). */
  readonly clientId: string;
  /** Its session's key (tenant and client id, tenancy.ts). */
  readonly sessionKey: string;
  /** The tenant the connection lives in; absent for service principals and connections without a principal. */
  readonly tenant?: string;
  readonly principal?: Principal;
  /** AWS's `sessionIdentifier`: unique, and the same for every connection that resumes the session. */
  readonly sessionId: string;
  /** Epoch ms. */
  readonly at: number;
}

export interface ConnectedEvent extends ConnectionFacts {
  readonly kind: 'connected';
  readonly peer: PeerInfo;
  readonly protocolVersion: 3 | 4 | 5;
  /** MQTT 5 Clean Start, or 3.1.1 Clean Session. */
  readonly cleanStart: boolean;
  /** Seconds granted (0xFFFFFFFF: never expires). */
  readonly sessionExpiry: number;
  /** AWS's `versionNumber`: grows with every connect of the broker, shared by this connection's disconnect. */
  readonly versionNumber: number;
}

export interface DisconnectedEvent extends ConnectionFacts {
  readonly kind: 'disconnected';
  readonly peer: PeerInfo;
  readonly protocolVersion: 3 | 4 | 5;
  readonly versionNumber: number;
  /** True when the client sent DISCONNECT. */
  readonly clientInitiatedDisconnect: boolean;
  readonly disconnectReason: DisconnectReason;
}

export interface SubscriptionEvent extends ConnectionFacts {
  readonly kind: 'subscribed' | 'unsubscribed';
  /** The filters as the client wrote them (tenant prefix never shown), those that took effect only. */
  readonly topics: readonly string[];
}

/** An authenticated client whose CONNECT its policies refused (AWS's `connect_failed`, AUTHORIZATION_FAILED). */
export interface ConnectFailedEvent {
  readonly kind: 'connect-failed';
  readonly clientId: string;
  readonly tenant?: string;
  readonly principal: Principal;
  readonly peer: PeerInfo;
  readonly at: number;
}

export type LifecycleEvent = ConnectedEvent | DisconnectedEvent | SubscriptionEvent | ConnectFailedEvent;

export type LifecycleListener = (event: LifecycleEvent) => void;

/**
 * The broker's list of lifecycle listeners. `active` is a plain field, so the emitting paths test it
 * before they build an event.
 *
 * @example
 * if (ctx.lifecycle.active) ctx.lifecycle.emit({ kind: 'subscribed', ... });
 */
export class LifecycleEmitter {
  /** True while at least one listener is registered. */
  active = false;
  #listeners: readonly LifecycleListener[] = [];
  #lastVersion = 0;
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Adds a listener; returns the function that removes it. */
  on(listener: LifecycleListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    this.active = true;
    return () => {
      this.#listeners = this.#listeners.filter((each) => each !== listener);
      this.active = this.#listeners.length > 0;
    };
  }

  /** Calls every listener; one that throws is logged and does not stop the others or the broker. */
  emit(event: LifecycleEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ err: error, event: event.kind, clientId: event.clientId }, 'lifecycle listener failed');
      }
    }
  }

  /**
   * The next `versionNumber`: at least the current time in ms and above every number given before.
   * One counter for all clients keeps each client's numbers increasing (AWS allows gaps) without a map
   * of client ids, and starting from the clock keeps them increasing across a restart.
   */
  nextVersion(now: number): number {
    this.#lastVersion = now > this.#lastVersion ? now : this.#lastVersion + 1;
    return this.#lastVersion;
  }
}

/**
 * AWS's disconnect reason for the way a connection ended: `label` is the broker's close label (the
 * one counted in `counters.disconnects`), `reasonCode` the MQTT reason code the server closed with
 * (0 when the server sent none, e.g. the socket closed).
 *
 * @example
 * awsDisconnectReason('keepalive-timeout', 0x8d); // 'MQTT_KEEP_ALIVE_TIMEOUT'
 */
export function awsDisconnectReason(label: string, reasonCode: number): DisconnectReason {
  switch (label) {
    case 'client-disconnect':
      return 'CLIENT_INITIATED_DISCONNECT';
    case 'socket-closed':
      return 'CONNECTION_LOST';
    case 'takeover':
      return 'DUPLICATE_CLIENTID';
    case 'keepalive-timeout':
      return 'MQTT_KEEP_ALIVE_TIMEOUT';
    case 'slow-consumer':
      return 'THROTTLED';
    case 'shutdown':
      return 'SERVER_INITIATED_DISCONNECT';
    // The admin API's kick and session delete are AWS's DeleteConnection.
    case 'admin':
      return 'API_INITIATED_DISCONNECT';
    case 'certificate-revoked':
    case 'certificate-expired':
      return 'AUTH_ERROR';
    case 'protocol-error':
      return protocolErrorReason(reasonCode);
    default:
      // A close we do not know by name: the server decided it when it sent a reason code.
      return reasonCode === 0 ? 'UNKNOWN' : 'SERVER_INITIATED_DISCONNECT';
  }
}

/** A client error after CONNACK, by the reason code the dispatcher closed with. */
function protocolErrorReason(reasonCode: number): DisconnectReason {
  switch (reasonCode) {
    case ReasonCode.NotAuthorized:
    case ReasonCode.BadAuthenticationMethod:
    case ReasonCode.BadUserNameOrPassword:
      return 'AUTH_ERROR';
    case ReasonCode.Banned:
      return 'FORBIDDEN_ACCESS';
    case ReasonCode.MessageRateTooHigh:
    case ReasonCode.QuotaExceeded:
      return 'THROTTLED';
    case ReasonCode.UnspecifiedError:
    case ReasonCode.ImplementationSpecificError:
    case ReasonCode.ServerBusy:
    case ReasonCode.ServerUnavailable:
      return 'SERVER_ERROR';
    default:
      // Malformed packets, protocol violations, packets too large, bad topics or aliases.
      return 'CLIENT_ERROR';
  }
}
