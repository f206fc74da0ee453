/**
 * The IoT policies `gatehouse-policy` runs under: an AWS-style per-thing policy built on
 * `${iot:ClientId}` plus a tenant-wide guard, both attached to the default tenant, which binds the
 * bench's anonymous clients once `auth.anonymousPolicies=tenant-policies`. Every topic and filter
 * the scenarios use is allowed (a denial would make the throughput comparison meaningless, so the
 * harness reads `gatehouse_authorization_denied_total` after each run); the Allow that matches them
 * comes after the per-client statements, so each uncached decision walks the whole set.
 *
 * @example
 *   await attachBenchPolicies({ url: 'http://127.0.0.1:8080', key });
 *   const baseline = await proveBenchPolicies({ host: '127.0.0.1', port: 1883 }, 'http://127.0.0.1:8080');
 *   // ... run a scenario ...
 *   assert.equal(await authorizationDenials('http://127.0.0.1:8080'), baseline);
 */
import { RawClient } from '../load/raw-client.js';
import type { Target } from '../load/messages.js';

const arn = 'arn:aws:iot:*:*:';
const client = '${iot:ClientId}';

/** What a fleet's device policy looks like: a thing's own topics, its shadow and jobs, and the shared `bench/` tree. */
export const thingPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'ConnectAsAnyClient', Effect: 'Allow', Action: 'iot:Connect', Resource: `${arn}client/*` },
    {
      Sid: 'OwnTopics',
      Effect: 'Allow',
      Action: ['iot:Publish', 'iot:Receive'],
      Resource: [`${arn}topic/${client}/*`, `${arn}topic/$aws/things/${client}/shadow/*`, `${arn}topic/$aws/things/${client}/jobs/*`],
    },
    {
      Sid: 'OwnFilters',
      Effect: 'Allow',
      Action: 'iot:Subscribe',
      Resource: [`${arn}topicfilter/${client}/*`, `${arn}topicfilter/$aws/things/${client}/shadow/*`, `${arn}topicfilter/$aws/things/${client}/jobs/*`],
    },
    // connect-storm: each client subscribes to storm/<its client id>.
    { Sid: 'StormInbox', Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${arn}topicfilter/storm/${client}` },
    { Sid: 'StormReceive', Effect: 'Allow', Action: 'iot:Receive', Resource: `${arn}topic/storm/${client}` },
    { Sid: 'OwnConfig', Effect: 'Allow', Action: 'iot:RetainPublish', Resource: `${arn}topic/${client}/config` },
    // The scenarios' shared tree: pairs, fan-out, fan-in (filter bench/fan-in/+), retained seeding.
    { Sid: 'BenchTopics', Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `${arn}topic/bench/*` },
    { Sid: 'BenchFilters', Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${arn}topicfilter/bench/*` },
    { Sid: 'BenchRetained', Effect: 'Allow', Action: 'iot:RetainPublish', Resource: `${arn}topic/bench/retained/*` },
    // retained: one monitoring client drains `#`.
    { Sid: 'MonitorAll', Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${arn}topicfilter/#`, Condition: { StringLike: { 'iot:ClientId': 'bench-drain-*' } } },
    { Sid: 'NoForbidden', Effect: 'Deny', Action: ['iot:Publish', 'iot:Receive', 'iot:RetainPublish'], Resource: `${arn}topic/bench/forbidden/*` },
  ],
} as const;

/** A tenant-wide guard, as an operator adds beside device policies: Deny statements every decision must check. */
export const tenantGuardPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'NoRules', Effect: 'Deny', Action: 'iot:Publish', Resource: `${arn}topic/$aws/rules/*` },
    { Sid: 'NoOtherThingsShadows', Effect: 'Deny', Action: ['iot:Publish', 'iot:Subscribe'], Resource: [`${arn}topic/$aws/things/admin-*`, `${arn}topicfilter/$aws/things/admin-*`] },
    { Sid: 'LocalOnly', Effect: 'Deny', Action: 'iot:*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128'] } } },
  ],
} as const;

export const benchPolicies: ReadonlyArray<readonly [name: string, document: object]> = [
  ['bench-thing', thingPolicy],
  ['bench-tenant-guard', tenantGuardPolicy],
];

export interface AdminEndpoint {
  /** The admin listener's base URL, e.g. `http://127.0.0.1:35111`. */
  readonly url: string;
  /** The bearer key from `<home>/admin.key`. */
  readonly key: string;
  /** Tenant the anonymous bench clients belong to. Default `default`. */
  readonly tenant?: string;
}

async function call(admin: AdminEndpoint, method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${admin.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`Cannot ${method} ${path}: ${String(response.status)} ${await response.text()}`);
}

/** Creates the bench policies in the tenant and attaches them to the tenant itself. */
export async function attachBenchPolicies(admin: AdminEndpoint): Promise<void> {
  const tenant = encodeURIComponent(admin.tenant ?? 'default');
  for (const [name, document] of benchPolicies) {
    await call(admin, 'PUT', `/v1/tenants/${tenant}/policies/${name}`, { policyDocument: JSON.stringify(document) });
    await call(admin, 'PUT', `/v1/tenants/${tenant}/policies/${name}/targets/tenant/${tenant}`);
  }
}

/** `gatehouse_authorization_denied_total` summed over its labels, from the admin listener's `/metrics`. */
export async function authorizationDenials(url: string): Promise<number> {
  const response = await fetch(`${url}/metrics`);
  if (!response.ok) throw new Error(`Cannot read ${url}/metrics: ${String(response.status)}`);
  const text = await response.text();
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^gatehouse_authorization_denied_total(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match !== null) total += Number(match[1]);
  }
  return total;
}

/**
 * Shows that the policies are in force before any scenario client connects: an anonymous client
 * subscribes to another client's storm inbox, which only a bound connection is refused, until the
 * denial counter moves (attachments reach new connections within a second). Answers the counter
 * then, the baseline for the run.
 */
export async function proveBenchPolicies(target: Target, adminUrl: string, timeoutMs = 5000): Promise<number> {
  const before = await authorizationDenials(adminUrl);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    // A refused SUBACK rejects the open (and closes the socket); a granted one means not bound yet.
    const refused = await RawClient.open({ target, clientId: `bench-policy-probe-${String(attempt)}`, clean: true, subscribe: { filter: 'storm/someone-else', qos: 0 } }).then(
      (client) => {
        client.socket.destroy();
        return false;
      },
      (error: unknown) => error instanceof Error && error.message.includes('refused'),
    );
    const after = await authorizationDenials(adminUrl);
    if (refused && after > before) return after;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Cannot prove the bench policies are in force: a subscription to storm/someone-else was not refused within ${String(timeoutMs)} ms`);
}
