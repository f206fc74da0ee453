/**
 * The identity store port: registered CAs, device certificates, single-use registration tokens and
 * provisioning templates, each owned by a tenant. Memory, SQLite and PostgreSQL implement it and pass
 * the same contract suite (store/contract/identity-store.contract.ts). The few functions at the end
 * give every backend the same validation and the same stable error messages.
 */
import { GatehouseError } from '../core/index.js';
import type { AuditStore } from './audit-ports.js';
import type { PolicyVersionStore } from './policy-ports.js';
import type { RegistryStore } from './registry-ports.js';
import type { TenantStore } from './tenant-ports.js';
import type { ThingGroupStore } from './thing-group-ports.js';

/** A CA's status; only an ACTIVE CA's certificates are accepted (and auto-registered). */
export type CaStatus = 'ACTIVE' | 'INACTIVE';

/** A CA certificate registered with a tenant: Gatehouse's own or one a customer uploaded. */
export interface CaRecord {
  /** SHA-256 fingerprint of the certificate's DER, lowercase hex. */
  readonly id: string;
  readonly tenant: string;
  readonly certificatePem: string;
  readonly kind: 'gatehouse' | 'customer';
  readonly status: CaStatus;
  /** Just-in-time provisioning: unknown certificates this CA signed are registered on first connect. */
  readonly autoRegistration: boolean;
  /** Name of the tenant's provisioning template that JITP applies. */
  readonly provisioningTemplate?: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** The subject as text (`CN=..., O=...`). */
  readonly subject: string;
  /** Epoch ms when the CA certificate expires. */
  readonly notAfter: number;
}

/** A device certificate's status; REVOKED is final. */
export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_ACTIVATION';

/** How a certificate entered the registry. */
export type CertificateOrigin = 'gatehouse' | 'customer-ca' | 'jitp' | 'fleet-provisioning' | 'register';

/** A device certificate in the registry. Ids are global; the record says which tenant owns it. */
export interface CertificateRecord {
  /** SHA-256 fingerprint of the certificate's DER, lowercase hex. */
  readonly id: string;
  readonly tenant: string;
  /** The thing it is attached to, once there is one. */
  readonly thing?: string;
  readonly status: CertificateStatus;
  readonly certificatePem: string;
  /** Id of the issuing CA (a CaRecord id of the same tenant). */
  readonly caId: string;
  /** Serial number as hex, as the CRL lists it. */
  readonly serialNumber: string;
  readonly subject: string;
  /** Epoch ms. */
  readonly notBefore: number;
  /** Epoch ms. */
  readonly notAfter: number;
  readonly issuedBy: CertificateOrigin;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms of the last status change (createdAt until then). */
  readonly updatedAt: number;
  /** Epoch ms when the certificate was revoked; present exactly when status is REVOKED. */
  readonly revokedAt?: number;
}

/** Filters and page of `listCertificates`. Pages are ordered by id; `cursor` is the last id of the previous page. */
export interface CertificateQuery {
  readonly thing?: string;
  readonly status?: CertificateStatus;
  readonly caId?: string;
  /** Page size, 1 to 1000. */
  readonly limit: number;
  readonly cursor?: string;
}

export interface CertificatePage {
  readonly items: readonly CertificateRecord[];
  /** Present when more may follow: pass it as `cursor` to get the next page. */
  readonly nextCursor?: string;
}

/** Where `listCertificateChanges` resumes within the `since` millisecond. */
export interface CertificateChangesOptions {
  /** Id of the last record already read at `since`; records at `since` with this id or a smaller one are skipped. */
  readonly afterId?: string;
}

/** What the store remembers of a minted registration token (the JWS itself is never stored). */
export interface RegistrationTokenRecord {
  /** The token's `jti` claim. */
  readonly jti: string;
  readonly tenant: string;
  readonly thing: string;
  /** Epoch ms; the token is refused at and after this time. */
  readonly expiresAt: number;
  /** Epoch ms. */
  readonly createdAt: number;
}

