/**
 * What policy variables and condition keys resolve from: the facts of one connection
 * (`PolicyContext`, bound once) and of one request (`PolicyRequestContext`, per check).
 */

/** Distinguished-name attributes AWS exposes as `iot:Certificate.{Subject|Issuer}.<attribute>`. */
export const distinguishedNameAttributes = [
  'DistinguishedNameQualifier', 'Country', 'Organization', 'OrganizationalUnit', 'State', 'CommonName',
  'SerialNumber', 'Title', 'Surname', 'GivenName', 'Initials', 'Pseudonym', 'GenerationQualifier',
] as const;
export type DistinguishedNameAttribute = (typeof distinguishedNameAttributes)[number];

/** Alternative-name kinds AWS exposes as `iot:Certificate.{Subject|Issuer}.AlternativeName.<kind>`. */
export const alternativeNameKinds = ['RFC822Name', 'DNSName', 'DirectoryName', 'UniformResourceIdentifier', 'IPAddress'] as const;
export type AlternativeNameKind = (typeof alternativeNameKinds)[number];

/** One side (subject or issuer) of a certificate: every attribute may repeat, in certificate order. */
export interface CertificateNameFields {
  readonly attributes?: Readonly<Partial<Record<DistinguishedNameAttribute, readonly string[]>>>;
  readonly alternativeNames?: Readonly<Partial<Record<AlternativeNameKind, readonly string[]>>>;
}

/** The certificate facts policies may test; decoded values, not RFC 4514 escaped text. */
export interface PolicyCertificate {
  readonly subject: CertificateNameFields;
  readonly issuer: CertificateNameFields;
  /** Hex serial number as AWS shows it. */
  readonly serialNumber?: string;
  /** Epoch ms; `iot:Certificate.NotBefore` / `.NotAfter` (Gatehouse's own keys) as ISO 8601 text. */
  readonly notBefore?: number;
  readonly notAfter?: number;
}

/**
 * The principal of one connection, as the policy engine sees it. `bindPolicySet` resolves every
 * variable from it once; fields left out make the variables and keys built on them unresolved
 * (a resource using one matches nothing; a condition on one sees the key as absent).
 *
 * @example
 * const context: PolicyContext = {
 *   tenant: 'acme', clientId: 'agent-7', thingName: 'agent-7', isAttached: true,
 *   thingAttributes: { site: 'lyon' }, sourceIp: '203.0.113.9', now: Date.now(),
 *   certificate: { subject: { attributes: { CommonName: ['agent-7'] } }, issuer: {} },
 * };
 */
export interface PolicyContext {
  /** The tenant (AWS account) the policies belong to; matched against the account field of ARNs. */
  readonly tenant: string;
  /** `iot:ClientId`; absent or '' before CONNECT. */
  readonly clientId?: string;
  /** `aws:SourceIp`, after the PROXY protocol. */
  readonly sourceIp?: string;
  /** `iot:Connection.Thing.ThingName`: set only when the client id is the attached thing's name, as in AWS. */
  readonly thingName?: string;
  readonly thingTypeName?: string;
  readonly thingAttributes?: Readonly<Record<string, string>>;
  /** `iot:Connection.Thing.IsAttached`: whether the credential is attached to the thing named by the client id. */
  readonly isAttached?: boolean;
  /** `iot:CertificateId`: the certificate's id (SHA-256 fingerprint). */
  readonly certificateId?: string;
  readonly certificate?: PolicyCertificate;
  /** Epoch ms at bind time; `aws:CurrentTime` and `aws:EpochTime` use it when a check gives no `now`. */
  readonly now: number;
}

/**
 * Facts of one check, for the condition keys that vary per request.
 *
 * @example
 * authorize(bound, 'iot:Connect', 'agent-7', { now: Date.now(), connectAttributes: ['PersistentConnect'] });
 */
export interface PolicyRequestContext {
  /** Epoch ms of the request, for `aws:CurrentTime` and `aws:EpochTime`. */
  readonly now?: number;
  /** `iot:LastWillTopic` on CONNECT. */
  readonly lastWillTopic?: string;
  /** `iot:ConnectAttributes` on CONNECT: `PersistentConnect`, `LastWill`. */
  readonly connectAttributes?: readonly string[];
}
