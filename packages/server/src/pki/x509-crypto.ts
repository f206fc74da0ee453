/** @peculiar/x509 on Node's WebCrypto: key generation, PEM import/export and random serial numbers. */
import { createPrivateKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;

export { x509 };

/** ECDSA P-256 with SHA-256: small keys, fast handshakes, accepted by every MQTT client we test with. */
export const ecP256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export function generateKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ecP256, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

/** A signing algorithm and key for an existing private key in PEM (EC P-256/384/521 or RSA, PKCS#8 or traditional). */
export async function importSigningKey(pem: string): Promise<{ key: CryptoKey; algorithm: Algorithm }> {
  const keyObject = createPrivateKey(pem);
  return importSigningKeyObject(keyObject);
}

/** As `importSigningKey`, from a Node KeyObject. */
export async function importSigningKeyObject(keyObject: KeyObject): Promise<{ key: CryptoKey; algorithm: Algorithm }> {
  const pkcs8 = keyObject.export({ format: 'der', type: 'pkcs8' });
  const type = keyObject.asymmetricKeyType;
  let algorithm: Algorithm & { namedCurve?: string; hash: string };
  if (type === 'ec') {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : 'P-256';
    algorithm = { name: 'ECDSA', namedCurve, hash: namedCurve === 'P-256' ? 'SHA-256' : namedCurve === 'P-384' ? 'SHA-384' : 'SHA-512' };
  } else if (type === 'rsa') {
    algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  } else {
    throw new TypeError(`Unsupported CA key type ${String(type)}; use an EC or RSA key`);
  }
  const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  return { key, algorithm };
}

/**
 * 128 random bits as hex, top bit clear so the DER integer stays positive, first byte non-zero so
 * its encoding stays minimal (a strict parser refuses a leading zero byte before a clear top bit).
 */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString('hex');
}

export function daysFromNow(days: number, now = new Date()): Date {
  return new Date(now.getTime() + days * 24 * 3600 * 1000);
}

/**
 * DER bytes of a certificate, CSR or CRL given as PEM text or DER bytes. For PEM, the first block
 * with one of `labels` is taken, so a chain file yields its first certificate.
 */
export function toDer(input: string | Uint8Array, labels: readonly string[]): Buffer {
  if (typeof input !== 'string') return Buffer.from(input);
  const blocks = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const match of input.matchAll(blocks)) {
    if (labels.includes(match[1]!)) return Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64');
  }
  throw new TypeError(`No ${labels[0]!} PEM block found`);
}

/** All PEM blocks with `label` in a text, normalised (one trailing newline each). */
export function pemBlocks(text: string, label: string): string[] {
  const blocks = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, 'g');
  return [...text.matchAll(blocks)].map((m) => `${m[0]}\n`);
}