/** Outcome of `consumeToken`; only `consumed` lets a registration go ahead. */
export type TokenConsumption = 'consumed' | 'already-used' | 'unknown' | 'expired';

/** A webhook asked before fleet provisioning goes ahead (AWS's preProvisioningHook, with a URL for the ARN). */
export interface PreProvisioningHook {
  readonly url: string;
  readonly payloadVersion?: string;
}

/** An AWS-style provisioning template (Parameters, Resources, ...) as parsed JSON. */
export type ProvisioningTemplateBody = { readonly [key: string]: unknown };

export interface ProvisioningTemplateRecord {
  readonly tenant: string;
  readonly name: string;
  readonly body: ProvisioningTemplateBody;
  readonly enabled: boolean;
  readonly preProvisioningHook?: PreProvisioningHook;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
}

/** One line of a CA's certificate revocation list. */
export interface RevokedEntry {
  readonly serialNumber: string;
  /** Epoch ms. */
  readonly revokedAt: number;
}

/**
 * A thing in the registry (provisioning and the registry API create them; certificates and
 * credentials bind to them; authorization reads its type, attributes and groups at CONNECT, and again
 * when a `thing` entry of the policy change feed names it).
 */
export interface ThingRecord {
  readonly tenant: string;
  /** 1..128 of `[a-zA-Z0-9:_-]`, as AWS allows. */
  readonly name: string;
  /** AWS's thingId, a UUID set at creation; absent on records made before the registry had them. */
  readonly thingId?: string;
  readonly thingType?: string;
  /** Attribute name → value, as AWS's AttributePayload.attributes. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Static thing groups it belongs to, sorted, no duplicates. */
  readonly groups: readonly string[];
  /** The billing group it belongs to (one at most). */
  readonly billingGroup?: string;
  /** Starts at 1, bumped by every put that changes it (AWS's expectedVersion). */
  readonly version: number;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
}

/** An IoT policy as stored, read as its default version; the policy engine parses and compiles `document`. */
export interface PolicyRecord {
  readonly tenant: string;
  /** 1..128 of `[\w+=,.@-]`. */
  readonly name: string;
  /** The default version's JSON text, exactly as given. */
  readonly document: string;
  /** The default version's id (see PolicyVersionRecord). */
  readonly version: number;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
}

/** What a policy is attached to. */
export type PolicyTarget =
  | { readonly kind: 'certificate'; readonly id: string }
  | { readonly kind: 'thing-group'; readonly id: string }
  | { readonly kind: 'tenant'; readonly id: string };

/** A role alias: what `GET /role-aliases/{alias}/credentials` trades a certificate for. */
export interface RoleAliasRecord {
  readonly tenant: string;
  /** 1..128 of `[\w=,@-]`. */
  readonly alias: string;
  /** The role the credentials stand for (kept for AWS compatibility of the records; Gatehouse signs them itself). */
  readonly roleArn: string;
  /** 900..43200, default 3600. */
  readonly credentialDurationSeconds: number;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
}

/**
 * Durable identity state. Every verb is atomic on its own; `transaction` groups several (creating a
 * thing, registering its certificate, attaching policies) so they commit together or not at all.
 * Failures are GatehouseErrors: CONFLICT for a duplicate or a forbidden change, NOT_FOUND for a missing
 * CA, STORE_UNAVAILABLE when the database is gone.
 *
 * @example
 * const outcome = await identity.consumeToken(claims.jti, Date.now());
 * if (outcome !== 'consumed') throw new GatehouseError('FORBIDDEN', { reason: `registration token is ${outcome}` });
 * await identity.transaction(async (tx) => {
 *   await tx.putCertificate(record);
 *   await tx.setCertificateStatus(record.id, 'ACTIVE', Date.now());
 * });
 */
