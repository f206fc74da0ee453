/**
 * Tenants as hard boundaries inside one broker. Every topic of a tenant lives under
 * `$tenants/{tenant}/`: an agent publishes `acme-1/agent-7/status` and the broker routes, retains and
 * stores `$tenants/acme/acme-1/agent-7/status`; the agent's `#` becomes `$tenants/acme/#` and so can
 * never match another tenant's topics. Agents see their own names (the prefix is added on the way in
 * and cut on the way out) and configure nothing. Service principals (the SaaS backend) see the full
 * names and address tenants explicitly (`$tenants/acme/...`, `$tenants/+/...`) within their grants.
 *
 * Inside a tenant the MQTT rule for `$` topics holds at the tenant's first level: `$tenants/acme/#`
 * does not match `$tenants/acme/$aws/things/x/shadow/update`, just as `#` does not match
 * `$aws/things/x/shadow/update` [MQTT-4.7.2-1]. Sessions are keyed by tenant too, so two tenants'
 * agents with the same client id never take over each other's session.
 */
import type { Principal } from '../auth/index.js';

export const tenantTopicRoot = '$tenants/';
const ROOT_LENGTH = tenantTopicRoot.length;

/** `$tenants/{tenant}/`, the prefix of every topic of the tenant. */
export function tenantTopicPrefix(tenant: string): string {
  return `${tenantTopicRoot}${tenant}/`;
}

/** Where the tenant-local part of an internal topic or filter starts, or 0 when it is not under `$tenants/`. */
export function localStart(name: string): number {
  if (!name.startsWith(tenantTopicRoot)) return 0;
  const slash = name.indexOf('/', ROOT_LENGTH);
  return slash < 0 ? name.length : slash + 1;
}

/** The tenant an internal topic belongs to, or undefined; `$tenants/acme` (no local part) is acme's too. */
export function topicTenant(topic: string): string | undefined {
  if (!topic.startsWith(tenantTopicRoot)) return undefined;
  const slash = topic.indexOf('/', ROOT_LENGTH);
  return topic.slice(ROOT_LENGTH, slash < 0 ? topic.length : slash);
}

/**
 * True when a tenant-scoped filter starting with a wildcard meets a topic whose tenant-local part
 * starts with `$`: the pair must not match [MQTT-4.7.2-1].
 */
export function hidesDollarTopic(filter: string, topic: string): boolean {
  const t = localStart(topic);
  if (t === 0 || topic.charCodeAt(t) !== 36 /* $ */) return false;
  const f = localStart(filter);
  if (f === 0) return false;
  const first = filter.charCodeAt(f);
  return first === 43 /* + */ || first === 35 /* # */;
}

/**
 * How a connection's names map into the broker: its topic prefix (empty for service principals and
 * for connections without a principal, which use full names), its session key, and, for service
 * principals, the tenants it may address ('*' for all).
 */
export interface TenantScope {
  /** Undefined: the connection is not inside one tenant. */
  readonly tenant: string | undefined;
  readonly topicPrefix: string;
  readonly sessionKey: string;
  /** Service principals only: the tenants it may address; undefined means unrestricted (no principal). */
  readonly grants?: ReadonlySet<string> | '*';
}

/** A connection before CONNECT, or one without a principal: full names, session key = client id. */
export const unscoped: TenantScope = Object.freeze({ tenant: undefined, topicPrefix: '', sessionKey: '' });

/** Marks service sessions' keys; `*` is not a character a tenant id may hold. */
const SERVICE_KEY_PREFIX = '*/';

/**
 * The scope of a connection once it has authenticated.
 *
 * @example
 * tenantScope({ kind: 'certificate', tenant: 'acme', ... }, 'agent-7');
 * // { tenant: 'acme', topicPrefix: '$tenants/acme/', sessionKey: 'acme/agent-7' }
 */
export function tenantScope(principal: Principal | undefined, clientId: string): TenantScope {
  if (principal === undefined) return { tenant: undefined, topicPrefix: '', sessionKey: clientId };
  if (principal.kind === 'service') {
    return { tenant: undefined, topicPrefix: '', sessionKey: `${SERVICE_KEY_PREFIX}${clientId}`, grants: serviceGrants(principal) };
  }
  return { tenant: principal.tenant, topicPrefix: tenantTopicPrefix(principal.tenant), sessionKey: `${principal.tenant}/${clientId}` };
}

/** A service principal's grants from its `tenants` attribute: `*`, or a comma-separated list. */
function serviceGrants(principal: Principal): ReadonlySet<string> | '*' {
  const tenants = principal.attributes['tenants'] ?? '';
  if (tenants.trim() === '*') return '*';
  return new Set(tenants.split(',').map((tenant) => tenant.trim()).filter((tenant) => tenant.length > 0));
}

/**
 * Whether a service principal may publish to or subscribe with `name` (full names): it must be under
 * `$tenants/{tenant}/` with a granted tenant, or `$tenants/+/` when every tenant is granted.
 */
export function serviceMayAddress(scope: TenantScope, name: string): boolean {
  const grants = scope.grants;
  if (grants === undefined) return true;
  // Not `localStart`: without a slash after the tenant it points past the end, and `$tenants/acme2` would read as acme.
  const tenant = topicTenant(name);
  if (tenant === undefined) return false;
  if (grants === '*') return true;
  return grants.has(tenant);
}

/** The (tenant, client id) of a session key, for the admin API. */
export function splitSessionKey(key: string): { tenant?: string; clientId: string } {
  const slash = key.indexOf('/');
  if (slash <= 0) return { clientId: key };
  const tenant = key.slice(0, slash);
  return { ...(tenant === '*' ? {} : { tenant }), clientId: key.slice(slash + 1) };
}

/**
 * A filter as the broker keeps it for a connection of this scope: the tenant prefix goes in front of
 * the filter, inside `$share/{group}/` for shared subscriptions.
 *
 * @example
 * scopedFilter(acmeScope, '$share/workers/jobs/#'); // '$share/workers/$tenants/acme/jobs/#'
 */
export function scopedFilter(scope: TenantScope, filter: string, shared: { readonly group: string; readonly filter: string } | undefined): string {
  const prefix = scope.topicPrefix;
  if (prefix.length === 0) return filter;
  return shared === undefined ? prefix + filter : `$share/${shared.group}/${prefix}${shared.filter}`;
}

/** An internal topic as its tenant names it (`$tenants/acme/a/b` → `a/b`); other topics unchanged. */
export function localTopic(topic: string): string {
  const start = localStart(topic);
  return start === 0 ? topic : topic.slice(start);
}
