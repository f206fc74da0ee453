/**
 * The shapes every credential connect hook shares. auth/ may not import broker/, so they are typed
 * here structurally; the broker's `ConnectEvent` has these fields and its `HookResult` these variants.
 */
import type { PeerInfo } from '../core/index.js';
import type { Principal } from './principal.js';

/** What a credential hook reads of a CONNECT. */
export interface CredentialConnectEvent {
  readonly clientId: string;
  /** As sent, SDK metrics (`?SDK=…`) included. */
  readonly username?: string;
  readonly password?: Buffer;
  readonly peer: PeerInfo;
}

/** Allow as a principal, defer to the next method, or refuse with a CONNACK reason code. */
export type ConnectDecision =
  | { readonly kind: 'allow'; readonly principal: Principal }
  | { readonly kind: 'defer' }
  | { readonly kind: 'deny'; readonly reasonCode: number; readonly reason: string };

export const deferDecision: ConnectDecision = Object.freeze({ kind: 'defer' });

/** A refusal; `reason` goes to the client (MQTT 5 reason string) and to the log. */
export function denyDecision(reasonCode: number, reason: string): ConnectDecision {
  return { kind: 'deny', reasonCode, reason };
}
