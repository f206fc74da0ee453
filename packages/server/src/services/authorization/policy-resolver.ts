/**
 * Which policies apply to a principal and what their variables resolve to: collects the policies
 * attached to its certificate, its thing's groups and its tenant, compiles the set once per distinct
 * contents, builds the connection's PolicyContext and binds the set to it.
 *
 * What each kind of principal gets:
 * - `certificate` and `sigv4` (SigV4 credentials were traded for a certificate and carry its id):
 *   the certificate's policies, its thing's groups' policies (only when the client id is the thing's
 *   name, as in AWS), and the tenant's default policies.
 * - `token` and `password`: the tenant's policies only. Their thing (the token's `thing` claim, the
 *   password user's `thing`) still fills the thing variables when the client id is its name.
 * - `anonymous` (the loopback development listener): unrestricted inside its tenant by default;
 *   `anonymous: 'tenant-policies'` treats it like a token principal.
 * - `service` (the SaaS backend): unrestricted; the broker enforces which tenants it may address.
 */
import {
  bindPolicySet, compilePolicies, type BoundPolicySet, type CompiledPolicySet, type PolicyCertificate, type PolicyContext, type Principal,
} from '../../auth/index.js';
import type { CertificateRecord, IdentityStore, PolicyTarget, ThingRecord } from '../../store/index.js';
import { policyCertificate } from './certificate-fields.js';
import { PolicySetCache, type PolicyDocument } from './policy-set-cache.js';
import { RecentMap } from './recent-map.js';
import { StoreReads } from './store-reads.js';

/** One policy of a resolved set, with the first target it was found attached to. */
export interface AppliedPolicy {
  readonly name: string;
  readonly version: number;
  readonly attachedTo: PolicyTarget;
}

/** The records a resolution read: a change to any of them may change its answer. */
export interface ResolutionFacts {
  readonly tenant: string;
  readonly certificateId?: string;
  /** The thing whose record filled the context (client id equal to its name). */
  readonly thing?: string;
  /** Every target whose attachments were read: certificate, groups (with ancestors), tenant. */
  readonly targets: readonly PolicyTarget[];
}

/** A principal bound to its policies, or left unrestricted. */
export type PolicyResolution =
  | { readonly kind: 'unrestricted'; readonly reason: string }
  | {
    readonly kind: 'policies';
    readonly policies: readonly AppliedPolicy[];
    /** Names the compiled set's contents (names and document hashes). */
    readonly key: string;
    readonly compiled: CompiledPolicySet;
    readonly context: PolicyContext;
    /** The context facts that a re-resolution compares (thing, attributes, attachment). */
    readonly contextKey: string;
    readonly bound: BoundPolicySet;
    readonly facts: ResolutionFacts;
    /** Set when a policy could not be read as a document: the set then refuses everything. */
    readonly problem?: string;
  };

/** A resolution with policies (unrestricted connections have none to bind). */
export type BoundResolution = PolicyResolution & { readonly kind: 'policies' };

/** How policies see `anonymous` principals. */
export type AnonymousPolicies = 'unrestricted' | 'tenant-policies';

export interface PolicyResolverOptions {
  readonly identity: IdentityStore;
  /** Default 'unrestricted' (the loopback development listener). */
  readonly anonymous?: AnonymousPolicies;
  /**
   * The parent of a thing group, for policies inherited down the group tree; default none (every group
   * a root). app/serve.ts reads it from the store's thing groups (`getThingGroup`).
   */
  readonly parentGroup?: (tenant: string, group: string) => Promise<string | undefined>;
  /** Shared parse and compile cache; default a new one. */
  readonly cache?: PolicySetCache;
  /**
   * What a principal with no policy attached anywhere (certificate, groups, tenant) may do: `deny`
   * everything, as AWS IoT; or `tenant`, anything inside its own tenant (the built-in policy
   * `(no policy attached)`; the tenant boundary still holds, and the first policy attached takes over
   * within a second). Default `tenant`.
   */
  readonly unattached?: UnattachedPolicies;
}

/** See `PolicyResolverOptions.unattached`. */
export type UnattachedPolicies = 'tenant' | 'deny';

/** The built-in stand-in for "no policy attached" under `unattached: 'tenant'`. */
export const unattachedPolicyName = '(no policy attached)';
const unattachedPolicyDocument = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });

export interface ResolveOptions {
  /** Epoch ms for the context's `now`. */
  readonly now: number;
  /** Reads shared with other resolutions of the same pass; default fresh ones. */
  readonly reads?: StoreReads;
}