export interface IdentityStore extends PolicyVersionStore, TenantStore, AuditStore, ThingGroupStore, RegistryStore {
  /** Registers a CA for a tenant, or replaces the tenant's record of the same CA (same id). */
  putCa(ca: CaRecord): Promise<void>;
  getCa(tenant: string, id: string): Promise<CaRecord | undefined>;
  /** The tenant's CAs, ordered by id. */
  listCas(tenant: string): Promise<CaRecord[]>;
  /**
   * Every tenant's CAs whose subject (as `CaRecord.subject` writes it) is `subject`: the candidates
   * that may have issued a certificate nobody registered yet (just-in-time provisioning).
   */
  findCasBySubject(subject: string): Promise<CaRecord[]>;
  /** Throws NOT_FOUND when the tenant has no such CA. */
  setCaStatus(tenant: string, id: string, status: CaStatus): Promise<CaRecord>;

  /** Inserts a certificate; an id already registered (by any tenant) is a CONFLICT. */
  putCertificate(record: CertificateRecord): Promise<void>;
  getCertificate(id: string): Promise<CertificateRecord | undefined>;
  /**
   * Sets the status and `updatedAt`; REVOKED also sets `revokedAt`. Undefined when there is no such
   * certificate. A revoked certificate stays revoked: revoking again returns it unchanged, any other
   * status is a CONFLICT.
   */
  setCertificateStatus(id: string, status: CertificateStatus, at: number): Promise<CertificateRecord | undefined>;
  listCertificates(tenant: string, query: CertificateQuery): Promise<CertificatePage>;
  /** The revoked certificates one CA of the tenant issued, ordered by serial number, for its CRL. */
  listRevoked(tenant: string, caId: string): Promise<RevokedEntry[]>;
  /**
   * The change feed of certificates, every tenant's: records with `updatedAt >= since`, ordered by
   * `updatedAt` then id, at most `limit` (1 to 1000). A new record carries its own `updatedAt` and
   * `setCertificateStatus` and `setCertificateThing` set it, so a reader that remembers where it stopped
   * sees every status change; a deleted record simply drops out. With `afterId`, records at exactly `since` come only when their id
   * is greater: pass the last record of a full page to read on after it, however many share its time.
   *
   * @example
   * const changed = await identity.listCertificateChanges(Date.now() - 5_000, 1000);
   * const next = await identity.listCertificateChanges(changed.at(-1)!.updatedAt, 1000, { afterId: changed.at(-1)!.id });
   */
  listCertificateChanges(since: number, limit: number, options?: CertificateChangesOptions): Promise<CertificateRecord[]>;

  /** Remembers a minted token; a jti already recorded is a CONFLICT. */
  recordToken(token: RegistrationTokenRecord): Promise<void>;
  /**
   * Uses a token up. Atomic across processes: of any number of concurrent callers with the same jti,
   * at most one gets `consumed`. An expired token is not consumed; a used one reports `already-used`.
   */
  consumeToken(jti: string, at: number): Promise<TokenConsumption>;

  /** Creates or replaces the tenant's template of that name. */
  putTemplate(template: ProvisioningTemplateRecord): Promise<void>;
  getTemplate(tenant: string, name: string): Promise<ProvisioningTemplateRecord | undefined>;
  /** The tenant's templates, ordered by name. */
  listTemplates(tenant: string): Promise<ProvisioningTemplateRecord[]>;
  /** False when there was no such template. */
  deleteTemplate(tenant: string, name: string): Promise<boolean>;

  /** Deletes a certificate record (fleet provisioning drops unclaimed ones); false when there was none. */
  deleteCertificate(id: string): Promise<boolean>;
  /** Attaches the certificate to a thing (undefined detaches). Undefined when there is no such certificate. */
  setCertificateThing(id: string, thing: string | undefined, at: number): Promise<CertificateRecord | undefined>;

  /** Creates or replaces a thing. The caller sets `version`; the store keeps what it is given. */
  putThing(thing: ThingRecord): Promise<void>;
  getThing(tenant: string, name: string): Promise<ThingRecord | undefined>;
  /** False when there was no such thing. Certificates attached to it are detached; it leaves its groups. */
  deleteThing(tenant: string, name: string): Promise<boolean>;

