/**
 * The admin API's JSON bodies as the CLI reads them. The CLI sees the server only through HTTP,
 * so these mirror the OpenAPI document (GET /openapi.json) rather than importing broker types.
 */

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string;
}

export interface ClientJson {
  readonly clientId: string;
  readonly protocolVersion: number;
  readonly connectedAt: string;
  readonly peer: { readonly transport: string; readonly remoteAddress: string; readonly remotePort: number; readonly listener: string };
  readonly keepAlive: number;
  readonly cleanStart: boolean;
  readonly sessionExpiryInterval: number;
  readonly username?: string;
  readonly principal?: { readonly kind: string; readonly tenant: string; readonly thingName?: string; readonly certificateId?: string };
  readonly subscriptions: number;
  readonly inflight: number;
  readonly queued: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export interface SessionJson {
  readonly clientId: string;
  readonly connected: boolean;
  readonly protocolVersion: number;
  readonly expiryInterval: number;
  readonly disconnectedAt?: string;
  readonly expiresAt?: string;
  readonly subscriptions: readonly { readonly filter: string; readonly options: { readonly qos: number; readonly noLocal: boolean; readonly retainAsPublished: boolean; readonly retainHandling: number } }[];
  readonly queued: number;
  readonly inflight: number;
}

export interface RetainedJson {
  readonly topic: string;
  readonly qos: number;
  readonly payloadSize: number;
  readonly payload: string;
  readonly storedAt: string;
  readonly expiresAt?: string;
  readonly properties?: { readonly contentType?: string; readonly responseTopic?: string; readonly userProperties?: Readonly<Record<string, string | readonly string[]>> };
}

export interface PublishJson {
  readonly topic: string;
  readonly qos: number;
  readonly retain: boolean;
  readonly bytes: number;
}

export interface StatsJson {
  readonly connections: number;
  readonly connectionsTotal: number;
  readonly sessions: number;
  readonly subscriptions: number;
  readonly retainedMessages: number;
  readonly messagesIn: readonly number[];
  readonly messagesOut: readonly number[];
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly drops: Readonly<Record<string, number>>;
  readonly disconnects: Readonly<Record<string, number>>;
  readonly queuedMessages: number;
  readonly inflightMessages: number;
  readonly storeCommits: number;
  readonly storeCommitOps: number;
  readonly storeCommitSeconds: number;
}

/** `POST /v1/tokens`. */
export interface MintedTokenJson {
  readonly token: string;
  readonly jti: string;
  readonly tenant: string;
  readonly thing: string;
  readonly expiresAt: string;
  readonly endpoint: string;
}

/** A device certificate from `/v1/certificates`. */
export interface CertificateJson {
  readonly id: string;
  readonly tenant: string;
  readonly thing?: string;
  readonly status: string;
  readonly certificatePem: string;
  readonly caId: string;
  readonly serialNumber: string;
  readonly subject: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly issuedBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly revokedAt?: string;
}

/** A role alias from `/v1/tenants/{tenant}/role-aliases`. */
export interface RoleAliasJson {
  readonly tenant: string;
  readonly alias: string;
  readonly roleArn: string;
  readonly credentialDurationSeconds: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `POST /v1/certificates/{id}/revoke|deactivate|activate`. */
export interface CertificateStatusChangeJson {
  readonly certificate: CertificateJson;
  /** Live connections closed on the node that answered. */
  readonly disconnected: number;
}

/** A registered CA from `/v1/cas`. */
export interface CaJson {
  readonly id: string;
  readonly tenant: string;
  readonly kind: 'gatehouse' | 'customer';
  readonly status: 'ACTIVE' | 'INACTIVE';
  readonly autoRegistration: boolean;
  readonly provisioningTemplate?: string;
  readonly subject: string;
  readonly notAfter: string;
  readonly createdAt: string;
  readonly certificatePem: string;
}

/** `POST /v1/cas/{id}/activate|deactivate`. */
export interface CaStatusChangeJson {
  readonly ca: CaJson;
  readonly disconnected: number;
}

/** `GET /v1/cas/registration-code`. */
export interface RegistrationCodeJson {
  readonly tenant: string;
  readonly registrationCode: string;
}

/** A provisioning template from `/v1/tenants/{tenant}/provisioning-templates`. */
export interface ProvisioningTemplateJson {
  readonly tenant: string;
  readonly name: string;
  readonly templateBody: { readonly [key: string]: unknown };
  readonly enabled: boolean;
  readonly preProvisioningHook?: { readonly url: string; readonly payloadVersion?: string };
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `POST /v1/test-authorization`. */
export interface TestAuthorizationJson {
  readonly decision: 'ALLOW' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';
  readonly decidedBy?: { readonly policy: string; readonly version: number; readonly statementIndex: number; readonly effect: 'Allow' | 'Deny' };
  readonly policies: readonly string[];
  readonly resource: string;
  readonly explanation: string;
}

/** A tenant from `/v1/tenants`. */
export interface TenantJson {
  readonly id: string;
  readonly name?: string;
  readonly status: 'ACTIVE' | 'SUSPENDED';
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A policy from `/v1/tenants/{tenant}/policies`, as its default version reads. */
export interface PolicyJson {
  readonly tenant: string;
  readonly name: string;
  readonly defaultVersionId: number;
  /** The default version's document, JSON text. */
  readonly policyDocument: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Shown for one policy, not in lists. */
  readonly versions?: readonly { readonly versionId: number; readonly isDefault: boolean; readonly createdAt: string }[];
  /** The version a PUT just created. */
  readonly createdVersionId?: number;
}

/** `GET /v1/tenants/{tenant}/policies/{name}/versions/{id}`. */
export interface PolicyVersionJson {
  readonly tenant: string;
  readonly name: string;
  readonly versionId: number;
  readonly isDefault: boolean;
  readonly policyDocument: string;
  readonly createdAt: string;
}

/** What a policy is attached to. */
export interface PolicyTargetJson {
  readonly kind: 'certificate' | 'thing-group' | 'tenant';
  readonly id: string;
}

/** An entry of `/v1/audit`. */
export interface AuditEntryJson {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly sourceIp?: string;
  readonly action: string;
  readonly tenant?: string;
  readonly target: string;
  readonly details: { readonly [key: string]: unknown };
}

/** A thing group of `/v1/tenants/{tenant}/thing-groups`. */
export interface ThingGroupJson {
  readonly tenant: string;
  readonly name: string;
  readonly parent?: string;
  readonly description?: string;
  readonly thingGroupId: string;
  readonly thingGroupArn: string;
  readonly version: number;
  readonly attributes: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A thing of `/v1/tenants/{tenant}/things` (AWS DescribeThing's fields, with its groups and times). */
export interface ThingJson {
  readonly tenant: string;
  readonly thingName: string;
  readonly thingId: string;
  readonly thingArn: string;
  readonly thingTypeName?: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly version: number;
  readonly billingGroupName?: string;
  readonly thingGroups: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `POST /v1/tenants/{tenant}/things/bulk`. */
export interface BulkCreateJson {
  readonly results: readonly { readonly thingName: string; readonly status: number; readonly thingId?: string; readonly error?: { readonly code: string; readonly message: string } }[];
}

/** A thing type of `/v1/tenants/{tenant}/thing-types` (AWS DescribeThingType's fields). */
export interface ThingTypeJson {
  readonly tenant: string;
  readonly thingTypeName: string;
  readonly thingTypeId: string;
  readonly thingTypeArn: string;
  readonly thingTypeProperties: { readonly thingTypeDescription?: string; readonly searchableAttributes: readonly string[] };
  readonly thingTypeMetadata: { readonly deprecated: boolean; readonly deprecationDate?: string; readonly creationDate: string };
}

/** A billing group of `/v1/tenants/{tenant}/billing-groups` (AWS DescribeBillingGroup's fields). */
export interface BillingGroupJson {
  readonly tenant: string;
  readonly billingGroupName: string;
  readonly billingGroupId: string;
  readonly billingGroupArn: string;
  readonly version: number;
  readonly billingGroupProperties: { readonly billingGroupDescription?: string };
  readonly billingGroupMetadata: { readonly creationDate: string };
}

/** `/v1/tenants/{tenant}/event-configurations` (AWS DescribeEventConfigurations). */
export interface EventConfigurationsJson {
  readonly eventConfigurations: Readonly<Record<string, { readonly Enabled: boolean }>>;
  readonly creationDate?: string;
  readonly lastModifiedDate?: string;
}

/** `GET /v1/tenants/{tenant}/things/{thing}/connectivity` (AWS's GetThingConnectivityData body). */
export interface ThingConnectivityJson {
  readonly thingName: string;
  readonly connected: boolean;
  /** Epoch ms of the last connect or disconnect; absent when the thing never connected. */
  readonly timestamp?: number;
  /** AWS's reason of the last disconnect. */
  readonly disconnectReason?: string;
}
