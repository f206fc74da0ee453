/** What the identity routes need from the composition root: the store, the token key, the CA and settings. */
import type { TokenSigningKey } from '../../auth/index.js';
import type { CertificateAuthority } from '../../pki/index.js';
import type { RegistryEvents } from '../../services/index.js';
import type { IdentityStore } from '../../store/index.js';

/** The agent-facing URLs, known once the listeners are up. */
export interface AgentEndpoints {
  /** `https://<host>:<wss port>/v1/register`. */
  readonly register?: string;
  readonly mqtts?: string;
  readonly wss?: string;
}

/**
 * The identity side of Gatehouse as the admin and agent APIs see it.
 *
 * @example
 * const services: IdentityServices = {
 *   store: identity, signingKey, ca, defaultTenant: 'default', tokenTtlSeconds: 900, certificateDays: 365,
 *   endpoints: () => ({ register: 'https://gatehouse.example.com:8443/v1/register' }),
 * };
 */
export interface IdentityServices {
  readonly store: IdentityStore;
  /** Signs registration tokens; its public half verifies them. */
  readonly signingKey: TokenSigningKey;
  /** The CA that signs agents' certificates; absent when Gatehouse runs without its local PKI. */
  readonly ca?: CertificateAuthority;
  /**
   * The root agents trust for the server (answered as `caCertificatePem`) when `ca` is an intermediate
   * under it (`pki.intermediate`); default `ca`.
   */
  readonly rootCa?: CertificateAuthority;
  /** Every Gatehouse CA whose key is loaded (root and intermediate): each has its own CRL. Default `[ca]`. */
  readonly ownCas?: readonly CertificateAuthority[];
  readonly defaultTenant: string;
  readonly tokenTtlSeconds: number;
  readonly certificateDays: number;
  endpoints(): AgentEndpoints;
  /** Temporary credentials are derived from it (`GET /role-aliases/{alias}/credentials`); absent, that route is too. Never log it. */
  readonly credentialsSecret?: Buffer;
  /** Publishes the registry events each tenant enabled; absent, the registry routes publish none. */
  readonly registryEvents?: RegistryEvents;
  /** For tests; default `new Date()`. */
  readonly now?: () => Date;
}

/** Kept here for the API's importers; it lives in pki/ so fleet provisioning writes the same record. */
export { gatehouseCaRecord } from '../../pki/index.js';