/** Longest group ancestry followed; a cycle in a (future) group tree stops at the first repeat. */
const maxGroupDepth = 16;

/**
 * Resolves principals to bound policy sets. Store errors and `POLICY_INVALID` (a stored document the
 * parser refuses) reject; the caller decides (the authorizer refuses the connection).
 *
 * @example
 * const resolver = new PolicyResolver({ identity });
 * const resolution = await resolver.resolve(principal, { now: Date.now() });
 * if (resolution.kind === 'policies') authorize(resolution.bound, 'iot:Publish', 'customer-1/agent-7/status');
 */
export class PolicyResolver {
  readonly cache: PolicySetCache;
  readonly #identity: IdentityStore;
  readonly #anonymous: AnonymousPolicies;
  readonly #unattached: UnattachedPolicies;
  readonly #parentGroup: (tenant: string, group: string) => Promise<string | undefined>;
  /** Certificate fields by certificate id: the id is the DER's fingerprint, so they never change. */
  readonly #certificates = new RecentMap<PolicyCertificate>(10_000);

  constructor(options: PolicyResolverOptions) {
    this.#identity = options.identity;
    this.#anonymous = options.anonymous ?? 'unrestricted';
    this.#parentGroup = options.parentGroup ?? (() => Promise.resolve(undefined));
    this.cache = options.cache ?? new PolicySetCache();
    this.#unattached = options.unattached ?? 'tenant';
  }

