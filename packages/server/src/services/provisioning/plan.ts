/**
 * What evaluating a provisioning template yields: the thing, certificate status and policies to put in
 * the registry, and the device configuration to hand back. `applyProvisioningPlan` carries it out.
 */

/**
 * What a template asks for when the resource already exists (AWS's OverrideSettings). MERGE is for
 * thing attributes and groups only. A property without a setting keeps its existing value (DO_NOTHING).
 */
export type OverrideAction = 'DO_NOTHING' | 'REPLACE' | 'FAIL' | 'MERGE';

/** The thing a template creates or updates. */
export interface ThingPlan {
  /** 1..128 of `[a-zA-Z0-9:_-]`. */
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly thingType?: string;
  /** Static thing groups, sorted, without duplicates. */
  readonly groups: readonly string[];
  /** Accepted for AWS compatibility; the registry does not keep billing groups yet. */
  readonly billingGroup?: string;
  readonly overrides: {
    readonly attributes: OverrideAction;
    readonly thingType: Exclude<OverrideAction, 'MERGE'>;
    readonly groups: OverrideAction;
  };
}

/** The status the provisioned certificate ends in. */
export interface CertificatePlan {
  /** ACTIVE unless the template says INACTIVE. */
  readonly status: 'ACTIVE' | 'INACTIVE';
  /**
   * For a certificate that was already registered and provisioned (not PENDING_ACTIVATION): keep its
   * status (DO_NOTHING, the default), set it (REPLACE) or refuse (FAIL).
   */
  readonly override: Exclude<OverrideAction, 'MERGE'>;
  /** The `CertificateId` the template named, when it named one; it must be the certificate provisioned. */
  readonly id?: string;
}

/** A policy to attach to the certificate: one that must exist, or one the template defines inline. */
export type PolicyPlan =
  | { readonly kind: 'existing'; readonly name: string }
  /** `name` is AWS's default for an unnamed inline policy: the SHA-256 hex of `document`. */
  | { readonly kind: 'inline'; readonly name: string; readonly document: string };

/**
 * An evaluated template.
 *
 * @example
 * const plan = evaluateTemplate(template.body, { SerialNumber: '42' }, { certificateId: record.id });
 * // { thing: { name: 'ThingPrefix_42', ... }, certificate: { status: 'ACTIVE', override: 'DO_NOTHING' },
 * //   policies: [{ kind: 'inline', name: '3f1c…', document: '{"Version":…}' }], deviceConfiguration: {} }
 */
export interface ProvisioningPlan {
  readonly thing?: ThingPlan;
  readonly certificate: CertificatePlan;
  readonly policies: readonly PolicyPlan[];
  /** The template's DeviceConfiguration, every value a string. */
  readonly deviceConfiguration: Readonly<Record<string, string>>;
}
