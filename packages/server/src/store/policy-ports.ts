/**
 * The policy verbs of the identity store port beyond plain records: AWS-style versions (up to five,
 * one default), the policies attached to a principal's targets with their default documents, and the
 * change feed that lets the authorization resolver notice a policy, attachment or registry change
 * within a second.
 */
import { GatehouseError } from '../core/index.js';
import type { PolicyRecord, PolicyTarget } from './identity-ports.js';

/** AWS IoT's limit of versions per policy (CreatePolicyVersion). */
export const MAX_POLICY_VERSIONS = 5;

/** How long the change feed keeps an entry; older ones are pruned whenever a new one is written. */
export const POLICY_CHANGE_RETENTION_MS = 3_600_000;

/** One version of a policy. `PolicyRecord.document` and `.version` are always the default version's. */
export interface PolicyVersionRecord {
  readonly tenant: string;
  readonly name: string;
  /** 1, 2, 3, ... per policy; never reused, even after a version is deleted (as AWS numbers them). */
  readonly versionId: number;
  /** The JSON text exactly as given. */
  readonly document: string;
  readonly isDefault: boolean;
  /** Epoch ms. */
  readonly createdAt: number;
}

export interface CreatePolicyVersionOptions {
  /** Make the new version the default, the one in effect; default false, as in AWS. */
  readonly setAsDefault?: boolean;
}

/** A policy as it applies to a principal: its default document and which of the asked targets it is attached to. */
export interface AttachedPolicy extends PolicyRecord {
  /** Ordered by kind then id. */
  readonly attachedTo: readonly PolicyTarget[];
}

/**
 * What a feed entry names. Policies: `policy` (the policy was created, replaced, got a version, changed
 * its default, lost a version or was deleted) and `attachment` (it was attached to or detached from
 * `target`). The registry facts a connection's policies are resolved from (RegistryChangeKind):
 * `thing` (created, replaced, deleted, or joined or left a thing group), `thing-group` (created, moved
 * to another parent, or deleted) and `certificate-thing` (a certificate attached to a thing or detached).
 */
export type PolicyChangeKind = 'policy' | 'attachment' | RegistryChangeKind;

/**
 * The registry's entries. Only what authorization reads is written: a billing group, a thing type's
 * deprecation, or a group's description or attributes change no policy's answer, so they write none.
 */
export type RegistryChangeKind = 'thing' | 'thing-group' | 'certificate-thing';

/**
 * One entry of the policy change feed (see PolicyChangeKind). An entry says only *what* to look at
 * again; the reader re-reads the current state.
 */
export interface PolicyChange {
  /** Increases with every entry written by one database; the feed's tie-breaker within a millisecond. */
  readonly id: number;
  readonly tenant: string;
  readonly kind: PolicyChangeKind;
  /**
   * The policy's name (`policy`, `attachment`), the thing's (`thing`), the thing group's
   * (`thing-group`) or the certificate's id (`certificate-thing`).
   */
  readonly name: string;
  /** Present exactly when `kind` is `attachment`. */
  readonly target?: PolicyTarget;
  /** Epoch ms, the `at` of the verb that wrote it. */
  readonly at: number;
}

/** Where `listPolicyChanges` resumes within the `since` millisecond. */
export interface PolicyChangesOptions {
  /** Id of the last entry already read at `since`; entries at `since` with this id or a smaller one are skipped. */
  readonly afterId?: number;
}

/**
 * Policy versions, the resolver's read and the change feed. Every verb that changes a policy or an
 * attachment (these, and `putPolicy`, `deletePolicy`, `attachPolicy`, `detachPolicy`) appends to the
 * feed in the same transaction as the change itself, so a reader never sees one without the other.
 * So do the registry verbs that change what a connection's policies are resolved from, stamped with
 * the time of the write (`Date.now()`) when the verb takes none: `thing` entries from `putThing`,
 * `createThing`, `replaceThing`, `deleteThing`, `deleteThingAtVersion`, `addThingToThingGroup` and
 * `removeThingFromThingGroup` (each only when it changed something); `thing-group` from `putThingGroup`
 * and `replaceThingGroup` for a new group or a new parent, and from `deleteThingGroup`; and
 * `certificate-thing` from `setCertificateThing` (its `at`).
 *
 * @example
 * await identity.createPolicy('acme', 'agent', documentV1, Date.now());
 * await identity.createPolicyVersion('acme', 'agent', documentV2, { setAsDefault: true }, Date.now());
 * const changes = await identity.listPolicyChanges(Date.now() - 5_000, 1000);
 * const applying = await identity.listPoliciesAttachedTo('acme', [{ kind: 'certificate', id }, { kind: 'tenant', id: 'acme' }]);
 */