  async resolve(principal: Principal, options: ResolveOptions): Promise<PolicyResolution> {
    const reads = options.reads ?? new StoreReads(this.#identity);
    switch (principal.kind) {
      case 'service':
        return { kind: 'unrestricted', reason: 'service principals are not restricted by policies' };
      case 'anonymous':
        if (this.#anonymous === 'unrestricted') return { kind: 'unrestricted', reason: 'anonymous development connections are not restricted by policies' };
        return this.#resolveTenantLevel(principal, options.now, reads);
      case 'token':
      case 'password':
        return this.#resolveTenantLevel(principal, options.now, reads);
      case 'certificate':
      case 'sigv4':
        return this.#resolveCertificate(principal, options.now, reads);
      default: {
        const unknown: never = principal.kind;
        throw new TypeError(`Cannot resolve policies: unknown principal kind ${String(unknown)}`);
      }
    }
  }

  /**
   * The same attachments and context with the policies' documents read again: what a policy edit
   * (a new default version) needs, without reading attachments or things.
   */
  async reload(resolution: BoundResolution, options: ResolveOptions): Promise<BoundResolution> {
    const reads = options.reads ?? new StoreReads(this.#identity);
    return this.#bind({ ...resolution.context, now: options.now }, resolution.facts, resolution.contextKey, reads);
  }

  async #resolveCertificate(principal: Principal, now: number, reads: StoreReads): Promise<PolicyResolution> {
    const tenant = principal.tenant;
    const record = principal.certificateId === undefined ? undefined : await reads.certificate(principal.certificateId);
    const certificate = record?.tenant === tenant ? record : undefined;
    const thingName = certificate === undefined ? principal.thingName : certificate.thing;
    const thing = thingName !== undefined && thingName === principal.clientId ? await reads.thing(tenant, thingName) : undefined;
    const targets: PolicyTarget[] = [];
    if (principal.certificateId !== undefined) targets.push({ kind: 'certificate', id: principal.certificateId });
    // Thing group policies apply only when the client id is the thing's name (AWS).
    if (thing !== undefined) {
      for (const group of await this.#groupsWithAncestors(tenant, thing.groups, reads)) targets.push({ kind: 'thing-group', id: group });
    }
    targets.push({ kind: 'tenant', id: tenant });
    const context = connectionContext(principal, thing, now, certificate === undefined ? undefined : this.#certificateFields(certificate));
    const facts: ResolutionFacts = {
      tenant, targets, ...(principal.certificateId === undefined ? {} : { certificateId: principal.certificateId }), ...(thing === undefined ? {} : { thing: thing.name }),
    };
    return this.#bind(context.value, facts, context.key, reads);
  }

  async #resolveTenantLevel(principal: Principal, now: number, reads: StoreReads): Promise<PolicyResolution> {
    const tenant = principal.tenant;
    const thingName = principal.thingName;
    const thing = thingName !== undefined && thingName === principal.clientId ? await reads.thing(tenant, thingName) : undefined;
    const targets: PolicyTarget[] = [{ kind: 'tenant', id: tenant }];
    const context = connectionContext(principal, thing, now);
    const facts: ResolutionFacts = { tenant, targets, ...(thing === undefined ? {} : { thing: thing.name }) };
    return this.#bind(context.value, facts, context.key, reads);
  }

  async #bind(context: PolicyContext, facts: ResolutionFacts, contextKey: string, reads: StoreReads): Promise<BoundResolution> {
    let attached = await reads.attachedPolicies(facts.tenant, facts.targets);
    if (attached.length === 0 && this.#unattached === 'tenant') {
      attached = [{ tenant: facts.tenant, name: unattachedPolicyName, document: unattachedPolicyDocument, version: 1, createdAt: 0, updatedAt: 0, attachedTo: [{ kind: 'tenant', id: facts.tenant }] }];
    }
    const documents: PolicyDocument[] = [];
    const policies: AppliedPolicy[] = [];
    for (const record of attached) {
      documents.push(this.cache.document(record));
      policies.push({ name: record.name, version: record.version, attachedTo: nearestTarget(facts.targets, record.attachedTo) });
    }
    const { key, compiled } = this.cache.compile(documents);
    return { kind: 'policies', policies, key, compiled, context, contextKey, bound: bindPolicySet(compiled, context), facts };
  }

  #certificateFields(record: CertificateRecord): PolicyCertificate {
    let fields = this.#certificates.get(record.id);
    if (fields === undefined) this.#certificates.set(record.id, (fields = policyCertificate(record)));
    return fields;
  }

  /** Each group followed by its ancestors, nearest first, each group once. */
  async #groupsWithAncestors(tenant: string, groups: readonly string[], reads: StoreReads): Promise<string[]> {
    const seen = new Set<string>();
    for (const group of groups) {
      let current: string | undefined = group;
      for (let depth = 0; current !== undefined && !seen.has(current) && depth < maxGroupDepth; depth++) {
        seen.add(current);
        current = await reads.parentGroup(tenant, current, this.#parentGroup);
      }
    }
    return [...seen];
  }
}

const refuseEverything = compilePolicies([]);

/**
 * The same connection refusing everything, because `problem` (an invalid stored policy) keeps its
 * real set from being built. Failing closed: a Deny in the unreadable policy must not be skipped.
 *
 * @example
 * live.rebind(refusingResolution(live.resolution, 'Invalid policy document: policy "agent" version 3: ...'));
 */
export function refusingResolution(from: BoundResolution, problem: string): BoundResolution {
  return {
    kind: 'policies', policies: [], key: `!${problem}`, compiled: refuseEverything, context: from.context, contextKey: from.contextKey,
    bound: bindPolicySet(refuseEverything, from.context), facts: from.facts, problem,
  };
}

/** The first of `targets` (certificate, groups nearest first, tenant) that the policy is attached to. */
function nearestTarget(targets: readonly PolicyTarget[], attachedTo: readonly PolicyTarget[]): PolicyTarget {
  return targets.find((target) => attachedTo.some((other) => other.kind === target.kind && other.id === target.id)) ?? attachedTo[0] ?? targets[0]!;
}

/**
 * The PolicyContext of a connection without its certificate fields, and the key of the facts in it
 * that the registry can change. The thing variables are set only when the client id is the name of
 * the thing the credential is attached to (`thing` is read only then), as AWS does.
 */
function connectionContext(
  principal: Principal, thing: ThingRecord | undefined, now: number, certificate?: PolicyCertificate,
): { value: PolicyContext; key: string } {
  const value: PolicyContext = {
    tenant: principal.tenant,
    clientId: principal.clientId,
    // '' (no address, as in a test request): `aws:SourceIp` is absent rather than an empty address.
    ...(principal.sourceIp === '' ? {} : { sourceIp: principal.sourceIp }),
    isAttached: thing !== undefined,
    now,
    ...(principal.certificateId === undefined ? {} : { certificateId: principal.certificateId }),
    ...(certificate === undefined ? {} : { certificate }),
    ...(thing === undefined ? {} : {
      thingName: thing.name,
      thingAttributes: thing.attributes,
      ...(thing.thingType === undefined ? {} : { thingTypeName: thing.thingType }),
    }),
  };
  const key = thing === undefined ? '' : JSON.stringify([thing.name, thing.thingType ?? null, Object.entries(thing.attributes).sort()]);
  return { value, key };
}
