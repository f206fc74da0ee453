/** A key pair made by Gatehouse for a device (AWS's CreateKeysAndCertificate), with a CSR to sign it by. */
import { parseCsr, type ParsedCsr } from './csr.js';
import { ecP256, exportPrivateKeyPem, generateKeyPair, x509 } from './x509-crypto.js';

export interface DeviceKey {
  /** PKCS#8 PEM of the new private key. It goes to the device once and is never stored or logged. */
  readonly privateKeyPem: string;
  /** A CSR signed by the new key, for `signDeviceCertificate`. */
  readonly csr: ParsedCsr;
}

/**
 * Makes an EC P-256 key pair and a CSR for it. AWS issues RSA 2048 keys here; P-256 is smaller and
 * faster to make, and every TLS stack the AWS device SDKs use accepts it for client authentication.
 *
 * @example
 * const { privateKeyPem, csr } = await createDeviceKey();
 * const signed = await signDeviceCertificate({ ca, csr, commonName: 'agent-7', days: 365 });
 */
export async function createDeviceKey(): Promise<DeviceKey> {
  const keys = await generateKeyPair();
  const request = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=device', keys, signingAlgorithm: ecP256 });
  return { privateKeyPem: await exportPrivateKeyPem(keys.privateKey), csr: parseCsr(new Uint8Array(request.rawData)) };
}
