/** The one identity a connection carries, whatever way it authenticated (issue 5, point 6). */

/** How the principal proved who it is. */
export type PrincipalKind = 'certificate' | 'sigv4' | 'token' | 'password' | 'anonymous' | 'service';

/**
 * Who is on the other end of a connection or request. Every authentication method produces one;
 * the policy engine resolves policy variables from it (`${iot:Connection.Thing.ThingName}`,
 * `${iot:ClientId}`, `aws:SourceIp`, thing attributes) and logs name connections by it. It holds no
 * secrets, so it may be logged whole.
 *
 * @example
 * const principal: Principal = {
 *   kind: 'sigv4', tenant: 'acme', thingName: 'agent-7', certificateId: 'ab12…',
 *   clientId: 'agent-7', sourceIp: '203.0.113.9', attributes: { roleAlias: 'agent-role' },
 * };
 */
export interface Principal {
  readonly kind: PrincipalKind;
  /** The tenant every topic, thing and policy of this connection resolves inside. */
  readonly tenant: string;
  /** The thing the credential is bound to (certificate's thing, token's `thing` claim), if any. */
  readonly thingName?: string;
  /** SHA-256 fingerprint of the certificate behind the credential (mTLS, or SigV4 credentials traded for one). */
  readonly certificateId?: string;
  /**
   * Epoch ms when that certificate expires, as its registry record says; the certificate re-check
   * closes the connection then, since nothing in the store changes when a certificate expires.
   */
  readonly certificateNotAfter?: number;
  /** The MQTT client id of the connection ('' before CONNECT, e.g. for HTTP requests). */
  readonly clientId: string;
  /** Source address after the PROXY protocol, for `aws:SourceIp` conditions and logs. */
  readonly sourceIp: string;
  /** Method-specific facts that policies may test (e.g. `roleAlias`, `authorizerName`, token claims). */
  readonly attributes: Readonly<Record<string, string>>;
}
