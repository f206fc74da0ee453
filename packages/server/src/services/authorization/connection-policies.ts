/**
 * The broker's authorization hook: decides `iot:Connect`, binds each connection to its policies and
 * keeps the binding up to date, so a policy edited, attached or detached, or a registry change to
 * what the policies are resolved from, reaches live connections within a second.
 *
 * Keeping up: every `intervalMs` (250 ms) a round reads one page of the store's policy change feed.
 * For each tenant it names, the concerned live connections are rebound (one store read per record per
 * round, shared by connections that read the same one); the generation of those whose policy set or
 * context really changed moves, and the broker drops their decision caches. Two depths of rebinding:
 * - reloaded (targets kept, attached policies and documents read again): a connection whose policy
 *   set holds a changed policy, or whose certificate, thing groups or tenant is a changed attachment's target;
 * - resolved afresh (certificate and thing read again, targets and context rebuilt: attributes, type,
 *   groups with their ancestors): a connection whose client id names a changed thing (its thing is read
 *   only then, as AWS fills the thing variables only then), whose certificate was attached to or
 *   detached from a thing, or that has a changed thing group (new, moved or deleted) among its targets.
 * Rounds never overlap; a round that fails (store down) is retried from the same place.
 *
 * A connection that is being authorized while a round applies a change to its tenant resolves again
 * before it is bound (the tenant's change epoch moved), so no change falls between its read and its
 * registration.
 */
import { GatehouseError, startPollLoop, type Logger } from '../../core/index.js';
import type { AuthorizeConnect, AuthorizeConnectEvent } from '../../broker/index.js';
import type { PolicyAction, PolicyRequestContext, Principal } from '../../auth/index.js';
import type { IdentityStore, PolicyChange, PolicyTarget } from '../../store/index.js';
import { DenialLog } from './denial-log.js';
import { explainDecision, explanationText } from './explain-decision.js';
import { LiveConnectionPolicy } from './live-connection-policy.js';
import { PolicyChangeFeed } from './policy-change-feed.js';
import { PolicyResolver, refusingResolution, type AnonymousPolicies, type UnattachedPolicies, type BoundResolution, type PolicyResolution } from './policy-resolver.js';
import { StoreReads } from './store-reads.js';

export interface PolicyAuthorizerOptions {
  readonly identity: IdentityStore;
  readonly logger: Logger;
  /** Epoch ms; for tests. */
  readonly now?: () => number;
  /** Pause between rounds of the change feed; default 250 ms. */
  readonly intervalMs?: number;
  /** How far back each pass of the feed reads again; default 5000 ms. */
  readonly overlapMs?: number;
  /** Default 'unrestricted' (the loopback development listener). */
  readonly anonymous?: AnonymousPolicies;
  /** Principals with no policy attached: 'tenant' (default) or 'deny' (AWS); see PolicyResolverOptions. */
  readonly unattached?: UnattachedPolicies;
  /** Parent of a thing group (issue 7's group tree); default none. */
  readonly parentGroup?: (tenant: string, group: string) => Promise<string | undefined>;
  /** Counts a refused `iot:Connect` (the broker counts the rest): wire it to `gatehouse_authorization_denied_total`. */
  readonly countDenial?: (action: PolicyAction) => void;
  /** Denial log lines per tenant per second; default 10. */
  readonly denialLogsPerSecond?: number;
}

export interface PolicyAuthorizer {
  /** The broker hook (`BrokerHooks.authorize`). */
  readonly authorize: AuthorizeConnect;
  /** Runs rounds now (after any under way) until the feed is read up; resolves with the connections rebound. */
  refresh(): Promise<number>;
  /** Stops the timer; a round under way finishes. */
  stop(): void;
  /** Shared with `POST /v1/test-authorization`, so both read and compile policies alike. */
  readonly resolver: PolicyResolver;
  /** Live connections bound to policies. */
  readonly liveConnections: number;
}

/** What one feed page says about one tenant; names of targets as `targetKey` gives them. */
interface Concern {
  readonly names: Set<string>;
  readonly targets: Set<string>;
  readonly things: Set<string>;
  readonly groups: Set<string>;
  readonly certificates: Set<string>;
}

/** A live connection a page concerns, and how deeply it must be resolved again. */
interface Affected {
  readonly policy: LiveConnectionPolicy;
  readonly afresh: boolean;
}

function targetKey(target: PolicyTarget): string {
  return `${target.kind}\0${target.id}`;
}

/** Re-resolutions a round runs at once; the rest wait, so a tenant-wide change does not flood the store. */
const concurrentResolutions = 32;

