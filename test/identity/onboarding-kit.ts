/** Helpers for the onboarding tests: an agent's key and CSR made with WebCrypto, and JSON over HTTP(S). */
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { httpRequest, type HttpRequestOptions, type HttpTextAnswer } from '../helpers/index.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export interface AgentKey {
  /** PKCS#8 PEM of the agent's private key; it never leaves the test "agent". */
  readonly keyPem: string;
  readonly csrPem: string;
}

const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A P-256 key pair and a CSR signed by it, as an agent makes them. The subject is the agent's guess; Gatehouse ignores it. */
export async function makeEcAgentKey(subject = 'CN=whatever-the-agent-says'): Promise<AgentKey> {
  const keys = (await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: ecdsa });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { keyPem: pem('PRIVATE KEY', pkcs8), csrPem: csr.toString('pem') };
}

/** An RSA CSR of the given size (1024 to show the weak-key refusal). */
export async function makeRsaCsr(bits: number): Promise<string> {
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  return (await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=weak', keys, signingAlgorithm: algorithm })).toString('pem');
}

/** The same CSR with one bit of its signature flipped: well-formed, but it no longer verifies. */
export function tamperCsrSignature(csrPem: string): string {
  const der = Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).rawData);
  // The signature BIT STRING is the DER's last element; its last byte is signature, not structure.
  der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01;
  return pem('CERTIFICATE REQUEST', der);
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface JsonAnswer extends HttpTextAnswer {
  /** The body parsed; `{}` when empty. */
  readonly body: Record<string, unknown>;
}

/**
 * One JSON request (`body` JSON-encoded), trusting `ca` for https and presenting `cert` and `key` when
 * given. A body that is not JSON fails the request, naming what came instead.
 */
export async function requestJson(url: string, options: Omit<HttpRequestOptions, 'body'> & { body?: unknown } = {}): Promise<JsonAnswer> {
  const { body, ...rest } = options;
  const answer = await httpRequest(url, body === undefined ? rest : { ...rest, body: JSON.stringify(body) });
  try {
    return { ...answer, body: answer.text.length === 0 ? {} : (JSON.parse(answer.text) as Record<string, unknown>) };
  } catch {
    throw new Error(`${url} answered ${answer.status} with non-JSON: ${answer.text.slice(0, 200)}`);
  }
}

/** A device onboarded through the real flow: its certificate, its key (which never left it) and the certificate's id. */
export interface OnboardedDevice {
  readonly thing: string;
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly keyPem: string;
}

/**
 * Onboards a device the way an agent does: the admin API mints a token, the agent trades it and a
 * CSR at `POST /v1/register` on the agent-facing port.
 *
 * @example
 * const device = await onboardDevice({ adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem }, 'agent-7');
 * await connectClient(gh.urls.mqtts, { ca: gh.caPem, cert: device.certificatePem, key: device.keyPem });
 */
export async function onboardDevice(
  server: { readonly adminUrl: string; readonly adminKey: string; readonly registerUrl: string; readonly ca: string },
  thing: string,
  token: Record<string, unknown> = {},
): Promise<OnboardedDevice> {
  const minted = await requestJson(`${server.adminUrl}/v1/tokens`, { headers: { authorization: `Bearer ${server.adminKey}` }, body: { thing, ...token } });
  if (minted.status !== 201) throw new Error(`Cannot mint a token for "${thing}": ${minted.status} ${JSON.stringify(minted.body)}`);
  const agent = await makeEcAgentKey();
  const answer = await requestJson(server.registerUrl, { body: { token: minted.body['token'], csr: agent.csrPem }, ca: server.ca });
  if (answer.status !== 201) throw new Error(`Cannot register "${thing}": ${answer.status} ${JSON.stringify(answer.body)}`);
  return { thing, certificateId: String(answer.body['certificateId']), certificatePem: String(answer.body['certificatePem']), keyPem: agent.keyPem };
}
