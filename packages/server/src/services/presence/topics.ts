/**
 * The wire surface of presence, as AWS IoT names it: the event topics of each client id, published by
 * the presence service inside the client's tenant (`$tenants/{tenant}/` in the broker's names).
 *
 *   $aws/events/presence/connected/{clientId}
 *   $aws/events/presence/disconnected/{clientId}
 *   $aws/events/presence/connect_failed/{clientId}
 *   $aws/events/subscriptions/subscribed/{clientId}
 *   $aws/events/subscriptions/unsubscribed/{clientId}
 */
import { tenantTopicPrefix } from '../../broker/index.js';

export type PresenceEventType = 'connected' | 'disconnected' | 'connect_failed';
export type SubscriptionEventType = 'subscribed' | 'unsubscribed';

/**
 * The broker's full name of an event topic in `tenant`.
 *
 * @example
 * presenceEventTopic('acme', 'connected', 'agent-7'); // '$tenants/acme/$aws/events/presence/connected/agent-7'
 */
export function presenceEventTopic(tenant: string, type: PresenceEventType | SubscriptionEventType, clientId: string): string {
  const group = type === 'subscribed' || type === 'unsubscribed' ? 'subscriptions' : 'presence';
  return `${tenantTopicPrefix(tenant)}$aws/events/${group}/${type}/${clientId}`;
}

/** AWS publishes no lifecycle events for client ids holding a wildcard (they could not be topic levels). */
export function clientIdHasEvents(clientId: string): boolean {
  return !clientId.includes('#') && !clientId.includes('+');
}