/**
 * Creates the authorizer and starts its change-feed timer (unref'd: it never holds the process open).
 *
 * @example
 * const policies = createPolicyAuthorizer({ identity, logger });
 * const broker = new Broker({ store, logger, hooks: { authorize: policies.authorize } });
 * // on shutdown
 * policies.stop();
 */
export function createPolicyAuthorizer(options: PolicyAuthorizerOptions): PolicyAuthorizer {
  const now = options.now ?? Date.now;
  const logger = options.logger;
  const intervalMs = options.intervalMs ?? 250;
  const resolver = new PolicyResolver({
    identity: options.identity,
    ...(options.anonymous === undefined ? {} : { anonymous: options.anonymous }),
    ...(options.unattached === undefined ? {} : { unattached: options.unattached }),
    ...(options.parentGroup === undefined ? {} : { parentGroup: options.parentGroup }),
  });
  const feed = new PolicyChangeFeed({ identity: options.identity, now, ...(options.overlapMs === undefined ? {} : { overlapMs: options.overlapMs }) });
  const denials = new DenialLog({ logger, now, ...(options.denialLogsPerSecond === undefined ? {} : { perSecond: options.denialLogsPerSecond }) });
  const live = new Map<string, Set<LiveConnectionPolicy>>();
  let liveCount = 0;
  /** Connections being authorized: while any is, the feed must be read, not skipped. */
  let pending = 0;
  /** Per tenant, how many rounds applied changes to it: a connection resolving across a move resolves again. */
  const epochs = new Map<string, number>();

  const forget = (policy: LiveConnectionPolicy): void => {
    const tenant = live.get(policy.principal.tenant);
    if (tenant?.delete(policy) !== true) return;
    liveCount--;
    if (tenant.size === 0) live.delete(policy.principal.tenant);
  };

  async function resolveSettled(principal: Principal): Promise<PolicyResolution> {
    for (;;) {
      const epoch = epochs.get(principal.tenant) ?? 0;
      const resolution = await resolver.resolve(principal, { now: now() });
      if ((epochs.get(principal.tenant) ?? 0) === epoch) return resolution;
    }
  }

  const authorize: AuthorizeConnect = async (event) => {
    const principal = event.principal.clientId === event.clientId ? event.principal : { ...event.principal, clientId: event.clientId };
    let resolution: PolicyResolution;
    pending++;
    try {
      resolution = await resolveSettled(principal);
    } catch (error) {
      return refuseUnresolved(principal, error);
    } finally {
      pending--;
    }
    if (resolution.kind === 'unrestricted') return { kind: 'allow' };
    const explained = explainDecision(resolution, 'iot:Connect', event.clientId, connectRequest(event, now()));
    if (explained.decision !== 'ALLOW') {
      options.countDenial?.('iot:Connect');
      denials.record({
        tenant: principal.tenant, clientId: event.clientId, action: 'iot:Connect', resource: explained.resource, sourceIp: principal.sourceIp,
        ...(principal.thingName === undefined ? {} : { thing: principal.thingName }),
        explain: () => explanationText(explained, 'iot:Connect', resolution),
      });
      const why = explained.decision === 'EXPLICIT_DENY' ? 'is denied by a policy' : 'is not allowed by any policy';
      return { kind: 'deny', reason: `Not authorized: iot:Connect on ${explained.resource} ${why}` };
    }
    const policy = new LiveConnectionPolicy(principal, resolution, forget);
    let tenant = live.get(principal.tenant);
    if (tenant === undefined) live.set(principal.tenant, (tenant = new Set()));
    tenant.add(policy);
    liveCount++;
    return { kind: 'allow', policy };
  };

  function refuseUnresolved(principal: Principal, error: unknown): { kind: 'deny'; reason: string } {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof GatehouseError && error.code === 'POLICY_INVALID') {
      logger.error({ tenant: principal.tenant, clientId: principal.clientId, err: message }, 'cannot authorize a connection: a policy that applies to it is invalid');
      return { kind: 'deny', reason: 'Not authorized: a policy that applies to this client is invalid' };
    }
    logger.warn({ tenant: principal.tenant, clientId: principal.clientId, err: message }, 'cannot authorize a connection: its policies could not be read');
    return { kind: 'deny', reason: 'Cannot authorize the connection: its policies could not be read' };
  }

  /** One feed page applied; resolves with the connections rebound and whether more entries wait. */
  async function round(): Promise<{ rebound: number; more: boolean }> {
    if (liveCount === 0 && pending === 0) {
      feed.skip();
      return { rebound: 0, more: false };
    }
    const page = await feed.read();
    const affected = affectedBy(page.changes);
    const rebound = await rebindAll(affected);
    page.commit();
    if (rebound > 0) logger.info({ connections: rebound, changes: page.changes.length }, 'rebound live connections to changed policies or registry records');
    return { rebound, more: page.more };
  }

  /** The live connections a page concerns; moves each named tenant's epoch first (see the top of the file). */
  function affectedBy(changes: readonly PolicyChange[]): Affected[] {
    const byTenant = new Map<string, Concern>();
    for (const change of changes) {
      let concern = byTenant.get(change.tenant);
      if (concern === undefined) byTenant.set(change.tenant, (concern = { names: new Set(), targets: new Set(), things: new Set(), groups: new Set(), certificates: new Set() }));
      switch (change.kind) {
        case 'policy': concern.names.add(change.name); break;
        case 'attachment': if (change.target !== undefined) concern.targets.add(targetKey(change.target)); break;
        case 'thing': concern.things.add(change.name); break;
        case 'thing-group': concern.groups.add(change.name); break;
        case 'certificate-thing': concern.certificates.add(change.name); break;
        default: {
          const unknown: never = change.kind;
          throw new TypeError(`Cannot apply a policy change: unknown kind ${String(unknown)}`);
        }
      }
    }
    const affected: Affected[] = [];
    for (const [tenant, concern] of byTenant) {
      epochs.set(tenant, (epochs.get(tenant) ?? 0) + 1);
      for (const policy of live.get(tenant) ?? []) {
        const { facts, policies, problem } = policy.resolution;
        const afresh = concern.things.has(policy.principal.clientId)
          || (facts.certificateId !== undefined && concern.certificates.has(facts.certificateId))
          || facts.targets.some((target) => target.kind === 'thing-group' && concern.groups.has(target.id));
        const reload = afresh
          || policies.some((applied) => concern.names.has(applied.name))
          || facts.targets.some((target) => concern.targets.has(targetKey(target)))
          || problem !== undefined;
        if (reload) affected.push({ policy, afresh });
      }
    }
    return affected;
  }

  /** Rebinds the affected connections, at most `concurrentResolutions` store reads at a time. */
  async function rebindAll(affected: readonly Affected[]): Promise<number> {
    const reads = new StoreReads(options.identity);
    let next = 0;
    let rebound = 0;
    const worker = async (): Promise<void> => {
      while (next < affected.length) {
        const { policy, afresh } = affected[next++]!;
        if (policy.released) continue;
        const fresh = await resolveOrRefuse(policy, afresh, reads);
        if (!policy.released && policy.rebind(fresh)) rebound++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrentResolutions, affected.length) }, worker));
    return rebound;
  }

  /** The connection resolved afresh, or its policies reloaded with its targets kept; refusing everything when a policy is invalid. */
  async function resolveOrRefuse(policy: LiveConnectionPolicy, afresh: boolean, reads: StoreReads): Promise<BoundResolution> {
    try {
      if (afresh) {
        const resolution = await resolver.resolve(policy.principal, { now: now(), reads });
        // Whether a principal is unrestricted depends on its kind and the configuration, never on the
        // registry, so a bound connection resolves to policies again; the reload only satisfies the types.
        if (resolution.kind === 'policies') return resolution;
      }
      return await resolver.reload(policy.resolution, { now: now(), reads });
    } catch (error) {
      if (!(error instanceof GatehouseError) || error.code !== 'POLICY_INVALID') throw error;
      logger.error({ tenant: policy.principal.tenant, clientId: policy.principal.clientId, err: error.message }, 'a policy of a live connection is invalid: it is refused everything');
      return refusingResolution(policy.resolution, error.message);
    }
  }

  const loop = startPollLoop({
    intervalMs,
    round,
    onError: (error) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'cannot apply policy changes to live connections'),
  });
  return {
    authorize,
    async refresh() {
      let total = 0;
      for (;;) {
        const { rebound, more } = await loop.runNow();
        total += rebound;
        if (!more) return total;
      }
    },
    stop: () => loop.stop(),
    resolver,
    get liveConnections() {
      return liveCount;
    },
  };
}

/** `iot:LastWillTopic` and `iot:ConnectAttributes` of a CONNECT (AWS: `PersistentConnect`, `LastWill`). */
function connectRequest(event: AuthorizeConnectEvent, at: number): PolicyRequestContext {
  const connectAttributes: string[] = [];
  if (!event.cleanStart) connectAttributes.push('PersistentConnect');
  if (event.willTopic !== undefined) connectAttributes.push('LastWill');
  return { now: at, connectAttributes, ...(event.willTopic === undefined ? {} : { lastWillTopic: event.willTopic }) };
}
