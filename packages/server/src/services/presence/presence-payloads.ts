/**
 * AWS IoT's lifecycle event payloads, built from the broker's lifecycle events: the same fields, names
 * and order as AWS publishes them, so consumers written for AWS read them unchanged. Pure.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../auth/index.js';
import type { ConnectedEvent, ConnectFailedEvent, DisconnectedEvent, SubscriptionEvent } from '../../broker/index.js';

export interface ConnectedPayload {
  readonly clientId: string;
  readonly timestamp: number;
  readonly eventType: 'connected';
  readonly sessionIdentifier: string;
  readonly principalIdentifier: string;
  readonly ipAddress: string;
  readonly versionNumber: number;
}

export interface DisconnectedPayload {
  readonly clientId: string;
  readonly timestamp: number;
  readonly eventType: 'disconnected';
  readonly sessionIdentifier: string;
  readonly principalIdentifier: string;
  readonly clientInitiatedDisconnect: boolean;
  readonly disconnectReason: string;
  readonly versionNumber: number;
}

export interface SubscriptionPayload {
  readonly clientId: string;
  readonly timestamp: number;
  readonly eventType: 'subscribed' | 'unsubscribed';
  readonly sessionIdentifier: string;
  readonly principalIdentifier: string;
  readonly topics: readonly string[];
}

export interface ConnectFailedPayload {
  readonly clientId: string;
  readonly timestamp: number;
  readonly eventType: 'connect_failed';
  readonly connectFailureReason: 'AUTHORIZATION_FAILED';
  readonly principalIdentifier: string;
  readonly sessionIdentifier: string;
  readonly ipAddress: string;
}

/**
 * AWS's `principalIdentifier`: the certificate id for certificate (and SigV4-by-certificate)
 * connections; otherwise how the client authenticated and as whom, since there is no IAM identity.
 *
 * @example
 * principalIdentifier({ kind: 'token', tenant: 'acme', thingName: 'agent-7', ... }); // 'token:agent-7'
 */
export function principalIdentifier(principal: Principal | undefined): string {
  if (principal === undefined) return '';
  if (principal.certificateId !== undefined) return principal.certificateId;
  if (principal.kind === 'anonymous') return 'anonymous';
  return `${principal.kind}:${principal.thingName ?? principal.clientId}`;
}

/** An IPv4 peer on a dual-stack socket shows as `::ffff:a.b.c.d`; AWS shows the IPv4 address. */
export function ipAddress(remoteAddress: string): string {
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}

export function connectedPayload(event: ConnectedEvent): ConnectedPayload {
  return {
    clientId: event.clientId,
    timestamp: event.at,
    eventType: 'connected',
    sessionIdentifier: event.sessionId,
    principalIdentifier: principalIdentifier(event.principal),
    ipAddress: ipAddress(event.peer.remoteAddress),
    versionNumber: event.versionNumber,
  };
}

export function disconnectedPayload(event: DisconnectedEvent): DisconnectedPayload {
  return {
    clientId: event.clientId,
    timestamp: event.at,
    eventType: 'disconnected',
    sessionIdentifier: event.sessionId,
    principalIdentifier: principalIdentifier(event.principal),
    clientInitiatedDisconnect: event.clientInitiatedDisconnect,
    disconnectReason: event.disconnectReason,
    versionNumber: event.versionNumber,
  };
}

export function subscriptionPayload(event: SubscriptionEvent): SubscriptionPayload {
  return {
    clientId: event.clientId,
    timestamp: event.at,
    eventType: event.kind,
    sessionIdentifier: event.sessionId,
    principalIdentifier: principalIdentifier(event.principal),
    topics: event.topics,
  };
}

/** A refused CONNECT never had a session: its `sessionIdentifier` is made for the event. */
export function connectFailedPayload(event: ConnectFailedEvent, sessionIdentifier: string = randomUUID()): ConnectFailedPayload {
  return {
    clientId: event.clientId,
    timestamp: event.at,
    eventType: 'connect_failed',
    connectFailureReason: 'AUTHORIZATION_FAILED',
    principalIdentifier: principalIdentifier(event.principal),
    sessionIdentifier,
    ipAddress: ipAddress(event.peer.remoteAddress),
  };
}