  /**
   * Creates or replaces a policy with one version, `version`, as its default (the versions it had are
   * dropped; later versions are numbered past both). The caller sets `version`. Versions proper:
   * `createPolicy` and `createPolicyVersion`.
   */
  putPolicy(policy: PolicyRecord): Promise<void>;
  /** The policy as its default version reads. */
  getPolicy(tenant: string, name: string): Promise<PolicyRecord | undefined>;
  /** The tenant's policies, ordered by name. */
  listPolicies(tenant: string): Promise<PolicyRecord[]>;
  /** False when there was no such policy; its versions and attachments go with it. `at` (default now) dates the change feed's entry. */
  deletePolicy(tenant: string, name: string, at?: number): Promise<boolean>;
  /** Attaches a policy (idempotent). NOT_FOUND when the tenant has no such policy. `at` as for deletePolicy. */
  attachPolicy(tenant: string, policyName: string, target: PolicyTarget, at?: number): Promise<void>;
  /** False when it was not attached. `at` as for deletePolicy. */
  detachPolicy(tenant: string, policyName: string, target: PolicyTarget, at?: number): Promise<boolean>;
  /** Names of the policies attached to a target, ordered. */
  listAttachedPolicies(tenant: string, target: PolicyTarget): Promise<string[]>;
  /** The targets a policy is attached to, ordered by kind then id. */
  listPolicyTargets(tenant: string, policyName: string): Promise<PolicyTarget[]>;

  /** Creates or replaces a role alias. */
  putRoleAlias(alias: RoleAliasRecord): Promise<void>;
  getRoleAlias(tenant: string, alias: string): Promise<RoleAliasRecord | undefined>;
  /** The tenant's role aliases, ordered by alias. */
  listRoleAliases(tenant: string): Promise<RoleAliasRecord[]>;
  /** False when there was no such alias. */
  deleteRoleAlias(tenant: string, alias: string): Promise<boolean>;

  /**
   * Runs `fn` with a store whose verbs commit together when it resolves and are all undone when it
   * throws (the error is rethrown). Inside, `tx.transaction` just runs its function in the same
   * transaction. `fn` should await only `tx`'s verbs: on SQLite the write lock is held until it ends.
   */
  transaction<T>(fn: (tx: IdentityStore) => Promise<T>): Promise<T>;
}

/**
 * An IdentityStore with its lifecycle, as the composition root holds it.
 *
 * @example
 * const identity = createSqliteIdentityStore({ path: '/var/lib/gatehouse/broker.db' });
 * await identity.open();
 * await identity.close();
 */
export interface IdentityStoreBackend extends IdentityStore {
  /** Creates or migrates the tables; safe on every start. */
  open(): Promise<void>;
  close(): Promise<void>;
}

/** Largest page `listCertificates` (and `listThings`) returns. */
export const MAX_CERTIFICATE_PAGE = 1000;

/** Throws a RangeError unless `limit` is a page size from 1 to 1000; `what` names the listed records. */
export function checkPageLimit(limit: number, what = 'certificates'): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CERTIFICATE_PAGE) throw new RangeError(`Cannot list ${what}: limit ${limit} is not an integer from 1 to ${MAX_CERTIFICATE_PAGE}`);
}

export function certificateConflict(id: string): GatehouseError {
  return new GatehouseError('CONFLICT', { reason: `Cannot register certificate "${id}": it is already registered` });
}

export function revokedConflict(id: string, status: CertificateStatus): GatehouseError {
  return new GatehouseError('CONFLICT', { reason: `Cannot set certificate "${id}" to ${status}: it is revoked, and revocation is final` });
}

export function tokenConflict(jti: string): GatehouseError {
  return new GatehouseError('CONFLICT', { reason: `Cannot record registration token "${jti}": its id is already recorded` });
}

/** What `attachPolicy` throws when the tenant has no policy of that name. */
export function policyNotFound(tenant: string, policyName: string): GatehouseError {
  return new GatehouseError('NOT_FOUND', { what: 'Policy', id: policyName, tenant });
}
