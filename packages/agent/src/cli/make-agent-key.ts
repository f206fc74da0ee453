/** The agent's own key pair and CSR, made on the agent's machine so the private key never leaves it. */
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** ECDSA P-256 with SHA-256: what Gatehouse's own device keys use, and every TLS stack accepts. */
const ecP256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface AgentKey {
  /** PKCS#8 PEM of the private key. */
  readonly keyPem: string;
  /** PKCS#10 PEM signed by that key. */
  readonly csrPem: string;
}

/**
 * Makes an EC P-256 key and a CSR for it. The subject is only a hint: Gatehouse sets `CN=<thing>`
 * from the registration token whatever the CSR says.
 *
 * @example
 * const { keyPem, csrPem } = await makeAgentKey('pump-7');
 */
export async function makeAgentKey(commonName = 'gatehouse-agent'): Promise<AgentKey> {
  const keys = (await webcrypto.subtle.generateKey(ecP256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const name = new x509.Name([{ CN: [commonName] }]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: ecP256 });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`, csrPem: csr.toString('pem') };
}
