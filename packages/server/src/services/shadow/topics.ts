/**
 * The wire surface of the Device Shadow service inside the broker: the six request filters it
 * subscribes to in every tenant, and the tenant's reply topics it publishes on.
 *
 *   $tenants/{t}/$aws/things/{thing}/shadow/{get|update|delete}                    classic requests
 *   $tenants/{t}/$aws/things/{thing}/shadow/name/{shadow}/{get|update|delete}      named requests
 *   ... /{operation}/accepted | /rejected, and /update/delta | /update/documents   replies (QoS 1, not retained)
 */
import { parseShadowRequestTopic, shadowTopic, type ShadowOperation, type ShadowReply } from '@gatehouse/protocol';
import { localTopic, tenantTopicPrefix, topicTenant } from '../../broker/index.js';

/**
 * The filters the service subscribes to. Replies are one level deeper (`.../update/accepted`), so
 * they never match, and `$tenants/+/` reaches every tenant's agents, whose topics the broker keeps under
 * their tenant's prefix.
 */
export const SHADOW_REQUEST_FILTERS = [
  '$tenants/+/$aws/things/+/shadow/get',
  '$tenants/+/$aws/things/+/shadow/update',
  '$tenants/+/$aws/things/+/shadow/delete',
  '$tenants/+/$aws/things/+/shadow/name/+/get',
  '$tenants/+/$aws/things/+/shadow/name/+/update',
  '$tenants/+/$aws/things/+/shadow/name/+/delete',
] as const;

/** A request, addressed: whose shadow and what to do with it. `shadow` undefined is the classic shadow. */
export interface ShadowAddress {
  readonly tenant: string;
  readonly thing: string;
  readonly shadow: string | undefined;
}

export interface ShadowRequestAddress extends ShadowAddress {
  readonly operation: ShadowOperation;
}

/**
 * Reads a broker topic (`$tenants/{tenant}/$aws/things/...`); undefined for anything that is not a
 * request of a valid thing and shadow name in a tenant.
 *
 * @example
 * parseShadowRequest('$tenants/acme/$aws/things/agent-7/shadow/name/config/update');
 * // { tenant: 'acme', thing: 'agent-7', shadow: 'config', operation: 'update' }
 */
export function parseShadowRequest(topic: string): ShadowRequestAddress | undefined {
  const tenant = topicTenant(topic);
  if (tenant === undefined || tenant === '') return undefined;
  const request = parseShadowRequestTopic(localTopic(topic));
  if (request === undefined) return undefined;
  return { tenant, thing: request.thing, shadow: request.shadow, operation: request.operation };
}

/**
 * The full broker name of a reply or event topic in the request's own tenant.
 *
 * @example
 * shadowReplyTopic({ tenant: 'acme', thing: 'agent-7', shadow: undefined }, 'update', 'delta');
 * // '$tenants/acme/$aws/things/agent-7/shadow/update/delta'
 */
export function shadowReplyTopic(address: ShadowAddress, operation: ShadowOperation, reply: ShadowReply): string {
  return tenantTopicPrefix(address.tenant) + shadowTopic(address.thing, address.shadow, operation, reply);
}