export interface PolicyVersionStore {
  /** Creates a policy with version 1 as its default. CONFLICT when the tenant has a policy of that name. */
  createPolicy(tenant: string, name: string, document: string, at: number): Promise<PolicyRecord>;
  /**
   * Adds a version (numbered one past the highest the policy ever had). NOT_FOUND without the policy;
   * VERSIONS_LIMIT_EXCEEDED when it already has `MAX_POLICY_VERSIONS`.
   */
  createPolicyVersion(tenant: string, name: string, document: string, options: CreatePolicyVersionOptions, at: number): Promise<PolicyVersionRecord>;
  /** Makes a version the default and returns the policy as it now reads. NOT_FOUND without the policy or the version. */
  setDefaultPolicyVersion(tenant: string, name: string, versionId: number, at: number): Promise<PolicyRecord>;
  /** False when there was no such version. CONFLICT for the default version (delete the policy instead). */
  deletePolicyVersion(tenant: string, name: string, versionId: number, at: number): Promise<boolean>;
  getPolicyVersion(tenant: string, name: string, versionId: number): Promise<PolicyVersionRecord | undefined>;
  /** The policy's versions by id; empty without the policy. */
  listPolicyVersions(tenant: string, name: string): Promise<PolicyVersionRecord[]>;
  /**
   * The policies attached to any of `targets` (a principal's certificate, its thing groups, its tenant),
   * each once with its default document, ordered by name. One read, whatever the number of targets.
   */
  listPoliciesAttachedTo(tenant: string, targets: readonly PolicyTarget[]): Promise<AttachedPolicy[]>;
  /**
   * The change feed, every tenant's: entries with `at >= since`, ordered by `at` then id, at most
   * `limit` (1 to 1000); entries older than `POLICY_CHANGE_RETENTION_MS` may be gone. A deleted policy
   * or a detachment shows here although its rows are gone. With `afterId`, entries at exactly `since`
   * come only when their id is greater: pass the last entry of a full page to read on after it.
   */
  listPolicyChanges(since: number, limit: number, options?: PolicyChangesOptions): Promise<PolicyChange[]>;
}

/** What `createPolicy` throws when the name is taken (AWS's ResourceAlreadyExistsException). */
export function policyExists(tenant: string, name: string): GatehouseError {
  return new GatehouseError('CONFLICT', { reason: `Cannot create policy "${name}": tenant "${tenant}" already has a policy of that name; add a version instead` });
}

export function policyVersionNotFound(name: string, versionId: number): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: `Policy "${name}" version`, id: String(versionId) });
}

export function versionsLimitExceeded(name: string): GatehouseError {
  return new GatehouseError('VERSIONS_LIMIT_EXCEEDED', { name, limit: MAX_POLICY_VERSIONS });
}

/** AWS's DeleteConflictException for DeletePolicyVersion of the default. */
export function defaultVersionConflict(name: string, versionId: number): GatehouseError {
  return new GatehouseError('CONFLICT', { reason: `Cannot delete version ${versionId} of policy "${name}": it is the default version; make another version the default, or delete the policy` });
}

/** The feed's entry for a policy (`target` absent) or an attachment, without the id the store gives it. */
export function policyChange(tenant: string, name: string, at: number, target?: PolicyTarget): Omit<PolicyChange, 'id'> {
  return target === undefined ? { tenant, kind: 'policy', name, at } : { tenant, kind: 'attachment', name, target: { kind: target.kind, id: target.id }, at };
}

/** The feed's entry for a registry change (see RegistryChangeKind), without the id the store gives it. */
export function registryChange(tenant: string, kind: RegistryChangeKind, name: string, at: number): Omit<PolicyChange, 'id'> {
  return { tenant, kind, name, at };
}
