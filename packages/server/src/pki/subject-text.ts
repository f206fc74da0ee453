/** The one text form of X.509 names in the registry, so a leaf's issuer finds its CA's subject. */

/**
 * A distinguished name as Node's `X509Certificate` prints it (`subject`, `issuer`), one line:
 * `CN=agent-7, O=Acme`. CA records, certificate records and just-in-time provisioning's issuer lookup
 * all use it.
 *
 * @example
 * const issuer = distinguishedNameText(new X509Certificate(der).issuer);
 */
export function distinguishedNameText(nodeName: string): string {
  return nodeName.replace(/\n/g, ', ');
}
